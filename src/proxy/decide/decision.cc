#include "proxy/decide/decision.h"

namespace paddock::proxy {

std::string_view protocol_name(Protocol p) {
  switch (p) {
    case Protocol::Http:
      return "http";
    case Protocol::Connect:
      return "connect";
    case Protocol::Socks5:
      return "socks5";
    case Protocol::Captured:
      return "captured";
    case Protocol::Dns:
      return "dns";
  }
  return "unknown";
}

std::optional<IpAddress> Verdict::dial_address() const {
  if (!allowed) return std::nullopt;
  if (pinned_address) return pinned_address;
  if (host.is_ip()) return host.ip;
  return std::nullopt;
}

namespace {

// What an allowed verdict's reason adds for a pinned name: every address it will try, in order.
std::string pinned_note(const Verdict& v) {
  std::vector<IpAddress> all{*v.pinned_address};
  all.insert(all.end(), v.pinned_fallbacks.begin(), v.pinned_fallbacks.end());
  return " (pinned to " + join_addresses(all) + ")";
}

}  // namespace

Verdict decide(const NetworkRules& rules, const Request& request) {
  Verdict v;
  v.protocol = request.protocol;
  v.port = request.port;

  auto host = normalise_host(request.host);
  if (!host) {
    v.rule = "invalid-host";
    v.reason = "invalid host name \"" + host.error().path + "\": " + host.error().detail;
    return v;
  }
  v.host = std::move(*host);

  if (v.host.kind == Host::Name) {
    std::vector<IpAddress> pin = rules.pins().lookup(v.host.text);
    if (!pin.empty()) {
      v.pinned = true;
      v.pinned_address = pin.front();
      v.pinned_fallbacks.assign(pin.begin() + 1, pin.end());
    }
  }

  if (request.port == 0) {
    v.rule = "invalid-port";
    v.reason = v.host.display() + ": port 0 is not a destination";
    return v;
  }

  Decision d = rules.decide(v.host, request.port);
  v.allowed = d.allowed;
  v.rule = std::move(d.rule);
  v.reason = std::move(d.reason);
  if (v.allowed && v.pinned) v.reason += pinned_note(v);
  v.askable = !v.allowed && v.rule == "default-deny" &&
              (!v.host.is_ip() || rules.address_filter().check_address(v.host.ip).allowed);
  return v;
}

void Verdict::allow_asked(std::string rule_, std::string reason_) {
  allowed = true;
  askable = false;
  rule = std::move(rule_);
  reason = std::move(reason_);
  if (pinned) reason += pinned_note(*this);
}

AddressChoice filter_resolved(const NetworkRules& rules, const std::vector<IpAddress>& resolved) {
  AddressChoice c;
  if (resolved.empty()) {
    c.reason = "the name resolved to no address";
    return c;
  }
  constexpr size_t kListed = 4;
  std::string why;
  for (size_t i = 0; i < resolved.size(); ++i) {
    const AddressVerdict av = rules.address_filter().check_address(resolved[i]);
    if (av.allowed) {
      if (!c.allowed) {
        c.allowed = true;
        c.address = resolved[i];
      } else if (c.fallbacks.size() < kMaxFallbacks) {
        c.fallbacks.push_back(resolved[i]);
      }
      continue;
    }
    if (c.allowed) continue;
    if (i < kListed) {
      if (!why.empty()) why += "; ";
      why += av.reason;
    }
  }
  if (c.allowed) return c;
  if (resolved.size() > kListed)
    why += "; and " + std::to_string(resolved.size() - kListed) + " more";
  c.reason = "every resolved address was refused: " + why;
  return c;
}

}  // namespace paddock::proxy
