#include "proxy/decide/live_rules.h"

#include <mutex>

namespace paddock::proxy {

namespace {

// Two spellings of one pattern ("Example.COM", "example.com.") are the same rule.
std::string canonical_key(const DomainPattern& p) {
  const char kind = p.kind == DomainPattern::Kind::Exact       ? 'e'
                    : p.kind == DomainPattern::Kind::Wildcard  ? 'w'
                    : p.kind == DomainPattern::Kind::IpLiteral ? 'i'
                                                               : 'a';
  return std::string(1, kind) + p.name + ":" + std::to_string(p.port);
}

LiveRule rule_of(LiveAction a, const DomainPattern* p) {
  return LiveRule{a, p->pattern};
}

}  // namespace

std::string_view live_action_name(LiveAction a) {
  return a == LiveAction::Allow ? "allow" : "deny";
}

std::string live_rule_name(const std::string& pattern) {
  return "ctl:" + pattern;
}

LiveRules::Added LiveRules::add(LiveAction action, const DomainPattern& p) {
  std::unique_lock<std::shared_mutex> g(mu_);
  const std::string key = canonical_key(p);
  for (auto& e : entries_) {
    if (e.key != key) continue;
    if (e.action == action) return Added::Unchanged;
    e.action = action;
    e.pattern = p;
    rebuild();
    return Added::Replaced;
  }
  if (entries_.size() >= kMaxRules) return Added::Full;
  entries_.push_back(Entry{action, p, key});
  rebuild();
  count_.store(entries_.size(), std::memory_order_release);
  return Added::New;
}

void LiveRules::rebuild() {
  allowed_ = DomainRuleSet();
  denied_ = DomainRuleSet();
  for (const auto& e : entries_)
    (e.action == LiveAction::Allow ? allowed_ : denied_).add(e.pattern);
}

std::optional<LiveRule> LiveRules::match(const Host& host, uint16_t port) const {
  if (empty()) return std::nullopt;
  std::shared_lock<std::shared_mutex> g(mu_);
  if (const DomainPattern* p = denied_.match(host, port)) return rule_of(LiveAction::Deny, p);
  if (const DomainPattern* p = allowed_.match(host, port)) return rule_of(LiveAction::Allow, p);
  return std::nullopt;
}

std::optional<LiveRule> LiveRules::match_name(const Host& host) const {
  if (empty()) return std::nullopt;
  std::shared_lock<std::shared_mutex> g(mu_);
  // Port 0 finds only rules without a port: a name denied on one port stays resolvable for the
  // others (as NetworkRules::decide_name does with the settings' rules).
  if (const DomainPattern* p = denied_.match(host, 0)) return rule_of(LiveAction::Deny, p);
  if (const DomainPattern* p = allowed_.match_any_port(host)) return rule_of(LiveAction::Allow, p);
  return std::nullopt;
}

std::vector<LiveRule> LiveRules::rules() const {
  std::shared_lock<std::shared_mutex> g(mu_);
  std::vector<LiveRule> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(LiveRule{e.action, e.pattern.pattern});
  return out;
}

}  // namespace paddock::proxy
