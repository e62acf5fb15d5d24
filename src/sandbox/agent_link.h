#pragma once
// The run's side of --ask and --agent-channel: the AskBroker, the channel thread, and the hooks
// that carry every refusal (proxy, resolver, write mediator) to the agent as "blocked" notices.
#include <memory>
#include <string>

#include "ask/agent_channel.h"
#include "base/result.h"
#include "base/unique_fd.h"
#include "mediator/context.h"
#include "proxy/decide/ask_broker.h"
#include "proxy/decide/audit_log.h"
#include "settings/settings.h"

namespace paddock {

struct AgentLink {
  std::shared_ptr<proxy::AskBroker> broker;  // null without --ask
  // null without --agent-channel. Shared with the hooks: a mediator worker still finishing a call
  // after the run ended must not find it gone.
  std::shared_ptr<ask::AgentChannel> channel;

  // For ProxyOptions::on_denial and the resolver (null without a channel).
  std::function<void(const proxy::AuditRecord&)> network_sink() const;
  // For Mediator::set_refusal_sink (null without a channel).
  mediator::Records::Sink mediator_sink() const;
  // Writes what is queued and stops; after the proxy has stopped.
  void stop();
};

// settings_file: where "allow always" appends (the file the settings came from, else the default
// path); empty: nowhere, such answers hold for the run only. on_terminal: questions are also
// asked on the user's terminal, so a closed channel does not deny them.
Result<AgentLink> start_agent_link(const NetworkSettings& network, UniqueFd channel_fd,
                                   const std::string& settings_file, bool on_terminal = false);

}  // namespace paddock
