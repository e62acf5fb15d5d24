// The established tunnel, shared by CONNECT and SOCKS5: the check of the client's first bytes, then
// the opaque relay with half-close.
//
// The first client bytes: when they are a TLS ClientHello with a server_name, that name must be
// the host the tunnel was allowed for. Otherwise a client allowed to reach one name on a shared
// front end (a CDN, a cloud load balancer) could ask it for another ("domain fronting"). Plain
// (non-TLS) bytes and ClientHellos without SNI pass; a ClientHello this proxy cannot parse does
// not (a parser difference would be a way around the check). While the client's bytes are held
// back, the upstream's bytes already flow to the client, so protocols where the server speaks
// first (SMTP, SSH servers, databases) work. A captured connection (captured_session.h) also
// has its first plain HTTP request's Host checked (captured_check.h).
#include <sys/socket.h>

#include "proxy/decide/captured_check.h"
#include "proxy/front/proxy_session.h"
#include "proxy/parse/tls_client_hello.h"
#include "proxy/server_context.h"

namespace paddock::proxy {
namespace {

// A ClientHello of kMaxClientHelloBytes split into records carries a 5-byte header per record.
constexpr std::size_t kMaxSniffBytes = kMaxClientHelloBytes + 1024;

}  // namespace

void ProxySession::start_sniff() {
  phase_ = Phase::Sniff;
  clear_deadline();
  sniff_deadline_ = Clock::time_point::max();
  up_done_ = down_done_ = false;
  up_.attach(client_.get(), upstream_.get(), &client_ready_);
  down_.attach(upstream_.get(), client_.get(), &upstream_ready_);
  down_.start_body(BodyMode::UntilEof);
}

void ProxySession::start_upgraded_relay(std::string to_client) {
  phase_ = Phase::Tunnel;
  clear_deadline();
  last_activity_ = now();
  up_done_ = down_done_ = false;
  up_.reset();
  down_.reset();
  up_.attach(client_.get(), upstream_.get(), &client_ready_);
  down_.attach(upstream_.get(), client_.get(), &upstream_ready_);
  down_.queue(to_client);
  down_.start_body(BodyMode::UntilEof);
  up_.queue(in_buf_);
  in_buf_.clear();
  in_buf_.shrink_to_fit();
  up_.start_body(BodyMode::UntilEof);
  run_again();
}

void ProxySession::refuse_tunnel(std::string rule, std::string reason) {
  request_open_ = false;
  record_denial(verdict_.protocol, audit_host(), verdict_.port, std::move(rule), std::move(reason),
                dialled_);
  close_now();
}

void ProxySession::sniff() {
  if (!pump_direction(down_, down_done_, client_.get(), false)) return;
  while (!closed_) {
    if (in_buf_.empty()) {
      switch (read_client(kMaxSniffBytes)) {
        case ReadResult::Got:
          continue;
        case ReadResult::Again:
          return;
        case ReadResult::Eof:
          start_tunnel();  // nothing to check; the relay passes the EOF on
          return;
        case ReadResult::Error:
          record_outcome("the client connection failed");
          close_now();
          return;
      }
    }
    const ClientHelloInfo info = inspect_client_hello(in_buf_);
    switch (info.kind) {
      case TlsSniff::NotTls: {
        if (protocol_ != Protocol::Captured) {
          start_tunnel();
          return;
        }
        // A captured connection has no request naming its host: plain HTTP's is checked too.
        PlainCheck pc = check_captured_plain(in_buf_, verdict_.host);
        if (pc.kind == PlainKind::Refuse) {
          refuse_tunnel(std::move(pc.rule), std::move(pc.reason));
          return;
        }
        if (pc.kind != PlainKind::NeedMore) {
          start_tunnel();
          return;
        }
        if (in_buf_.size() >= kMaxSniffBytes) {
          refuse_tunnel("http-request", "the HTTP request head is larger than " +
                                            std::to_string(kMaxSniffBytes) + " bytes");
          return;
        }
        break;
      }
      case TlsSniff::Malformed:
        refuse_tunnel("tls-client-hello", "malformed TLS ClientHello: " + info.reason);
        return;
      case TlsSniff::ClientHello:
        if (info.sni) {
          const auto sni = normalise_host(*info.sni);
          if (!sni || sni->text != verdict_.host.text) {
            refuse_tunnel("sni-mismatch", "SNI mismatch: the TLS ClientHello names \"" +
                                              printable(*info.sni) + "\" but the tunnel is for " +
                                              verdict_.host.display());
            return;
          }
        }
        start_tunnel();
        return;
      case TlsSniff::NeedMore:
        break;
    }
    if (sniff_deadline_ == Clock::time_point::max()) {
      sniff_deadline_ = now() + ctx().timeouts.client_hello;
    }
    if (in_buf_.size() >= kMaxSniffBytes) {
      refuse_tunnel("tls-client-hello", "the TLS ClientHello is larger than " +
                                            std::to_string(kMaxSniffBytes) + " bytes");
      return;
    }
    switch (read_client(kMaxSniffBytes)) {
      case ReadResult::Got:
        continue;
      case ReadResult::Again:
        return;
      case ReadResult::Eof:
      case ReadResult::Error:
        record_outcome("the client closed before its TLS ClientHello was complete");
        close_now();
        return;
    }
  }
}

void ProxySession::start_tunnel() {
  phase_ = Phase::Tunnel;
  up_.queue(in_buf_);
  in_buf_.clear();
  in_buf_.shrink_to_fit();
  up_.start_body(BodyMode::UntilEof);
}

bool ProxySession::pump_direction(Channel& ch, bool& done, int shut_fd, bool from_client) {
  if (done) return true;
  switch (ch.pump()) {
    case PumpResult::Blocked:
    case PumpResult::Done:
      return true;
    case PumpResult::Yield:
      run_again();
      return true;
    case PumpResult::Eof:
      ::shutdown(shut_fd, SHUT_WR);
      done = true;
      return true;
    case PumpResult::SrcError:
    case PumpResult::DstError:
    case PumpResult::BadFraming:
      break;
  }
  record_outcome(std::string(from_client ? "client -> upstream: " : "upstream -> client: ") +
                 ch.error());
  close_now(true);
  return false;
}

void ProxySession::tunnel() {
  if (!pump_direction(up_, up_done_, upstream_.get(), true)) return;
  if (!pump_direction(down_, down_done_, client_.get(), false)) return;
  if (up_done_ && down_done_) {
    record_outcome(std::nullopt);
    close_now();
  }
}

}  // namespace paddock::proxy
