#include "proxy/decide/domain_rules.h"

#include <libpsl.h>

#include <algorithm>

#include "proxy/decide/live_rules.h"

namespace paddock::proxy {

namespace {

// Reads "1".."65535" (decimal, no sign, no leading zero); 0 on anything else.
uint16_t parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5 || s[0] == '0') return 0;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v <= 65535 ? static_cast<uint16_t>(v) : 0;
}

std::string with_port(const Host& host, uint16_t port) {
  return host.display() + ":" + std::to_string(port);
}

}  // namespace

std::string_view rule_list_key(RuleList list) {
  return list == RuleList::Allowed ? "network.allowedDomains" : "network.deniedDomains";
}

std::string_view rule_list_name(RuleList list) {
  return list == RuleList::Allowed ? "allowedDomains" : "deniedDomains";
}

Result<DomainPattern> parse_domain_pattern(std::string_view pattern, RuleList list) {
  const bool allow = list == RuleList::Allowed;
  auto fail = [&](std::string detail) {
    return plain_error(std::string(rule_list_key(list)), std::move(detail), printable(pattern));
  };

  if (pattern.empty()) return fail("empty pattern");
  for (unsigned char c : pattern) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
      return fail("contains whitespace; write one host pattern per entry, e.g. example.com");
    if (c < 0x20 || c == 0x7f) return fail("contains a control character");
  }
  if (pattern.find("://") != std::string_view::npos)
    return fail(
        "a pattern is a host name, not a URL: drop the scheme (example.com, not "
        "https://example.com)");
  if (pattern.find_first_of("/?#") != std::string_view::npos)
    return fail(
        "a pattern is a host name, not a URL: drop the path (example.com, not "
        "example.com/path)");
  if (pattern.find('@') != std::string_view::npos)
    return fail("'@' has no place in a host pattern (user names are not part of a host)");

  // Host part and optional port.
  std::string_view host_part = pattern;
  std::string_view port_part;
  bool has_port = false;
  if (pattern.front() == '[') {
    const size_t close = pattern.find(']');
    if (close == std::string_view::npos) return fail("'[' without a closing ']'");
    host_part = pattern.substr(0, close + 1);
    const std::string_view rest = pattern.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return fail("unexpected text after ']' (expected :port)");
      port_part = rest.substr(1);
      has_port = true;
    }
  } else {
    const size_t colons = static_cast<size_t>(std::count(pattern.begin(), pattern.end(), ':'));
    if (colons > 1)
      return fail(
          "IPv6 addresses must be written in brackets, e.g. [2001:db8::1] or "
          "[2001:db8::1]:443");
    if (colons == 1) {
      const size_t colon = pattern.find(':');
      host_part = pattern.substr(0, colon);
      port_part = pattern.substr(colon + 1);
      has_port = true;
    }
  }

  DomainPattern p;
  p.pattern = std::string(pattern);
  if (has_port) {
    p.port = parse_port(port_part);
    if (p.port == 0)
      return fail("invalid port \"" + printable(port_part) +
                  "\": expected a number from 1 to 65535");
  }
  if (host_part.empty()) return fail("no host before the port");

  if (host_part == "*") {
    if (allow)
      return fail(
          "\"*\" would allow every host; it is only valid in deniedDomains (list the "
          "domains you need instead)");
    p.kind = DomainPattern::Kind::Any;
    return p;
  }

  const bool wildcard = host_part.size() > 2 && host_part.substr(0, 2) == "*.";
  std::string_view name_part = wildcard ? host_part.substr(2) : host_part;
  if (name_part.find('*') != std::string_view::npos)
    return fail(
        "'*' is only allowed as the whole first label, as in *.example.com (or alone, "
        "in deniedDomains)");
  if (wildcard && name_part.front() == '[')
    return fail("a wildcard needs a domain name after \"*.\", not an IP address");

  auto host = normalise_host(name_part);
  if (!host) return fail("invalid host name: " + host.error().detail);

  if (wildcard) {
    if (host->is_ip())
      return fail("a wildcard needs a domain name after \"*.\", not an IP address");
    if (allow) {
      // PSL_TYPE_ANY: ICANN and private suffixes; the implicit "*" rule stays on, so an unknown
      // TLD counts as a public suffix too.
      const psl_ctx_t* psl = psl_builtin();
      if (psl == nullptr)
        return fail("cannot check for public suffixes: libpsl has no built-in list");
      if (psl_is_public_suffix2(psl, host->text.c_str(), PSL_TYPE_ANY))
        return fail("*." + host->text + " would allow every domain under the public suffix " +
                    host->text +
                    " (anyone can register a name there); name the domain you "
                    "need, e.g. *.example." +
                    host->text);
    }
    p.kind = DomainPattern::Kind::Wildcard;
    p.name = std::move(host->text);
    return p;
  }

  if (host->is_ip()) {
    p.kind = DomainPattern::Kind::IpLiteral;
    p.ip = host->ip;
    p.name = std::move(host->text);
    return p;
  }
  if (allow) {
    const psl_ctx_t* psl = psl_builtin();
    if (psl == nullptr)
      return fail("cannot check for public suffixes: libpsl has no built-in list");
    if (psl_is_public_suffix2(psl, host->text.c_str(), PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE))
      return fail(host->text +
                  " is a public suffix, not a site; name the domain you need, e.g. "
                  "example." +
                  host->text);
  }
  p.kind = DomainPattern::Kind::Exact;
  p.name = std::move(host->text);
  return p;
}

void DomainRuleSet::add(DomainPattern p) {
  const size_t id = patterns_.size();
  switch (p.kind) {
    case DomainPattern::Kind::Exact:
      exact_[p.name].push_back(id);
      break;
    case DomainPattern::Kind::Wildcard:
      wildcard_[p.name].push_back(id);
      break;
    case DomainPattern::Kind::IpLiteral:
      ip_[p.name].push_back(id);
      break;
    case DomainPattern::Kind::Any:
      any_.push_back(id);
      break;
  }
  patterns_.push_back(std::move(p));
}

const DomainPattern* DomainRuleSet::first_for_port(const std::vector<size_t>& ids, uint16_t port,
                                                   bool any_port) const {
  for (size_t id : ids) {
    const DomainPattern& p = patterns_[id];
    if (any_port || p.port == 0 || p.port == port) return &p;
  }
  return nullptr;
}

const DomainPattern* DomainRuleSet::first_for_port(const Index& index, std::string_view key,
                                                   uint16_t port, bool any_port) const {
  auto it = index.find(key);
  return it == index.end() ? nullptr : first_for_port(it->second, port, any_port);
}

const DomainPattern* DomainRuleSet::match(const Host& host, uint16_t port) const {
  return match_impl(host, port, false);
}

const DomainPattern* DomainRuleSet::match_any_port(const Host& host) const {
  return match_impl(host, 0, true);
}

const DomainPattern* DomainRuleSet::match_impl(const Host& host, uint16_t port,
                                               bool any_port) const {
  if (host.is_ip()) {
    if (const DomainPattern* p = first_for_port(ip_, host.text, port, any_port)) return p;
    return first_for_port(any_, port, any_port);
  }
  const std::string_view name = host.text;
  if (const DomainPattern* p = first_for_port(exact_, name, port, any_port)) return p;
  if (!wildcard_.empty()) {
    // Proper suffixes at label boundaries only: for a.b.example.com try b.example.com,
    // example.com, com. The name itself is never a key, so *.example.com misses example.com.
    for (size_t dot = name.find('.'); dot != std::string_view::npos;
         dot = name.find('.', dot + 1)) {
      if (const DomainPattern* p = first_for_port(wildcard_, name.substr(dot + 1), port, any_port))
        return p;
    }
  }
  return first_for_port(any_, port, any_port);
}

Result<NetworkRules> NetworkRules::compile(
    const std::vector<std::string>& allowed, const std::vector<std::string>& denied,
    const std::vector<std::string>& denied_resolved_addresses,
    const std::vector<std::pair<std::string, std::string>>& pins,
    const std::vector<IpAddress>& host_addresses, PrivateAddresses private_addresses) {
  NetworkRules rules;
  for (const std::string& s : allowed) {
    auto p = parse_domain_pattern(s, RuleList::Allowed);
    if (!p) return p.error();
    rules.allowed_.add(std::move(*p));
  }
  for (const std::string& s : denied) {
    auto p = parse_domain_pattern(s, RuleList::Denied);
    if (!p) return p.error();
    rules.denied_.add(std::move(*p));
  }
  auto filter = AddressFilter::create(denied_resolved_addresses, host_addresses, private_addresses);
  if (!filter) return filter.error();
  rules.filter_ = std::move(*filter);
  auto table = ResolvePins::compile(pins);
  if (!table) return table.error();
  rules.pins_ = std::move(*table);
  return rules;
}

namespace {

Decision live_decision(const LiveRule& r, const std::string& what) {
  const bool allow = r.action == LiveAction::Allow;
  return Decision{allow, live_rule_name(r.pattern),
                  what + (allow ? " is allowed" : " is denied") +
                      " by a rule added with paddock ctl: " +
                      std::string(live_action_name(r.action)) + " \"" + r.pattern + "\""};
}

}  // namespace

Decision NetworkRules::decide(const Host& host, uint16_t port) const {
  if (const DomainPattern* p = denied_.match(host, port))
    return Decision{
        false, p->pattern,
        with_port(host, port) + " is denied by deniedDomains rule \"" + p->pattern + "\""};
  const std::optional<LiveRule> live = live_ ? live_->match(host, port) : std::nullopt;
  if (live && live->action == LiveAction::Deny) return live_decision(*live, with_port(host, port));
  if (const DomainPattern* p = allowed_.match(host, port))
    return Decision{
        true, p->pattern,
        with_port(host, port) + " is allowed by allowedDomains rule \"" + p->pattern + "\""};
  if (live) return live_decision(*live, with_port(host, port));
  if (host.is_ip())
    return Decision{false, "default-deny",
                    with_port(host, port) +
                        " is an IP address and no IP-literal rule in allowedDomains allows it"};
  return Decision{false, "default-deny", with_port(host, port) + " matches no allowedDomains rule"};
}

Decision NetworkRules::decide_name(const Host& host) const {
  // A port-0 lookup in the denied list finds only rules without a port: a name denied on one
  // port stays resolvable for the others.
  if (const DomainPattern* p = denied_.match(host, 0))
    return Decision{false, p->pattern,
                    host.display() + " is denied by deniedDomains rule \"" + p->pattern + "\""};
  const std::optional<LiveRule> live = live_ ? live_->match_name(host) : std::nullopt;
  if (live && live->action == LiveAction::Deny) return live_decision(*live, host.display());
  if (const DomainPattern* p = allowed_.match_any_port(host))
    return Decision{true, p->pattern,
                    host.display() + " is allowed by allowedDomains rule \"" + p->pattern + "\""};
  if (live) return live_decision(*live, host.display());
  return Decision{false, "default-deny", host.display() + " matches no allowedDomains rule"};
}

}  // namespace paddock::proxy
