#include "sandbox/agent_link.h"

#include <cstdio>

#include "ask/agent_messages.h"
#include "base/printable.h"
#include "proxy/decide/denial_advice.h"
#include "proxy/decide/domain_rules.h"
#include "settings/settings_append.h"

namespace paddock {

namespace {

// "allow_always": the run already allows it; saving it is for the next runs.
void persist_always(const std::string& file, const std::string& pattern) {
  const std::string what = "allow_always for " + printable(pattern);
  if (file.empty()) {
    std::fprintf(stderr,
                 "paddock: %s: not saved (no settings file and no home directory); allowed for "
                 "this run only\n",
                 what.c_str());
    return;
  }
  if (auto p = proxy::parse_domain_pattern(pattern, proxy::RuleList::Allowed); !p) {
    std::fprintf(stderr, "paddock: %s: not saved (%s); allowed for this run only\n", what.c_str(),
                 printable(p.error().message()).c_str());
    return;
  }
  auto r = append_allowed_domain_to_file(file, pattern);
  if (!r) {
    std::fprintf(stderr, "paddock: %s: not saved: %s; allowed for this run only\n", what.c_str(),
                 printable(r.error().message()).c_str());
  } else if (*r) {
    std::fprintf(stderr, "paddock: added \"%s\" to network.allowedDomains in %s\n",
                 printable(pattern).c_str(), printable(file).c_str());
  } else {
    std::fprintf(stderr, "paddock: \"%s\" is already in network.allowedDomains in %s\n",
                 printable(pattern).c_str(), printable(file).c_str());
  }
}

bool is_socket_call(const std::string& what) {
  return what.starts_with("connect") || what.starts_with("bind") || what.starts_with("send");
}

}  // namespace

Result<AgentLink> start_agent_link(const NetworkSettings& network, UniqueFd channel_fd,
                                   const std::string& settings_file, bool on_terminal) {
  AgentLink link;
  if (network.ask) {
    proxy::AskBrokerOptions opts;
    opts.timeout = std::chrono::seconds(network.ask_timeout_seconds);
    link.broker = std::make_shared<proxy::AskBroker>(opts);
    link.broker->set_persist(
        [settings_file](const std::string& pattern) { persist_always(settings_file, pattern); });
  }
  if (!channel_fd.valid()) return link;
  auto ch = ask::AgentChannel::start(std::move(channel_fd), link.broker, !on_terminal);
  if (!ch) return ch.error();
  link.channel = std::move(*ch);
  if (link.broker) {
    // Raw: the channel holds the broker; the front is called only by the proxy's sessions,
    // which are gone before the channel is.
    ask::AgentChannel* c = link.channel.get();
    link.broker->add_front(proxy::AskBroker::Front{
        [c](const proxy::AskQuestion& q) { c->send(ask::format_permission_request(q), false); },
        nullptr});
  }
  return link;
}

std::function<void(const proxy::AuditRecord&)> AgentLink::network_sink() const {
  if (!channel) return nullptr;
  return [c = channel](const proxy::AuditRecord& r) {
    ask::BlockedNotice n;
    n.kind = ask::BlockedNotice::Kind::Network;
    n.protocol = std::string(proxy::protocol_name(r.protocol));
    // A rule names an IPv6 host in brackets; the audit line has it bare.
    n.host = r.host.find(':') != std::string::npos ? "[" + r.host + "]" : r.host;
    n.port = r.port;
    n.rule = r.rule;
    n.reason = r.reason;
    n.advice =
        proxy::denial_advice(proxy::DenialSummary{n.protocol, n.host, n.port, n.rule, "", 1});
    c->send(ask::format_blocked(n), true);
  };
}

mediator::Records::Sink AgentLink::mediator_sink() const {
  if (!channel) return nullptr;
  return
      [c = channel](const std::string& what, const std::string& path, const std::string& reason) {
        ask::BlockedNotice n;
        n.kind = is_socket_call(what) ? ask::BlockedNotice::Kind::Network
                                      : ask::BlockedNotice::Kind::Filesystem;
        if (path.empty() && reason.empty()) {
          n.reason = what;  // a line that says it all (git's planted files)
        } else {
          n.operation = what;
          n.path = path;
          n.reason = reason;
        }
        c->send(ask::format_blocked(n), true);
      };
}

void AgentLink::stop() {
  if (channel) channel->stop();
}

}  // namespace paddock
