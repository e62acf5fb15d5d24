#pragma once
#include "base/result.h"

namespace paddock {

// Brings `lo` up in the calling process's (new) network namespace: the only interface there.
Status bring_loopback_up();

// Gives `lo` a second IPv4 address, 198.18.0.0/32 (the resolver's range, never handed out), so
// that getaddrinfo's AI_ADDRCONFIG sees IPv4 configured: with only 127.0.0.1, glibc answers
// EAI_NONAME to an AF_INET lookup with that flag (getent ahostsv4, some clients) before asking
// the resolver.
Status add_resolver_address();

}  // namespace paddock
