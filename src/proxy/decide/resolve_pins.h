#pragma once
// Name pins: `paddock run --resolve NAME=ADDR[,ADDR]...` and settings `network.resolve
// {NAME: ADDR | [ADDR, ...]}`. Several addresses are dialled in the order given, each after a
// failed connect to the one before (at most 1 + kMaxFallbacks).
// A pinned name is dialled at ADDR without DNS and without the resolved-address filter (the user
// chose the address, e.g. a registry mirror on 10.1.2.3 or a dev server on 127.0.0.1), but it
// still needs an allowedDomains rule: a pin says where a name goes, never whether it may go.
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/result.h"
#include "proxy/decide/host_name.h"

namespace paddock::proxy {

// Addresses dialled after the first one fails, for a resolved name or a pin.
inline constexpr size_t kMaxFallbacks = 7;

// Splits one --resolve argument "NAME=ADDR" at the first '='; both sides must be non-empty.
// Only the shape is checked here; ResolvePins::compile validates NAME and ADDR.
// Errors: op "--resolve", path = the argument.
Result<std::pair<std::string, std::string>> parse_resolve_flag(std::string_view arg);

// "a,b,c" in the order given.
std::string join_addresses(const std::vector<IpAddress>& addrs);

class ResolvePins {
 public:
  ResolvePins() = default;

  // NAME goes through normalise_host() and must be a name (not an IP literal, no wildcard).
  // ADDR is a comma-separated list of IP literals: strict dotted-quad IPv4, or IPv6 with or
  // without brackets (::ffff:a.b.c.d is stored as IPv4). The same name pinned twice to different
  // addresses is an error; the same pin twice is accepted.
  // Errors: op as given, path = NAME, detail = why.
  static Result<ResolvePins> compile(const std::vector<std::pair<std::string, std::string>>& pins,
                                     std::string_view op = "network.resolve");

  // name must already be normalised (Host::text).
  // The first address, and the rest in order; empty when the name is not pinned.
  std::vector<IpAddress> lookup(std::string_view name) const;
  size_t size() const { return table_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::vector<IpAddress>, Hash, std::equal_to<>> table_;
};

}  // namespace paddock::proxy
