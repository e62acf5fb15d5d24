#include "proxy/front/captured_session.h"

#include "proxy/server_context.h"

namespace paddock::proxy {

std::unique_ptr<ProxySession> make_captured_session(Worker& worker, uint64_t id, UniqueFd client,
                                                    std::optional<dns::CapturedDestination> d) {
  return std::make_unique<CapturedSession>(worker, id, std::move(client), std::move(d));
}

CapturedSession::CapturedSession(Worker& worker, uint64_t id, UniqueFd client,
                                 std::optional<dns::CapturedDestination> d)
    : ProxySession(worker, id, std::move(client), Protocol::Captured), dest_(std::move(d)) {}

void CapturedSession::handshake() {
  if (!dest_) {
    // Connected to the capture listener directly (with allowLocalBinding), not through a
    // resolver address: there is no destination.
    close_now(true);
    return;
  }
  const dns::CapturedDestination d = std::move(*dest_);
  dest_.reset();
  asker_ = d.process;
  begin(decide(ctx().rules, Request{Protocol::Captured, d.name, d.port}), d.name);
}

void CapturedSession::on_connected() {
  down_.reset();
  up_.reset();
  start_sniff();
}

void CapturedSession::on_dial_failed(int, const std::string&) {
  close_now(true);
}

void CapturedSession::on_denied(const std::string&, const std::string&) {
  close_now(true);
}

}  // namespace paddock::proxy
