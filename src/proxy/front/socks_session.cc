#include "proxy/front/socks_session.h"

#include "proxy/io/dialer.h"
#include "proxy/parse/socks5.h"
#include "proxy/server_context.h"

namespace paddock::proxy {
namespace {

// A greeting is at most 257 bytes and a request at most 262: anything bigger is not SOCKS5.
constexpr std::size_t kMaxHandshakeBytes = 1024;

std::string_view command_name(SocksCommand c) {
  switch (c) {
    case SocksCommand::Connect:
      return "CONNECT";
    case SocksCommand::Bind:
      return "BIND";
    case SocksCommand::UdpAssociate:
      return "UDP ASSOCIATE";
  }
  return "unknown";
}

}  // namespace

std::unique_ptr<ProxySession> make_socks_session(Worker& worker, uint64_t id, UniqueFd client) {
  return std::make_unique<SocksSession>(worker, id, std::move(client));
}

SocksSession::SocksSession(Worker& worker, uint64_t id, UniqueFd client)
    : ProxySession(worker, id, std::move(client), Protocol::Socks5) {
  down_.attach(-1, client_.get());
}

void SocksSession::handshake() {
  while (!closed()) {
    // The method reply goes out completely before the request is looked at (the replies to the
    // request replace what is queued).
    if (down_.queued() > 0) {
      const PumpResult sent = down_.pump();
      if (sent != PumpResult::Done && sent != PumpResult::Blocked) {
        close_now();
        return;
      }
      if (down_.queued() > 0) return;
    }
    if (!greeted_) {
      const SocksGreetingResult g = parse_socks5_greeting(in_buf_);
      if (g.state == SocksState::Done) {
        in_buf_.erase(0, g.consumed);
        if (!g.greeting.offers_no_auth) {
          finish_with(socks5_method_reply(kSocksMethodNoAcceptable));
          return;
        }
        down_.queue(socks5_method_reply(kSocksMethodNoAuth));
        greeted_ = true;
        continue;
      }
      if (g.state == SocksState::Error) {
        switch (g.error) {
          case SocksError::Socks4:
            finish_with(socks4_reject_reply());
            break;
          case SocksError::NoMethods:
            finish_with(socks5_method_reply(kSocksMethodNoAcceptable));
            break;
          default:
            close_now();  // not SOCKS at all: nothing it could read
            break;
        }
        return;
      }
    } else {
      const SocksRequestResult r = parse_socks5_request(in_buf_);
      if (r.state == SocksState::Error) {
        finish_with(socks5_reply(r.reply));
        return;
      }
      if (r.state == SocksState::Done) {
        in_buf_.erase(0, r.consumed);
        const SocksAddress& a = r.request.address;
        if (r.request.command != SocksCommand::Connect) {
          const std::string what = std::string(command_name(r.request.command));
          record_denial(Protocol::Socks5, printable(a.host()), a.port, "socks5-command",
                        "SOCKS5 " + what + " is not supported (CONNECT only)", std::nullopt);
          finish_with(socks5_reply(SocksReply::CommandNotSupported));
          return;
        }
        const std::string host = a.host();
        begin(decide(ctx().rules, Request{Protocol::Socks5, host, a.port}), host);
        return;
      }
    }
    switch (read_client(kMaxHandshakeBytes)) {
      case ReadResult::Got:
        continue;
      case ReadResult::Again:
        if (in_buf_.size() >= kMaxHandshakeBytes) close_now();
        return;
      case ReadResult::Eof:
      case ReadResult::Error:
        close_now();
        return;
    }
  }
}

void SocksSession::on_connected() {
  down_.reset();
  up_.reset();
  down_.queue(socks5_reply(SocksReply::Succeeded));
  start_sniff();
}

void SocksSession::on_dial_failed(int err, const std::string&) {
  finish_with(socks5_reply(socks_reply_for_connect_errno(err)));
}

void SocksSession::on_denied(const std::string&, const std::string&) {
  finish_with(socks5_reply(SocksReply::NotAllowed));
}

}  // namespace paddock::proxy
