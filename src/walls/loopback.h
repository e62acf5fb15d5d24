#pragma once
#include "base/result.h"

namespace paddock {

// Brings `lo` up in the calling process's (new) network namespace: the only interface there.
Status bring_loopback_up();

}  // namespace paddock
