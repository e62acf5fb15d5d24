#pragma once
// The run's side of `paddock ctl` (src/control): the live rules the proxy and the resolver
// consult, the ring of recent denials the refusal hooks feed, and the control socket's server,
// started control::kSocketDelay into the run (a shorter run has none). Every run has one; a run
// whose socket cannot be made goes on with a warning.
//
//   ControlLink ctl = prepare_control(network, req);   // before NetworkRules is copied
//   sinks: ctl.network_sink(next), ctl.mediator_sink(next)
//   ctl.attach(rules, link.broker);                     // before the proxy or the server starts
//   auto server = ctl.serve(writable, quiet, debug);    // control::kSocketDelay in
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "control/recent_denials.h"
#include "control/run_control.h"
#include "control/server.h"
#include "mediator/context.h"
#include "proxy/decide/ask_broker.h"
#include "proxy/decide/audit_log.h"
#include "proxy/decide/domain_rules.h"
#include "proxy/decide/live_rules.h"

namespace paddock {

struct ControlLink {
  control::RunInfo info;  // info.id empty: no id could be made (the run has no control socket)
  std::shared_ptr<proxy::LiveRules> live;
  std::shared_ptr<control::RecentDenials> recent;
  std::shared_ptr<control::RunControl> control;  // made by attach()
  std::vector<std::string> warnings;             // printed by serve()

  // Makes the RunControl over `rules` (the run's, sharing `live`) and `broker` (null without
  // --ask), and sets the broker's standing hook. Before the proxy starts.
  void attach(proxy::NetworkRules rules, const std::shared_ptr<proxy::AskBroker>& broker);
  // Each refusal is kept for `paddock ctl show`, then passed to `next` (the agent link's; may
  // be null).
  std::function<void(const proxy::AuditRecord&)> network_sink(
      std::function<void(const proxy::AuditRecord&)> next) const;
  mediator::Records::Sink mediator_sink(mediator::Records::Sink next) const;
  // The control socket's thread; null (after a warning unless quiet) when there is none.
  // `writable`: the run's writable roots (no control directory beneath them). The socket is made
  // at once: the caller starts it control::kSocketDelay into the run.
  std::unique_ptr<control::ControlServer> serve(const std::vector<std::string>& writable,
                                                bool quiet, bool debug);
};

// `network`: the run's rules, given the live set here (every copy made later shares it).
ControlLink prepare_control(proxy::NetworkRules& network, const std::string& project,
                            const std::vector<std::string>& argv);

}  // namespace paddock
