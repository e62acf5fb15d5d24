#include "proxy/decide/resolve_pins.h"

#include <algorithm>

namespace paddock::proxy {

Result<std::pair<std::string, std::string>> parse_resolve_flag(std::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos)
    return plain_error("--resolve", "expected NAME=ADDR, e.g. registry.example.com=10.1.2.3",
                       printable(arg));
  std::string name(arg.substr(0, eq));
  std::string addr(arg.substr(eq + 1));
  if (name.empty())
    return plain_error("--resolve", "NAME is empty (expected NAME=ADDR)", printable(arg));
  if (addr.empty())
    return plain_error("--resolve", "ADDR is empty (expected NAME=ADDR)", printable(arg));
  return std::pair{std::move(name), std::move(addr)};
}

Result<ResolvePins> ResolvePins::compile(
    const std::vector<std::pair<std::string, std::string>>& pins, std::string_view op) {
  ResolvePins out;
  for (const auto& pin : pins) {
    // Not a structured binding: clang < 16 cannot capture those in the lambda below.
    const std::string& raw_name = pin.first;
    const std::string& raw_addr = pin.second;
    auto fail = [&](std::string detail) {
      return plain_error(std::string(op), std::move(detail), printable(raw_name));
    };
    if (raw_name.find('*') != std::string::npos)
      return fail("a pin names one host; wildcards cannot be pinned");
    auto host = normalise_host(raw_name);
    if (!host) return fail("invalid host name: " + host.error().detail);
    if (host->is_ip())
      return fail("an IP literal needs no pin; allow it in allowedDomains instead");
    std::vector<IpAddress> addrs;
    std::string_view rest = raw_addr;
    for (;;) {
      const size_t comma = rest.find(',');
      const std::string_view one = rest.substr(0, comma);
      const auto addr = parse_ip_literal(one);
      if (!addr)
        return fail(
            "\"" + printable(one) +
            "\" is not an IP address (expected e.g. 10.1.2.3, 2001:db8::1 or [2001:db8::1])");
      if (std::find(addrs.begin(), addrs.end(), *addr) == addrs.end()) addrs.push_back(*addr);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (addrs.size() > 1 + kMaxFallbacks)
      return fail(std::to_string(addrs.size()) + " addresses; at most " +
                  std::to_string(1 + kMaxFallbacks) + " are dialled");
    auto [it, inserted] = out.table_.emplace(host->text, addrs);
    if (!inserted && it->second != addrs)
      return fail("pinned twice, to " + join_addresses(it->second) + " and to " +
                  join_addresses(addrs));
  }
  return out;
}

std::vector<IpAddress> ResolvePins::lookup(std::string_view name) const {
  auto it = table_.find(name);
  if (it == table_.end()) return {};
  return it->second;
}

std::string join_addresses(const std::vector<IpAddress>& addrs) {
  std::string out;
  for (const IpAddress& a : addrs) out += (out.empty() ? "" : ",") + a.to_string();
  return out;
}

}  // namespace paddock::proxy
