#include "proxy/proxy_server.h"

#include <fcntl.h>
#include <sys/resource.h>

#include <algorithm>
#include <system_error>

#include "proxy/io/worker.h"
#include "proxy/server_context.h"

namespace paddock::proxy {
namespace {

constexpr unsigned kMaxThreads = 64;
constexpr rlim_t kFdReserve = 256;       // for the supervisor's own files
constexpr rlim_t kFdsPerConnection = 6;  // client, upstream, two pipes
// Each connection may buffer up to ~150 KiB (a 64 KiB request head, a 64 KiB response head, relay
// buffers): the default cap bounds what a hostile command can make the supervisor hold.
constexpr rlim_t kDefaultMaxConnections = 8192;

Status prepare_listener(int fd) {
  const int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
    return sys_error("fcntl O_NONBLOCK", "listener");
  const int fdfl = fcntl(fd, F_GETFD);
  if (fdfl < 0 || fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) != 0) {
    return sys_error("fcntl FD_CLOEXEC", "listener");
  }
  return ok_status();
}

// Raises the soft fd limit to the hard one; returns the soft limit in effect.
rlim_t raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur;
}

}  // namespace

Result<std::unique_ptr<ProxyServer>> ProxyServer::start(UniqueFd http_listener,
                                                        UniqueFd socks_listener, ProxyOptions opts,
                                                        UniqueFd captured_listener) {
  if (!opts.captures) captured_listener.reset();
  if (http_listener.valid()) PADDOCK_TRY(prepare_listener(http_listener.get()));
  if (captured_listener.valid()) PADDOCK_TRY(prepare_listener(captured_listener.get()));
  if (socks_listener.valid()) PADDOCK_TRY(prepare_listener(socks_listener.get()));

  std::unique_ptr<AuditLog> audit = std::move(opts.audit_log);
  if (!audit && opts.audit_log_path) {
    auto a = AuditLog::open(*opts.audit_log_path);
    if (!a) return a.error();
    audit = std::move(*a);
  }

  const rlim_t fds = raise_fd_limit();
  unsigned max_conns = opts.max_connections;
  if (max_conns == 0) {
    const rlim_t usable = fds > kFdReserve * 2 ? fds - kFdReserve : fds / 2;
    max_conns = static_cast<unsigned>(
        std::clamp<rlim_t>(usable / kFdsPerConnection, 16, kDefaultMaxConnections));
  }

  std::unique_ptr<ProxyServer> server(new ProxyServer());
  server->http_listener_ = std::move(http_listener);
  server->socks_listener_ = std::move(socks_listener);
  server->captured_listener_ = std::move(captured_listener);
  server->ctx_ =
      std::make_unique<ServerContext>(std::move(opts.rules), opts.timeouts, std::move(audit),
                                      opts.resolver_threads, max_conns, std::move(opts.captures));
  server->ctx_->asks = std::move(opts.asks);
  server->ctx_->on_denial = std::move(opts.on_denial);
  const unsigned n = std::clamp(opts.threads, 1u, kMaxThreads);
  for (unsigned i = 0; i < n; ++i) {
    auto w = Worker::create(*server->ctx_, server->http_listener_.get(),
                            server->socks_listener_.get(), server->captured_listener_.get());
    if (!w) return w.error();
    server->workers_.push_back(std::move(*w));
  }
  for (auto& w : server->workers_) {
    try {
      server->threads_.emplace_back([worker = w.get()] { worker->run(); });
    } catch (const std::system_error& e) {
      server->stop();
      return plain_error("start proxy thread", e.what());
    }
  }
  return server;
}

ProxyServer::~ProxyServer() {
  stop();
}

void ProxyServer::request_stop() {
  if (stop_requested_) return;
  stop_requested_ = true;
  // Waiting sessions are closed with their worker; no answer may be posted to it afterwards.
  if (ctx_ && ctx_->asks) ctx_->asks->shutdown();
  for (auto& w : workers_) w->stop();
}

void ProxyServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  request_stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  if (ctx_) ctx_->resolver.close();
  workers_.clear();
  http_listener_.reset();
  socks_listener_.reset();
  captured_listener_.reset();
}

void ProxyServer::record(const AuditRecord& r) {
  if (ctx_) ctx_->record(r);
}

std::vector<DenialSummary> ProxyServer::denials() const {
  return ctx_ ? ctx_->denials.snapshot() : std::vector<DenialSummary>{};
}

unsigned ProxyServer::active_connections() const {
  return ctx_ ? ctx_->connections.load() : 0;
}

}  // namespace paddock::proxy
