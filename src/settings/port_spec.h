#pragma once
// Host services (`--publish`, `--allow-host-port` and their settings keys): the spelling of a
// port and of a published mapping, and the loopback names allowedDomains may not hold. Pure.
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.h"

namespace paddock {

// A port the sandbox listens on, served on the host's 127.0.0.1:host_port.
struct PublishedPort {
  uint16_t host_port = 0;  // where the host connects
  uint16_t port = 0;       // where the sandbox listens (127.0.0.1 inside)
  bool operator==(const PublishedPort&) const = default;
};

// "PORT" or "HOST_PORT:PORT", each a decimal 1-65535 without sign, spaces or leading zeros
// beyond one digit ("080" is refused: it reads as octal to some tools).
// Errors: op = `op`, path = the text, detail = the expected form.
Result<PublishedPort> parse_published_port(std::string_view text, std::string_view op);

// One port, 1-65535, the same spelling rules.
Result<uint16_t> parse_port(std::string_view text, std::string_view op);

// A name or literal that means the machine's own loopback wherever it is resolved: localhost
// and its subdomains (RFC 6761), 127.0.0.0/8 in any inet_aton spelling a resolver accepts
// (127.1, 0x7f.1, 2130706433), ::1 in any IPv6 form (with or without brackets, ::ffff:127.x),
// 0.0.0.0 and :: (which connect to the local host), with an optional trailing dot, any case,
// and with a port suffix or a "*." prefix ignored.
bool is_loopback_destination(std::string_view domain);

}  // namespace paddock
