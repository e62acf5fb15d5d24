#include "proxy/io/worker.h"

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>

#include "proxy/front/captured_session.h"
#include "proxy/front/http_session.h"
#include "proxy/front/socks_session.h"
#include "proxy/io/dialer.h"
#include "proxy/server_context.h"

namespace paddock::proxy {
namespace {

constexpr int kAcceptsPerWakeup = 64;
constexpr auto kListenerPause = std::chrono::seconds(1);
constexpr uint32_t kListenEvents = EPOLLIN | EPOLLEXCLUSIVE;

// A connection over the limit is reset at once rather than left waiting.
void refuse(int fd) {
  const linger lg{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

// The destination the supervisor left for a captured connection from this peer (its port).
std::optional<dns::CapturedDestination> take_capture_for(ServerContext& ctx,
                                                         const sockaddr_storage& peer) {
  if (!ctx.captures) return std::nullopt;
  uint16_t port = 0;
  if (peer.ss_family == AF_INET)
    port = ntohs(reinterpret_cast<const sockaddr_in*>(&peer)->sin_port);
  else if (peer.ss_family == AF_INET6)
    port = ntohs(reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_port);
  else
    return std::nullopt;
  return ctx.captures->take(port);
}

}  // namespace

Result<std::unique_ptr<Worker>> Worker::create(ServerContext& ctx, int http_fd, int socks_fd,
                                               int captured_fd) {
  auto loop = EventLoop::create();
  if (!loop) return loop.error();
  std::unique_ptr<Worker> w(new Worker(ctx, std::move(*loop)));
  const std::pair<int, Kind> fds[] = {
      {http_fd, Kind::Http}, {socks_fd, Kind::Socks}, {captured_fd, Kind::Captured}};
  for (const auto& [fd, kind] : fds) {
    if (fd < 0) continue;
    auto l = std::make_unique<Listener>(w.get(), fd, kind);
    PADDOCK_TRY(w->loop_->add(fd, kListenEvents, l.get()));
    w->listeners_.push_back(std::move(l));
  }
  return w;
}

Worker::Worker(ServerContext& ctx, std::unique_ptr<EventLoop> loop)
    : ctx_(ctx), loop_(std::move(loop)) {}

Worker::~Worker() = default;

void Worker::run() {
  // Signals belong to the supervisor's main thread; SIGPIPE from splice(2) to a closed socket
  // stays pending here, harmlessly, instead of killing the supervisor.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);

  loop_->run(*this);

  for (auto& [id, s] : sessions_) s->shutdown();
  graveyard_.clear();
  for (auto& [id, s] : sessions_) graveyard_.push_back(std::move(s));
  sessions_.clear();
  graveyard_.clear();
}

void Worker::stop() {
  loop_->stop();
}

ProxySession* Worker::find(uint64_t id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() || it->second->closed() ? nullptr : it->second.get();
}

void Worker::retire(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  graveyard_.push_back(std::move(it->second));
  sessions_.erase(it);
  ctx_.connections.fetch_sub(1);
}

void Worker::again(uint64_t id) {
  loop_->defer([this, id] {
    if (ProxySession* s = find(id)) s->advance();
  });
}

void Worker::on_tick(Clock::time_point now) {
  std::vector<ProxySession*> all;
  all.reserve(sessions_.size());
  for (auto& [id, s] : sessions_) all.push_back(s.get());
  for (ProxySession* s : all) {
    if (!s->closed()) s->on_tick(now);
  }
  pool_.expire(now);
  // Every worker ticks; the broker's lock makes the extra calls cheap no-ops.
  if (ctx_.asks) ctx_.asks->expire(now);
  if (paused_listeners_) {
    paused_listeners_ = false;
    for (auto& l : listeners_) {
      if (!l->paused) continue;
      if (now < l->resume_at || !loop_->add(l->fd(), kListenEvents, l.get()).ok()) {
        paused_listeners_ = true;
        continue;
      }
      l->paused = false;
    }
  }
}

void Worker::Listener::on_events(uint32_t) {
  worker_->accept_from(*this, kind_);
}

void Worker::pause(Listener& l) {
  // Out of fds or memory: stop accepting for a moment instead of spinning on a readable listener.
  loop_->remove(l.fd());
  l.paused = true;
  l.resume_at = loop_->now() + kListenerPause;
  paused_listeners_ = true;
}

void Worker::accept_from(Listener& l, Kind kind) {
  for (int i = 0; i < kAcceptsPerWakeup && !l.paused; ++i) {
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    const int fd = accept4(l.fd(), reinterpret_cast<sockaddr*>(&peer), &peer_len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) pause(l);
      return;  // EAGAIN: another worker took it, or nothing left
    }
    UniqueFd client(fd);
    if (ctx_.connections.fetch_add(1) >= ctx_.max_connections) {
      ctx_.connections.fetch_sub(1);
      refuse(fd);
      continue;
    }
    if (!tune_socket(fd).ok()) {
      ctx_.connections.fetch_sub(1);
      refuse(fd);
      continue;
    }
    // Once refused, never asked again: the answer is the kernel's, the same for every socket.
    if (try_unpaced_ && is_loopback_peer(peer)) try_unpaced_ = prefer_unpaced(fd);
    const uint64_t id = next_id_++;
    std::unique_ptr<ProxySession> s;
    switch (kind) {
      case Kind::Http:
        s = make_http_session(*this, id, std::move(client));
        break;
      case Kind::Socks:
        s = make_socks_session(*this, id, std::move(client));
        break;
      case Kind::Captured:
        s = make_captured_session(*this, id, std::move(client), take_capture_for(ctx_, peer));
        break;
    }
    ProxySession* raw = s.get();
    sessions_.emplace(id, std::move(s));
    raw->start();
  }
}

}  // namespace paddock::proxy
