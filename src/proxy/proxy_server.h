#pragma once
// The proxy the supervisor runs outside the sandbox (DESIGN 3 and 5). The sandbox side creates
// two listening TCP sockets on its own 127.0.0.1 (3128: HTTP proxy, 1080: SOCKS5) and hands them
// over; the server accepts on them from its own threads and dials upstream from the host's
// network namespace, after the decision of decision.h for every request.
//
//   auto server = ProxyServer::start(std::move(http_fd), std::move(socks_fd), std::move(opts));
//   ... the command runs ...
//   server->stop();                       // joins the threads; open connections are closed
//   for (const auto& d : server->denials()) ...   // the exit summary
//
// Threads: opts.threads event loops (each its own epoll; both listeners shared with
// EPOLLEXCLUSIVE) plus up to opts.resolver_threads getaddrinfo threads started on demand. All
// signals are blocked in these threads. At start, RLIMIT_NOFILE's soft limit is raised to the hard
// limit (every tunnel holds two sockets and up to two pipes).
#include <memory>
#include <thread>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "proxy/decide/audit_log.h"
#include "proxy/decide/denial_tally.h"
#include "proxy/proxy_options.h"

namespace paddock::proxy {

struct ServerContext;
class Worker;

class ProxyServer {
 public:
  // Either listener may be invalid (that front end is then not served). The listeners are made
  // non-blocking and close-on-exec. Errors: the audit log cannot be opened, epoll or a thread
  // cannot be created.
  // `captured_listener`: the capture listener (captured_session.h), served when valid and
  // opts.captures is set.
  static Result<std::unique_ptr<ProxyServer>> start(UniqueFd http_listener, UniqueFd socks_listener,
                                                    ProxyOptions opts,
                                                    UniqueFd captured_listener = UniqueFd());
  ~ProxyServer();
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  // Stops accepting, closes every connection (auditing the ones in progress), joins the event
  // loop threads. Idempotent. Resolver threads stuck in getaddrinfo are left to finish on their
  // own; nothing they hold belongs to the server any more.
  void stop();
  // The first half of stop(): the loops are told to end, nothing is waited for (so that the
  // supervisor's other threads end at the same time). Idempotent; stop() follows.
  void request_stop();

  // Denials so far, deduplicated by protocol, host, port and rule, in the order first seen.
  std::vector<DenialSummary> denials() const;

  // A decision taken outside the proxy's own front ends (the sandbox's resolver): audited and,
  // when a denial, counted for the exit summary like the proxy's own. Thread-safe.
  void record(const AuditRecord& r);

  // Connections currently open (for tests and the bench).
  unsigned active_connections() const;

 private:
  ProxyServer() = default;

  UniqueFd http_listener_;
  UniqueFd socks_listener_;
  UniqueFd captured_listener_;
  std::unique_ptr<ServerContext> ctx_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
  bool stop_requested_ = false;
};

}  // namespace paddock::proxy
