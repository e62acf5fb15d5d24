#include "proxy/decide/resolve_pins.h"

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
    const auto addr = parse_ip_literal(raw_addr);
    if (!addr)
      return fail("\"" + printable(raw_addr) +
                  "\" is not an IP address (expected e.g. 10.1.2.3, 2001:db8::1 or [2001:db8::1])");
    auto [it, inserted] = out.table_.emplace(host->text, *addr);
    if (!inserted && !(it->second == *addr))
      return fail("pinned twice, to " + it->second.to_string() + " and to " + addr->to_string());
  }
  return out;
}

std::optional<IpAddress> ResolvePins::lookup(std::string_view name) const {
  auto it = table_.find(name);
  if (it == table_.end()) return std::nullopt;
  return it->second;
}

}  // namespace paddock::proxy
