#pragma once
// What the supervisor configures when it starts the proxy (see proxy_server.h).
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dns/capture.h"
#include "proxy/decide/ask_broker.h"
#include "proxy/decide/audit_log.h"
#include "proxy/decide/domain_rules.h"

namespace paddock::proxy {

struct ProxyTimeouts {
  // From the start of a connection (or the end of the previous request on a keep-alive
  // connection) until a complete HTTP request head or SOCKS5 request has arrived.
  std::chrono::milliseconds request_head{std::chrono::seconds(60)};
  std::chrono::milliseconds resolve{std::chrono::seconds(20)};
  std::chrono::milliseconds connect{std::chrono::seconds(10)};
  // From the first byte a tunnel client sends until its TLS ClientHello is complete.
  std::chrono::milliseconds client_hello{std::chrono::seconds(10)};
  // No byte in either direction for this long ends a tunnel or an HTTP exchange.
  std::chrono::milliseconds idle{std::chrono::minutes(10)};
  // After a final reply (403, 400, 502, SOCKS failure): how long unread client bytes are drained
  // so the reply is not destroyed by a reset.
  std::chrono::milliseconds linger{std::chrono::seconds(2)};
};

struct ProxyOptions {
  NetworkRules rules;
  std::optional<std::string> audit_log_path;
  // Opened by the caller already (takes the place of audit_log_path).
  std::unique_ptr<AuditLog> audit_log;
  unsigned threads = 2;           // event-loop threads
  unsigned resolver_threads = 2;  // getaddrinfo threads, started on demand
  // Concurrent client connections; further connections are reset at once. 0: a sixth of
  // RLIMIT_NOFILE (after raising the soft limit to the hard one) less a reserve, at most 8192.
  unsigned max_connections = 0;
  ProxyTimeouts timeouts;
  // Capture by name: where the supervisor leaves the destination of each connection it joins to
  // the capture listener (see captured_session.h). Needed when that listener is served.
  std::shared_ptr<dns::PendingCaptures> captures;
  // --ask: a request denied only because no rule matched waits for the broker's answer instead
  // (ask_broker.h). Whoever answers must stop calling into it before stop() returns.
  std::shared_ptr<AskBroker> asks;
  // Called (on a proxy or resolver thread) for every denial, after the audit line; must not block.
  std::function<void(const AuditRecord&)> on_denial;
};

}  // namespace paddock::proxy
