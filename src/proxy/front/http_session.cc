#include "proxy/front/http_session.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "proxy/io/upstream_pool.h"
#include "proxy/io/worker.h"
#include "proxy/parse/replies.h"
#include "proxy/parse/upgrade.h"
#include "proxy/server_context.h"

namespace paddock::proxy {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;

}  // namespace

std::unique_ptr<ProxySession> make_http_session(Worker& worker, uint64_t id, UniqueFd client) {
  return std::make_unique<HttpSession>(worker, id, std::move(client));
}

HttpSession::HttpSession(Worker& worker, uint64_t id, UniqueFd client)
    : ProxySession(worker, id, std::move(client), Protocol::Http) {}

std::string HttpSession::target_key() const {
  return verdict_.host.text + ":" + std::to_string(verdict_.port);
}

void HttpSession::handshake() {
  while (!closed()) {
    if (!in_buf_.empty()) {
      const ParseStatus st = parse_request_head(in_buf_, req_, &req_cursor_);
      if (st.done()) {
        in_buf_.erase(0, st.consumed);
        req_cursor_ = {};
        handle_request();
        return;
      }
      if (st.error()) {
        record_denial(Protocol::Http, "", 0, "malformed-request", st.reason, std::nullopt);
        finish_with(http_error_response(st.http_status, kBadRequestToken, st.reason));
        return;
      }
    }
    switch (read_client(kMaxRequestHeadBytes + 1)) {
      case ReadResult::Got:
        continue;
      case ReadResult::Again:
        return;
      case ReadResult::Eof:    // between requests: the client is done; mid-head: nothing to do
      case ReadResult::Error:  // with a truncated request either
        close_now();
        return;
    }
  }
}

void HttpSession::handle_request() {
  reused_ = false;
  retried_ = false;
  is_connect_ = req_.method == "CONNECT";
  if (is_connect_) {
    handle_connect();
    return;
  }
  begin(decide(ctx().rules, Request{Protocol::Http, req_.host, req_.port}), req_.host);
}

bool HttpSession::reuse_upstream(const Verdict& v) {
  if (is_connect_) {
    release_idle_upstream();  // a tunnel never reuses; the idle connection may serve others
    return false;
  }
  const std::string key = v.host.text + ":" + std::to_string(v.port);
  const bool own = upstream_.valid() && idle_key_ == key;
  if (!own) release_idle_upstream();
  idle_key_.clear();
  // A kept connection the server has closed (or that holds stray bytes) is not reused. Neither can
  // have happened while it was found empty and no event came since: no need to look.
  if (own && (!upstream_ready_.may_read() || idle_connection_usable(upstream_.get()))) {
    reused_ = true;
    return true;
  }
  close_upstream();
  if (auto pooled = worker_.pool().take(key)) {
    if (adopt_upstream(std::move(pooled->fd), pooled->address)) {
      reused_ = true;
      return true;
    }
  }
  return false;
}

void HttpSession::release_idle_upstream() {
  if (idle_key_.empty() || !upstream_.valid() || !dialled_) return;
  worker_.loop().remove(upstream_.get());
  worker_.pool().put(std::move(idle_key_), std::move(upstream_), *dialled_, now());
  idle_key_.clear();
}

void HttpSession::on_connected() {
  if (is_connect_) {
    down_.reset();
    up_.reset();
    down_.queue(kConnectEstablished);
    start_sniff();
    return;
  }
  start_exchange();
}

void HttpSession::on_dial_failed(int err, const std::string& why) {
  if (err == ETIMEDOUT) {
    finish_with(http_error_response(504, kUpstreamTimeoutToken, why));
  } else {
    finish_with(http_error_response(502, kUpstreamFailedToken, why));
  }
}

void HttpSession::on_denied(const std::string& rule, const std::string& reason) {
  finish_with(http_denial_response(reason, rule));
}

void HttpSession::on_phase_timeout() {
  if (phase_ == Phase::Handshake) {
    if (in_buf_.empty()) {
      close_now();  // an idle keep-alive connection
    } else {
      finish_with(
          http_error_response(408, kBadRequestToken, "the request head did not arrive in time"));
    }
    return;
  }
  fail_exchange("no data in either direction for too long", 504, kUpstreamTimeoutToken);
}

void HttpSession::fail_exchange(const std::string& why, int status, std::string_view token) {
  record_outcome(why);
  if (!resp_started_) {
    finish_with(http_error_response(status, token, why));
  } else {
    close_now(true);  // mid-response: only a reset tells the client it is incomplete
  }
}

void HttpSession::start_exchange() {
  phase_ = Phase::Exchange;
  clear_deadline();
  up_.reset();
  up_.attach(client_.get(), upstream_.get(), &client_ready_);
  upgrade_ = is_websocket_upgrade(req_);
  up_.queue(upgrade_ ? serialize_upgrade_request_head(req_)
                     : serialize_request_head(req_, /*keep_alive=*/true));
  request_sent_ = false;
  upstream_write_failed_ = false;
  switch (req_.framing) {
    case BodyFraming::None:
      break;
    case BodyFraming::ContentLength:
      up_.start_body(BodyMode::Length, req_.content_length);
      break;
    case BodyFraming::Chunked:
      up_.start_body(BodyMode::Chunked);
      break;
  }
  if (req_.framing != BodyFraming::None) in_buf_.erase(0, up_.feed(in_buf_));

  down_.reset();
  down_.attach(upstream_.get(), client_.get(), &upstream_ready_);
  resp_state_ = ResponseState::Head;
  resp_buf_.clear();
  resp_cursor_ = {};
  resp_started_ = false;
  got_response_bytes_ = false;
  client_keep_alive_ = false;
  upstream_dirty_ = false;
}

void HttpSession::exchange() {
  pump_request();
  if (closed() || phase_ != Phase::Exchange) return;
  pump_response();
}

void HttpSession::pump_request() {
  if (request_sent_ || upstream_write_failed_) return;
  switch (up_.pump()) {
    case PumpResult::Done:
      request_sent_ = true;
      if (std::string extra = up_.take_overflow(); !extra.empty()) in_buf_.insert(0, extra);
      return;
    case PumpResult::Blocked:
    case PumpResult::Eof:
      return;
    case PumpResult::Yield:
      run_again();
      return;
    case PumpResult::SrcError:
      record_outcome("the client stopped before the end of its request body (" + up_.error() + ")");
      close_now(true);
      return;
    case PumpResult::DstError:
      // The upstream may have answered early (413, 401) and closed: still read its response.
      upstream_write_failed_ = true;
      return;
    case PumpResult::BadFraming:
      fail_exchange(up_.error(), 400, kBadRequestToken);
      return;
  }
}

void HttpSession::pump_response() {
  while (!closed() && phase_ == Phase::Exchange) {
    switch (resp_state_) {
      case ResponseState::Head:
        if (resp_started_) {  // an interim response (100 Continue) goes out at once
          const PumpResult r = down_.pump();
          if (r == PumpResult::DstError) {
            record_outcome("the client went away: " + down_.error());
            close_now(true);
            return;
          }
        }
        if (!read_response_head()) return;
        break;
      case ResponseState::Body:
        switch (down_.pump()) {
          case PumpResult::Done:
            resp_state_ = ResponseState::Done;
            if (!down_.take_overflow().empty()) upstream_dirty_ = true;
            break;
          case PumpResult::Eof:
            resp_state_ = ResponseState::Done;
            client_keep_alive_ = false;
            break;
          case PumpResult::Blocked:
            return;
          case PumpResult::Yield:
            run_again();
            return;
          case PumpResult::SrcError:
          case PumpResult::BadFraming:
            record_outcome("upstream response broken: " + down_.error());
            close_now(true);
            return;
          case PumpResult::DstError:
            record_outcome("the client went away: " + down_.error());
            close_now(true);
            return;
        }
        break;
      case ResponseState::Done:
        complete_request();
        return;
    }
  }
}

bool HttpSession::read_response_head() {
  while (true) {
    if (!resp_buf_.empty()) {
      const ParseStatus st = parse_response_head(resp_buf_, req_.method, resp_, &resp_cursor_);
      if (st.error()) {
        fail_exchange(st.reason, 502, kUpstreamFailedToken);
        return false;
      }
      if (st.done()) {
        if (resp_.status == 101 && upgrade_ && request_sent_ && accepts_websocket_upgrade(resp_)) {
          idle_key_.clear();  // the connection is the relay's now, never pooled
          start_upgraded_relay(std::move(resp_buf_));
          resp_buf_.clear();
          resp_cursor_ = {};
          return false;
        }
        if (resp_.status == 101) {
          fail_exchange("the upstream switched protocols without being asked to", 502,
                        kUpstreamFailedToken);
          return false;
        }
        if (resp_.interim()) {  // 100 Continue, 103 Early Hints: pass on, then the real one
          down_.queue(serialize_response_head(resp_, false));
          resp_started_ = true;
          resp_buf_.erase(0, st.consumed);
          resp_cursor_ = {};
          if (down_.pump() == PumpResult::DstError) {
            record_outcome("the client went away: " + down_.error());
            close_now(true);
            return false;
          }
          continue;
        }
        client_keep_alive_ = req_.keep_alive && resp_.framing != ResponseFraming::UntilClose;
        down_.queue(serialize_response_head(resp_, client_keep_alive_));
        resp_started_ = true;
        switch (resp_.framing) {
          case ResponseFraming::None:
            break;
          case ResponseFraming::ContentLength:
            down_.start_body(BodyMode::Length, resp_.content_length);
            break;
          case ResponseFraming::Chunked:
            down_.start_body(BodyMode::Chunked);
            break;
          case ResponseFraming::UntilClose:
            down_.start_body(BodyMode::UntilEof);
            break;
        }
        const std::string_view body = std::string_view(resp_buf_).substr(st.consumed);
        if (down_.feed(body) < body.size()) upstream_dirty_ = true;
        resp_buf_.clear();
        resp_buf_.shrink_to_fit();
        resp_cursor_ = {};
        resp_state_ = ResponseState::Body;
        return true;
      }
    }
    if (!upstream_ready_.may_read()) return false;
    char buf[kReadChunk];
    const std::size_t room = std::min(sizeof buf, kMaxResponseHeadBytes + 1 - resp_buf_.size());
    const ssize_t n = ::recv(upstream_.get(), buf, room, MSG_DONTWAIT);
    if (n > 0) {
      got_response_bytes_ = true;
      resp_buf_.append(buf, static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < room) upstream_ready_.found_empty();
      continue;
    }
    if (n == 0) {
      upstream_failed_before_response("the upstream closed the connection without a response");
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      upstream_ready_.found_empty();
      return false;
    }
    upstream_failed_before_response(std::string("reading the upstream response: ") +
                                    std::strerror(errno));
    return false;
  }
}

void HttpSession::upstream_failed_before_response(const std::string& why) {
  // A kept-alive connection may have been closed by the server just as the request went out.
  // Requests without a body are sent again once, on a fresh connection to the same address.
  if (reused_ && !retried_ && !got_response_bytes_ && req_.framing == BodyFraming::None) {
    retried_ = true;
    reused_ = false;
    redial();
    return;
  }
  fail_exchange(why, 502, kUpstreamFailedToken);
}

void HttpSession::complete_request() {
  const bool clean = request_sent_ && !upstream_write_failed_;
  record_outcome(std::nullopt);
  const bool keep_upstream =
      clean && resp_.keep_alive && !upstream_dirty_ && resp_.framing != ResponseFraming::UntilClose;
  if (keep_upstream) {
    idle_key_ = target_key();
  } else {
    idle_key_.clear();
    close_upstream();
  }
  if (clean && client_keep_alive_) {
    up_.reset();
    down_.reset();
    phase_ = Phase::Handshake;
    set_deadline(ctx().timeouts.request_head);
    return;
  }
  finish_with({});  // parks a kept upstream connection in the pool
}

}  // namespace paddock::proxy
