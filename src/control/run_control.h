#pragma once
// What `paddock ctl` asks of a running sandbox, answered from the state the run shares with its
// proxy, resolver and write mediator: its summary, its open questions (--ask), the rules added
// while it runs and its recent denials; and allow/deny, which add a live rule (live_rules.h) and
// answer the open questions it settles. No I/O: server.h carries the bytes. Thread-safe (each
// part it reads is).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/protocol.h"
#include "control/recent_denials.h"
#include "proxy/decide/ask_broker.h"
#include "proxy/decide/domain_rules.h"
#include "proxy/decide/live_rules.h"

namespace paddock::control {

struct RunInfo {
  std::string id;
  int64_t pid = 0;
  int64_t started = 0;  // seconds since the epoch
  std::string project;
  std::vector<std::string> command;
};

class RunControl {
 public:
  // `rules`: the run's network rules, sharing `live` (NetworkRules::set_live). `broker`: null
  // without --ask.
  RunControl(RunInfo info, proxy::NetworkRules rules, std::shared_ptr<proxy::LiveRules> live,
             std::shared_ptr<proxy::AskBroker> broker, std::shared_ptr<RecentDenials> recent);

  Response handle(const Request& r);

  // For AskBroker::set_standing: the live rules' answer for a connection that decided before
  // they changed (allowed, or denied by a live deny rule); nullopt when they say nothing.
  std::optional<proxy::AskAnswer> standing(const proxy::AskSubject& s) const;

 private:
  Summary summary() const;
  Response change(proxy::LiveAction action, const std::string& domain);
  // Answers every open question the rules now settle; how many it answered.
  uint64_t answer_settled(const std::string& how);

  const RunInfo info_;
  const proxy::NetworkRules rules_;
  const std::shared_ptr<proxy::LiveRules> live_;
  const std::shared_ptr<proxy::AskBroker> broker_;
  const std::shared_ptr<RecentDenials> recent_;
};

// Why `domain` may not be a live rule of `action` (the checks `--allow-domain` and
// `--deny-domain` get at start), or the parsed pattern.
Result<proxy::DomainPattern> check_live_pattern(proxy::LiveAction action,
                                                const std::string& domain);

}  // namespace paddock::control
