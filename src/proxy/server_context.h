#pragma once
// State shared by every proxy thread: the rules (immutable), the resolver, the audit log and the
// denial tally (both thread-safe). Owned by ProxyServer, outlives the threads.
#include <atomic>
#include <functional>
#include <memory>

#include "proxy/decide/ask_broker.h"
#include "proxy/decide/audit_log.h"
#include "proxy/decide/denial_tally.h"
#include "proxy/io/resolver.h"
#include "proxy/proxy_options.h"

namespace paddock::proxy {

struct ServerContext {
  ServerContext(NetworkRules r, ProxyTimeouts t, std::unique_ptr<AuditLog> a, unsigned resolvers,
                unsigned max_conns, std::shared_ptr<dns::PendingCaptures> c = nullptr)
      : rules(std::move(r)),
        timeouts(t),
        audit(std::move(a)),
        resolver(resolvers),
        max_connections(max_conns),
        captures(std::move(c)) {}

  // Writes the audit line (when logging), counts denials and tells the denial hook.
  void record(const AuditRecord& r) {
    if (audit) audit->write(r);
    if (r.allowed) return;
    if (on_denial) on_denial(r);
    // The summary shows "host:port": IPv6 goes in brackets there (the audit line has it bare).
    const bool v6 = r.host.find(':') != std::string::npos;
    denials.add(protocol_name(r.protocol), v6 ? "[" + r.host + "]" : r.host, r.port, r.rule,
                r.reason);
  }

  const NetworkRules rules;
  const ProxyTimeouts timeouts;
  const std::unique_ptr<AuditLog> audit;
  DenialTally denials;
  Resolver resolver;
  const unsigned max_connections;
  std::atomic<unsigned> connections{0};
  const std::shared_ptr<dns::PendingCaptures> captures;
  // Set before the threads start, then only read.
  std::shared_ptr<AskBroker> asks;                    // --ask: null when off
  std::function<void(const AuditRecord&)> on_denial;  // every refusal (the agent channel)
};

}  // namespace paddock::proxy
