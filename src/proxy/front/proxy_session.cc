#include "proxy/front/proxy_session.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "proxy/io/dialer.h"
#include "proxy/io/worker.h"
#include "proxy/server_context.h"

namespace paddock::proxy {
namespace {

constexpr uint32_t kSessionEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
constexpr int kMaxRoundsPerAdvance = 32;
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr int kMaxDrainReads = 16;

}  // namespace

ProxySession::ProxySession(Worker& worker, uint64_t id, UniqueFd client, Protocol protocol)
    : worker_(worker), id_(id), protocol_(protocol), client_(std::move(client)) {}

ProxySession::~ProxySession() = default;

const ServerContext& ProxySession::ctx() const {
  return worker_.ctx();
}
ServerContext& ProxySession::mutable_ctx() {
  return worker_.ctx();
}
Clock::time_point ProxySession::now() const {
  return worker_.loop().now();
}

void ProxySession::start() {
  started_ = last_activity_ = now();
  if (!worker_.loop().add(client_.get(), kSessionEvents, &client_watch_).ok()) {
    close_now();
    return;
  }
  phase_ = Phase::Handshake;
  set_deadline(ctx().timeouts.request_head);
  advance();
}

void ProxySession::on_fd_events(bool upstream, uint32_t events) {
  if (closed_) return;
  last_activity_ = now();
  (upstream ? upstream_ready_ : client_ready_).on_events(events);
  if (!upstream && phase_ == Phase::Asking && (events & (EPOLLHUP | EPOLLERR))) {
    // The client gave up while its question was open: nobody to answer.
    close_now();
    return;
  }
  if (upstream && phase_ == Phase::Connecting) {
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
    connect_finished(finish_connect(upstream_.get()));
  }
  advance();
}

void ProxySession::advance() {
  if (closed_ || advancing_) return;
  advancing_ = true;
  want_again_ = false;
  for (int round = 0; round < kMaxRoundsPerAdvance && !closed_; ++round) {
    const Phase before = phase_;
    switch (phase_) {
      case Phase::Handshake:
        handshake();
        break;
      case Phase::Asking:
      case Phase::Resolving:
      case Phase::Connecting:
        break;
      case Phase::Exchange:
        exchange();
        break;
      case Phase::Sniff:
        sniff();
        break;
      case Phase::Tunnel:
        tunnel();
        break;
      case Phase::Closing:
        closing();
        break;
    }
    if (phase_ == before) break;
    if (round + 1 == kMaxRoundsPerAdvance) want_again_ = true;
  }
  advancing_ = false;
  if (want_again_ && !closed_) worker_.again(id_);
}

void ProxySession::on_tick(Clock::time_point t) {
  if (closed_) return;
  const auto idle = ctx().timeouts.idle;
  switch (phase_) {
    case Phase::Handshake:
      if (t >= deadline_) on_phase_timeout();
      break;
    case Phase::Asking:
      if (t >= deadline_) {
        cancel_ask();  // the broker must not count this connection as waiting any more
        on_asked(AskAnswer{false, "ask-timeout",
                           verdict_.host.display() + ":" + std::to_string(verdict_.port) +
                               " got no answer in time"});
      }
      break;
    case Phase::Resolving:
      if (t >= deadline_) dial_failed(ETIMEDOUT, "resolving " + verdict_.host.text + " timed out");
      break;
    case Phase::Connecting:
      if (t >= deadline_ && !try_next_address()) {
        dial_failed(ETIMEDOUT, "connect to " + dialled_->to_host_string() + ":" +
                                   std::to_string(verdict_.port) + " timed out");
      }
      break;
    case Phase::Exchange:
      if (t - last_activity_ >= idle) on_phase_timeout();
      break;
    case Phase::Sniff:
      if (t >= sniff_deadline_) {
        refuse_tunnel("tls-client-hello", "the TLS ClientHello did not arrive completely in time");
      } else if (t - last_activity_ >= idle) {
        record_outcome("idle timeout");
        close_now();
      }
      break;
    case Phase::Tunnel:
      if (t - last_activity_ >= idle) {
        record_outcome("idle timeout");
        close_now();
      }
      break;
    case Phase::Closing:
      if (t >= deadline_) close_now();
      break;
  }
  advance();
}

void ProxySession::begin(Verdict v, std::string_view raw_host) {
  verdict_ = std::move(v);
  raw_host_ = std::string(raw_host);
  decided_at_ = std::chrono::system_clock::now();
  started_ = now();
  up_.reset_count();
  down_.reset_count();
  if (!verdict_.allowed) {
    if (verdict_.askable && ctx().asks) {
      ask();
      return;
    }
    record_denial(verdict_.protocol, audit_host(), verdict_.port, verdict_.rule, verdict_.reason,
                  std::nullopt);
    on_denied(verdict_.rule, verdict_.reason);
    return;
  }
  proceed();
}

void ProxySession::ask() {
  phase_ = Phase::Asking;
  // The broker's timeout decides; this only catches an answer that never came back.
  set_deadline(ctx().asks->options().timeout + std::chrono::seconds(5));
  AskSubject subject;
  subject.host = verdict_.host.display();
  subject.port = verdict_.port;
  subject.protocol = verdict_.protocol;
  subject.rule = verdict_.rule;
  subject.reason = verdict_.reason;
  subject.process = asker_;
  const uint64_t seq = ++ask_seq_;
  EventLoop* loop = &worker_.loop();
  Worker* worker = &worker_;
  const uint64_t id = id_;
  auto asked = mutable_ctx().asks->ask(
      subject,
      [loop, worker, id, seq](const AskAnswer& answer) {
        loop->post([worker, id, seq, answer] {
          ProxySession* s = worker->find(id);
          if (s != nullptr && s->ask_seq_ == seq) s->on_asked(answer);
        });
      },
      Clock::now());
  if (asked.now) {
    on_asked(*asked.now);
    return;
  }
  ask_waiter_ = asked.waiter;
}

void ProxySession::cancel_ask() {
  if (ask_waiter_ == 0) return;
  if (ctx().asks) mutable_ctx().asks->cancel(ask_waiter_);
  ask_waiter_ = 0;
}

void ProxySession::on_asked(const AskAnswer& answer) {
  if (closed_ || phase_ != Phase::Asking) return;
  ask_waiter_ = 0;
  ++ask_seq_;
  clear_deadline();
  if (!answer.allowed) {
    verdict_.askable = false;
    verdict_.rule = answer.rule;
    verdict_.reason = answer.reason;
    record_denial(verdict_.protocol, audit_host(), verdict_.port, verdict_.rule, verdict_.reason,
                  std::nullopt);
    on_denied(verdict_.rule, verdict_.reason);
  } else {
    verdict_.allow_asked(answer.rule, answer.reason);
    decided_at_ = std::chrono::system_clock::now();
    proceed();
  }
  advance();
}

void ProxySession::proceed() {
  request_open_ = true;
  if (reuse_upstream(verdict_)) {
    on_connected();
    return;
  }
  close_upstream();
  dialled_.reset();
  next_addresses_.clear();
  if (const auto address = verdict_.dial_address()) {
    if (verdict_.pinned) next_addresses_ = verdict_.pinned_fallbacks;
    connect_to(*address);
    return;
  }
  phase_ = Phase::Resolving;
  set_deadline(ctx().timeouts.resolve);
  const uint64_t seq = ++resolve_seq_;
  EventLoop* loop = &worker_.loop();
  Worker* worker = &worker_;
  const uint64_t id = id_;
  mutable_ctx().resolver.resolve(verdict_.host.text,
                                 [loop, worker, id, seq](const Resolver::Answer& answer) {
                                   loop->post([worker, id, seq, answer] {
                                     ProxySession* s = worker->find(id);
                                     if (s != nullptr && s->resolve_seq_ == seq)
                                       s->on_resolved(answer);
                                   });
                                 });
}

void ProxySession::on_resolved(const Resolver::Answer& answer) {
  if (closed_ || phase_ != Phase::Resolving) return;
  if (!answer.ok()) {
    dial_failed(EHOSTUNREACH, answer.error().message());
  } else {
    const AddressChoice choice = filter_resolved(ctx().rules, *answer);
    if (choice.allowed) {
      next_addresses_ = choice.fallbacks;
      connect_to(choice.address);
    } else {
      request_open_ = false;
      const std::string reason = verdict_.host.display() + ":" + std::to_string(verdict_.port) +
                                 " is refused: " + choice.reason;
      record_denial(verdict_.protocol, audit_host(), verdict_.port, "resolved-address", reason,
                    std::nullopt);
      on_denied("resolved-address", reason);
    }
  }
  advance();
}

void ProxySession::connect_to(const IpAddress& address) {
  dialled_ = address;
  auto d = start_connect(address, verdict_.port);
  if (!d) {
    if (try_next_address()) return;
    dial_failed(d.error().err, d.error().message());
    return;
  }
  upstream_ = std::move(d->fd);
  upstream_ready_.reset();
  if (!worker_.loop().add(upstream_.get(), kSessionEvents, &upstream_watch_).ok()) {
    dial_failed(errno, std::string("epoll_ctl: ") + std::strerror(errno));
    return;
  }
  if (d->connected) {
    connect_finished(0);
    return;
  }
  phase_ = Phase::Connecting;
  set_deadline(ctx().timeouts.connect);
}

bool ProxySession::adopt_upstream(UniqueFd fd, const IpAddress& address) {
  close_upstream();
  upstream_ = std::move(fd);
  upstream_ready_.reset();
  dialled_ = address;
  if (!worker_.loop().add(upstream_.get(), kSessionEvents, &upstream_watch_).ok()) {
    upstream_.reset();
    return false;
  }
  return true;
}

void ProxySession::redial() {
  close_upstream();
  connect_to(*dialled_);
}

bool ProxySession::try_next_address() {
  if (next_addresses_.empty()) return false;
  close_upstream();
  const IpAddress next = next_addresses_.front();
  next_addresses_.erase(next_addresses_.begin());
  connect_to(next);
  return true;
}

void ProxySession::connect_finished(int err) {
  if (err != 0) {
    if (try_next_address()) return;
    dial_failed(err, "connect to " + dialled_->to_host_string() + ":" +
                         std::to_string(verdict_.port) + ": " + std::strerror(err));
    return;
  }
  clear_deadline();
  last_activity_ = now();
  on_connected();
}

void ProxySession::dial_failed(int err, const std::string& why) {
  close_upstream();
  record_outcome(why);
  on_dial_failed(err, why);
}

ProxySession::ReadResult ProxySession::read_client(std::size_t limit) {
  if (in_buf_.size() >= limit || !client_ready_.may_read()) return ReadResult::Again;
  char buf[kReadChunk];
  const std::size_t room = std::min(limit - in_buf_.size(), sizeof buf);
  while (true) {
    const ssize_t n = ::recv(client_.get(), buf, room, MSG_DONTWAIT);
    if (n > 0) {
      in_buf_.append(buf, static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < room) client_ready_.found_empty();
      return ReadResult::Got;
    }
    if (n == 0) return ReadResult::Eof;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      client_ready_.found_empty();
      return ReadResult::Again;
    }
    return ReadResult::Error;
  }
}

void ProxySession::finish_with(std::string_view reply) {
  release_idle_upstream();
  close_upstream();
  up_.reset();
  down_.reset();
  down_.attach(-1, client_.get());
  down_.queue(reply);
  in_buf_.clear();
  phase_ = Phase::Closing;
  closing_flushed_ = false;
  set_deadline(ctx().timeouts.linger);
}

void ProxySession::closing() {
  if (!closing_flushed_) {
    const PumpResult r = down_.pump();
    if (r == PumpResult::Blocked) return;
    if (r != PumpResult::Done) {
      close_now();
      return;
    }
    ::shutdown(client_.get(), SHUT_WR);
    closing_flushed_ = true;
  }
  // Read and drop what the client still sends, so closing does not answer it with a reset that
  // could destroy the reply in flight; end at its EOF or at the linger deadline.
  char buf[4096];
  for (int i = 0; i < kMaxDrainReads; ++i) {
    const ssize_t n = ::recv(client_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    close_now();
    return;
  }
  run_again();
}

void ProxySession::close_upstream() {
  if (!upstream_.valid()) return;
  worker_.loop().remove(upstream_.get());
  upstream_.reset();
}

void ProxySession::close_now(bool reset) {
  if (closed_) return;
  cancel_ask();
  if (request_open_) record_outcome("connection closed before the exchange completed");
  release_idle_upstream();
  closed_ = true;
  if (client_.valid()) {
    if (reset) {
      const linger lg{1, 0};
      setsockopt(client_.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    worker_.loop().remove(client_.get());
    client_.reset();
  }
  close_upstream();
  worker_.retire(id_);
}

void ProxySession::shutdown() {
  if (closed_) return;
  cancel_ask();
  if (request_open_) record_outcome("the proxy stopped");
  closed_ = true;
  client_.reset();
  upstream_.reset();
}

std::string ProxySession::audit_host() const {
  if (!verdict_.host.text.empty()) return verdict_.host.text;
  return printable(raw_host_);
}

void ProxySession::record_outcome(std::optional<std::string> error) {
  if (!request_open_) return;
  request_open_ = false;
  AuditRecord r;
  r.time = decided_at_;
  r.protocol = verdict_.protocol;
  r.host = audit_host();
  r.port = verdict_.port;
  r.address = dialled_;
  r.allowed = true;
  r.rule = verdict_.rule;
  r.reason = verdict_.reason;
  r.error = std::move(error);
  r.bytes_up = up_.delivered();
  r.bytes_down = down_.delivered();
  r.duration_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count());
  mutable_ctx().record(r);
}

void ProxySession::record_denial(Protocol protocol, std::string host, uint16_t port,
                                 std::string rule, std::string reason,
                                 std::optional<IpAddress> address) {
  AuditRecord r;
  r.time = std::chrono::system_clock::now();
  r.protocol = protocol;
  r.host = std::move(host);
  r.port = port;
  r.address = address;
  r.allowed = false;
  r.rule = std::move(rule);
  r.reason = std::move(reason);
  r.bytes_up = 0;
  r.bytes_down = 0;
  r.duration_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count());
  mutable_ctx().record(r);
}

}  // namespace paddock::proxy
