#pragma once
#include "mediator/call.h"

namespace paddock::mediator {

// Serves one notification: decodes its syscall's arguments and runs the handler. Unknown
// syscalls (the filter routes nothing else here) get ENOSYS.
Out<long> dispatch(Call& c);

}  // namespace paddock::mediator
