#pragma once
// network.allowedDomains / network.deniedDomains (DESIGN 5), compiled once into hash tables and
// matched per request. Pure: no I/O, no DNS.
//
// Pattern forms (each with an optional ":port", 1..65535; without one, every port):
//   example.com       exactly that name
//   *.example.com     strict subdomains of example.com (a.example.com, a.b.example.com), not the
//                     apex example.com itself
//   1.2.3.4, [::1]    IP literals; an IP host is matched only by an IP-literal rule. IPv6 must be
//                     in brackets in a pattern ("[::1]:443"); ::ffff:a.b.c.d means a.b.c.d
//   *                 every host: deniedDomains only
// Names are compared after normalise_host(): lower-case A-labels, no trailing dot.
//
// allowedDomains refuses patterns broader than one registrable domain, using libpsl's built-in
// Public Suffix List:
//   *, *.com, *.co.uk     a wildcard over a public suffix, ICANN or private: *.github.io would
//                         allow every user's site, *.s3.amazonaws.com every bucket. The implicit
//                         "*" rule counts too, so *.corp or *.localhost (TLDs the list does not
//                         know) are refused as well; write *.intranet.corp instead.
//   com, co.uk            an exact name that is an ICANN public suffix (a mistake, never a site).
//                         Exact names that are private suffixes (github.io, s3.amazonaws.com) are
//                         accepted: each is one host run by one party, and some are real API
//                         endpoints.
// deniedDomains accepts all of these: denying broadly is never dangerous.
// Known limit: a wildcard over a registrable domain that contains private suffixes
// (*.amazonaws.com covers *.s3.amazonaws.com) is accepted; libpsl cannot list what lies below a
// name. Settings lint is the place to warn about such wildcards.
//
// Deny wins over allow. Matching costs one hash probe for the exact name, one per label for the
// wildcard suffix walk, independent of how many rules there are.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/result.h"
#include "proxy/decide/address_filter.h"
#include "proxy/decide/host_name.h"
#include "proxy/decide/resolve_pins.h"

namespace paddock::proxy {

enum class RuleList { Allowed, Denied };

// "network.allowedDomains" / "network.deniedDomains": the Error.op for pattern errors.
std::string_view rule_list_key(RuleList list);
// "allowedDomains" / "deniedDomains": for reasons shown to people.
std::string_view rule_list_name(RuleList list);

struct DomainPattern {
  enum class Kind { Exact, Wildcard, IpLiteral, Any };
  Kind kind = Kind::Exact;
  std::string name;     // Exact: the name; Wildcard: the base after "*."; IpLiteral: the address
  IpAddress ip;         // IpLiteral only
  uint16_t port = 0;    // 0: every port
  std::string pattern;  // as the user wrote it
};

// Parses one pattern for the given list. Errors: op = rule_list_key(list), path = the pattern,
// detail = why (scheme or path present, whitespace, misplaced '*', bad port, bare IPv6, public
// suffix, invalid name, ...).
Result<DomainPattern> parse_domain_pattern(std::string_view pattern, RuleList list);

// One list of patterns, indexed for matching.
class DomainRuleSet {
 public:
  void add(DomainPattern p);
  // The first matching pattern: exact name or IP, then wildcards from the longest base to the
  // shortest, then "*". nullptr when none matches.
  const DomainPattern* match(const Host& host, uint16_t port) const;
  // The same, for some port: the first pattern naming the host, whatever its port.
  const DomainPattern* match_any_port(const Host& host) const;
  size_t size() const { return patterns_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Index = std::unordered_map<std::string, std::vector<size_t>, Hash, std::equal_to<>>;
  const DomainPattern* match_impl(const Host& host, uint16_t port, bool any_port) const;
  const DomainPattern* first_for_port(const Index& index, std::string_view key, uint16_t port,
                                      bool any_port) const;
  const DomainPattern* first_for_port(const std::vector<size_t>& ids, uint16_t port,
                                      bool any_port) const;

  std::vector<DomainPattern> patterns_;
  Index exact_;     // names
  Index wildcard_;  // wildcard bases
  Index ip_;        // canonical IP text
  std::vector<size_t> any_;
};

struct Decision {
  bool allowed = false;
  std::string rule;    // the pattern that decided, as written, or "default-deny"
  std::string reason;  // one line for people
};

class LiveRules;

// The compiled network policy the proxy consults: domain rules, the resolved-address filter and
// the name pins. Immutable after compile(), apart from the live rules it may share (`paddock
// ctl`, live_rules.h); a default-constructed one denies everything.
class NetworkRules {
 public:
  NetworkRules() = default;

  // host_addresses: this host's own addresses for the address filter (enumerate_host_addresses());
  // left empty, only the built-in address classes and denied_resolved_addresses are refused.
  static Result<NetworkRules> compile(
      const std::vector<std::string>& allowed, const std::vector<std::string>& denied,
      const std::vector<std::string>& denied_resolved_addresses,
      const std::vector<std::pair<std::string, std::string>>& pins,
      const std::vector<IpAddress>& host_addresses = {},
      PrivateAddresses private_addresses = PrivateAddresses::kRefused);

  // Judges a normalised host and port against the two lists (deny first) and the live rules
  // (after each list of the settings: see live_rules.h). Pins and the address filter play no
  // part here; see decision.h for the whole request path.
  Decision decide(const Host& host, uint16_t port) const;
  // The sandbox's resolver: is the name reachable on some port? Denied when a deniedDomains
  // rule without a port names it, allowed when an allowedDomains rule names it on any port (each
  // connect is then judged by decide() with its port).
  Decision decide_name(const Host& host) const;

  const AddressFilter& address_filter() const { return filter_; }
  void add_host_addresses(const std::vector<IpAddress>& a) { filter_.add_host_addresses(a); }
  const ResolvePins& pins() const { return pins_; }
  size_t allowed_count() const { return allowed_.size(); }
  size_t denied_count() const { return denied_.size(); }
  // Rules added while the sandbox runs, shared by every copy made afterwards (the proxy's, the
  // resolver's, the git judge's). Set before the copies are made.
  void set_live(std::shared_ptr<const LiveRules> live) { live_ = std::move(live); }

 private:
  DomainRuleSet allowed_;
  DomainRuleSet denied_;
  AddressFilter filter_;
  ResolvePins pins_;
  std::shared_ptr<const LiveRules> live_;
};

}  // namespace paddock::proxy
