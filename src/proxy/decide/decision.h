#pragma once
// The one decision function every front end calls: the HTTP forward proxy, CONNECT, SOCKS5 and
// (later) transparent capture (DESIGN 10). The protocol is carried through for the audit log and
// never changes the outcome: the same host and port get the same answer whoever asks.
//
// The request path, for every front end:
//   1. v = decide(rules, {protocol, raw host from the wire, port})
//   2. if !v.allowed: answer the denial (403 / SOCKS 0x02) with v.reason
//   3. if v.dial_address(): dial exactly that (IP-literal rule or pinned name; user's choice,
//      exempt from the address filter)
//      else: resolve v.host.text (the normalised name, never the raw string) elsewhere,
//            c = filter_resolved(rules, addresses); dial c.address, or deny with c.reason
// Steps 1 and 3's filter are pure; resolution and dialling live outside this file.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/decide/domain_rules.h"
#include "proxy/decide/host_name.h"
#include "proxy/decide/resolve_pins.h"

namespace paddock::proxy {

enum class Protocol { Http, Connect, Socks5, Captured, Dns };

// "http", "connect", "socks5", "captured", "dns": for the audit log.
std::string_view protocol_name(Protocol p);

struct Request {
  Protocol protocol = Protocol::Http;
  std::string_view host;  // raw, as received: a name, a dotted quad, IPv6 bare or in brackets;
                          // no port (the front end splits it off)
  uint16_t port = 0;
};

struct Verdict {
  bool allowed = false;
  std::string rule;    // the pattern that decided; "default-deny"; "invalid-host"; "invalid-port"
  std::string reason;  // one line for people (X-Proxy-Error, audit log)
  Protocol protocol = Protocol::Http;  // echoed from the request, for the audit log only
  Host host;                           // normalised; text is empty when the raw host was invalid
  uint16_t port = 0;
  bool pinned = false;                      // the name has a --resolve / network.resolve pin
  std::optional<IpAddress> pinned_address;  // set when pinned (also reported on denials)
  std::vector<IpAddress> pinned_fallbacks;  // a pin's other addresses, dialled in turn
  // Denied only because no rule matched (--ask may ask about it): a valid host and port that no
  // deniedDomains rule names, and, for an IP literal, an address the address filter lets
  // through. A name is not resolved before it is asked about (the lookup itself would carry
  // the name out), so its addresses meet the filter after an allowing answer.
  bool askable = false;

  // The address to dial without resolving: the pin, or the IP literal itself. nullopt when the
  // request is denied or the name must be resolved and passed through filter_resolved().
  std::optional<IpAddress> dial_address() const;
  // An allowing answer to an askable verdict: the verdict as if a rule had allowed it.
  void allow_asked(std::string rule, std::string reason);
};

Verdict decide(const NetworkRules& rules, const Request& request);

struct AddressChoice {
  bool allowed = false;
  IpAddress address;   // the first address that survived, in the order given
  std::string reason;  // when refused: why each address was dropped (at most a few listed)
  // The other survivors, in the order given (at most kMaxFallbacks): dialled in turn when a
  // connect to the one before fails, as a client resolving the name itself would.
  std::vector<IpAddress> fallbacks;
};

// Step 3: the resolver's answers, in its preferred order, through the address filter.
AddressChoice filter_resolved(const NetworkRules& rules, const std::vector<IpAddress>& resolved);

}  // namespace paddock::proxy
