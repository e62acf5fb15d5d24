#include "control/run_control.h"

#include "base/printable.h"
#include "settings/port_spec.h"

namespace paddock::control {

namespace {

Response refusal(std::string why) {
  Response r;
  r.ok = false;
  r.error = std::move(why);
  return r;
}

std::string outcome_name(proxy::LiveRules::Added a) {
  switch (a) {
    case proxy::LiveRules::Added::New:
      return "added";
    case proxy::LiveRules::Added::Replaced:
      return "replaced";
    default:
      return "unchanged";
  }
}

}  // namespace

Result<proxy::DomainPattern> check_live_pattern(proxy::LiveAction action,
                                                const std::string& domain) {
  const bool allow = action == proxy::LiveAction::Allow;
  auto p = proxy::parse_domain_pattern(domain,
                                       allow ? proxy::RuleList::Allowed : proxy::RuleList::Denied);
  if (!p) {
    Error e = p.error();  // "allow *.com: ...", not the settings key
    e.op = std::string(proxy::live_action_name(action));
    return e;
  }
  // As at start (policy/host_services): inside, localhost is the sandbox's own.
  if (allow && is_loopback_destination(domain))
    return plain_error("allow",
                       "the sandbox's loopback is its own, so this would reach nothing of the "
                       "host's; --allow-host-port PORT at start is the way to a host service",
                       printable(domain));
  return p;
}

RunControl::RunControl(RunInfo info, proxy::NetworkRules rules,
                       std::shared_ptr<proxy::LiveRules> live,
                       std::shared_ptr<proxy::AskBroker> broker,
                       std::shared_ptr<RecentDenials> recent)
    : info_(std::move(info)),
      rules_(std::move(rules)),
      live_(std::move(live)),
      broker_(std::move(broker)),
      recent_(std::move(recent)) {}

Summary RunControl::summary() const {
  Summary s;
  s.id = info_.id;
  s.pid = info_.pid;
  s.started = info_.started;
  s.project = info_.project;
  s.command = info_.command;
  s.ask = broker_ != nullptr;
  s.questions = broker_ ? broker_->open_questions() : 0;
  return s;
}

Response RunControl::handle(const Request& req) {
  Response r;
  switch (req.op) {
    case Request::Op::Summary:
      r.ok = true;
      r.summary = summary();
      return r;
    case Request::Op::Show:
      r.ok = true;
      r.summary = summary();
      if (broker_)
        for (const auto& q : broker_->questions())
          r.questions.push_back(OpenQuestion{q.id, q.subject.host, q.subject.port,
                                             std::string(proxy::protocol_name(q.subject.protocol)),
                                             q.subject.reason});
      for (const auto& l : live_->rules())
        r.rules.push_back(RuleEntry{std::string(proxy::live_action_name(l.action)), l.pattern});
      for (const auto& d : recent_->list())
        r.denials.push_back(DenialEntry{
            std::chrono::duration_cast<std::chrono::milliseconds>(d.time.time_since_epoch())
                .count(),
            d.network ? "network" : "filesystem", d.what, d.rule, d.count});
      return r;
    case Request::Op::Allow:
      return change(proxy::LiveAction::Allow, req.domain);
    case Request::Op::Deny:
      return change(proxy::LiveAction::Deny, req.domain);
  }
  return refusal("unknown request");
}

Response RunControl::change(proxy::LiveAction action, const std::string& domain) {
  auto p = check_live_pattern(action, domain);
  if (!p) return refusal(p.error().message());
  const auto added = live_->add(action, *p);
  if (added == proxy::LiveRules::Added::Full)
    return refusal("this run holds " + std::to_string(proxy::LiveRules::kMaxRules) +
                   " rules added with paddock ctl already");
  Change c;
  c.action = std::string(proxy::live_action_name(action));
  c.pattern = domain;
  c.outcome = outcome_name(added);
  // After the rule is in place (the broker's standing hook covers connections asking from now
  // on): the questions already open that it settles.
  c.answered = answer_settled("paddock ctl " + c.action + " " + printable(domain));
  if (action == proxy::LiveAction::Allow && p->kind != proxy::DomainPattern::Kind::Wildcard) {
    // A rule that denies it wins over the new allow rule: say so rather than let the user wait.
    auto h = proxy::normalise_host(p->name);
    if (h) {
      const proxy::Decision d = p->port ? rules_.decide(*h, p->port) : rules_.decide_name(*h);
      if (!d.allowed) c.note = "still denied: " + d.reason + " (deny rules win)";
    }
  }
  Response r;
  r.ok = true;
  r.change = std::move(c);
  return r;
}

uint64_t RunControl::answer_settled(const std::string& how) {
  if (!broker_) return 0;
  uint64_t answered = 0;
  for (const auto& q : broker_->questions()) {
    auto h = proxy::normalise_host(q.subject.host);
    if (!h) continue;
    const proxy::Decision d = rules_.decide(*h, q.subject.port);
    const bool live_deny = !d.allowed && d.rule.starts_with("ctl:");
    if (!d.allowed && !live_deny) continue;
    if (broker_->answer(q.id, d.allowed ? proxy::AskDecision::AllowRun : proxy::AskDecision::Deny,
                        how) == proxy::AskBroker::AnswerResult::Applied)
      ++answered;
  }
  return answered;
}

std::optional<proxy::AskAnswer> RunControl::standing(const proxy::AskSubject& s) const {
  if (live_->empty()) return std::nullopt;
  auto h = proxy::normalise_host(s.host);
  if (!h) return std::nullopt;
  proxy::Decision d = rules_.decide(*h, s.port);
  if (!d.allowed && d.rule == "default-deny") return std::nullopt;
  return proxy::AskAnswer{d.allowed, std::move(d.rule), std::move(d.reason)};
}

}  // namespace paddock::control
