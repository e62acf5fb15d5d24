#pragma once
// Capture by name (dns/capture.h), the connect half: a TCP connect to an address the sandbox's
// resolver handed out becomes a connect of the same socket to the proxy's capture listener, with
// the name and port it stood for left for the proxy.
#include <sys/socket.h>

#include <optional>

#include "mediator/call.h"
#include "mediator/decode.h"

namespace paddock::mediator {

struct CaptureTarget {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

// nullopt: `ss` is no address of the resolver's range (the connect goes on as before). Else
// where to connect the stream socket `s` instead, or the caller's error (recorded as a refusal
// when the address stands for no name). Binds `s` to the loopback first when it is unbound.
std::optional<Out<CaptureTarget>> capture_target(Call& c, int s, const sockaddr_storage& ss,
                                                 const DecodedAddress& d);

// Whether the address is one of the resolver's range (198.18.0.0/15, or v4-mapped).
bool is_resolver_address(const sockaddr_storage& ss, const DecodedAddress& d);

// Whether the address is the sandbox's own loopback (127/8, ::1, 0.0.0.0, ::, v4-mapped forms):
// the only addresses a connect can reach inside its network namespace.
bool is_loopback_address(const sockaddr_storage& ss, const DecodedAddress& d);

// "203.0.113.7:443", "[2001:db8::1]:22": an inet address for a refusal line.
std::string inet_address_text(const sockaddr_storage& ss, const DecodedAddress& d);

}  // namespace paddock::mediator
