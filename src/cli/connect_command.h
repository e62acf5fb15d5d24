#pragma once
// `paddock connect HOST PORT`: a SOCKS5 client for ssh's ProxyCommand inside the sandbox, so
// `git@github.com:` remotes work when github.com:22 is allowed (DESIGN 5). It connects to paddock's
// SOCKS5 listener (127.0.0.1:1080, or $PADDOCK_SOCKS as "host:port" / "[v6]:port"), asks for HOST
// (a name, or an IPv4/IPv6 literal) and PORT with no authentication, then relays stdin to the
// connection and the connection to stdout until both directions have ended (half-close aware:
// stdin's EOF shuts the connection's write side; the connection's EOF closes stdout).
#include <cstdint>
#include <string>

#include "base/result.h"

namespace paddock {

// 0 when the relay ended normally. Errors name the destination and what the proxy said, e.g.
// "connect: example.com:22 refused by paddock's proxy (not allowed)".
Result<int> connect_command(const std::string& host, uint16_t port);

}  // namespace paddock
