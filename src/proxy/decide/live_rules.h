#pragma once
// Rules added to a running sandbox with `paddock ctl allow|deny ID DOMAIN`: consulted by
// NetworkRules beside its compiled lists, so the proxy's decide() and the sandbox's resolver see
// a change at once. Pure apart from a lock: no I/O. Held for the run only; nothing is written to a
// settings file.
//
// Order of a decision (NetworkRules::decide): the settings' deniedDomains, then these deny
// rules, then the settings' allowedDomains, then these allow rules. Deny beats allow, as in the
// settings; a live allow never overrides a denial the settings make. The same pattern given again
// with the other action replaces the earlier one (the user changed their mind); any other pair
// of patterns keeps deny first.
//
// Thread-safe: readers (every proxy and resolver thread) take a shared lock, and only when a rule
// exists (an atomic count first), so a run nobody changes pays one atomic load per decision.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "proxy/decide/domain_rules.h"

namespace paddock::proxy {

enum class LiveAction { Allow, Deny };

// "allow" / "deny".
std::string_view live_action_name(LiveAction a);

struct LiveRule {
  LiveAction action = LiveAction::Allow;
  std::string pattern;  // as the user wrote it
};

// The rule string a live rule decides with (audit log, exit summary, agent channel): "ctl:" and
// the pattern, so it is not mistaken for a settings rule of the same spelling.
std::string live_rule_name(const std::string& pattern);

class LiveRules {
 public:
  static constexpr std::size_t kMaxRules = 1000;

  enum class Added { New, Replaced, Unchanged, Full };
  // `p` was parsed by parse_domain_pattern() for the matching list (RuleList::Allowed for an
  // allow rule: no "*", no public suffix).
  Added add(LiveAction action, const DomainPattern& p);

  // The rule deciding `host` on `port`: a deny rule first, else an allow rule; nullopt for none.
  std::optional<LiveRule> match(const Host& host, uint16_t port) const;
  // For the resolver: a deny rule without a port, else an allow rule on any port.
  std::optional<LiveRule> match_name(const Host& host) const;

  // Every rule in force, in the order given.
  std::vector<LiveRule> rules() const;
  bool empty() const { return count_.load(std::memory_order_acquire) == 0; }

 private:
  struct Entry {
    LiveAction action;
    DomainPattern pattern;
    std::string key;  // the pattern's canonical form: kind, name, port
  };
  void rebuild();  // under the exclusive lock

  mutable std::shared_mutex mu_;
  std::vector<Entry> entries_;
  DomainRuleSet allowed_;
  DomainRuleSet denied_;
  std::atomic<std::size_t> count_{0};
};

}  // namespace paddock::proxy
