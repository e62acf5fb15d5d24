#pragma once
// The front end of capture by name (dns/capture.h): a connection the supervisor joined to the
// capture listener (127.0.0.1:3129 inside the sandbox) when the sandbox connected to an address
// its resolver handed out. There is no handshake: the destination (name, port) was left in
// PendingCaptures under the client's port, and goes through the same decide(), resolution,
// address filter and dial as every front end; then the tunnel's first-bytes check (SNI on TLS,
// and for this front end the Host of plain HTTP) and the opaque relay. A refusal or a failed
// dial resets the connection (the client's connect had already succeeded: a reset is what a
// firewall that rejects after the handshake looks like).
#include <memory>
#include <optional>

#include "dns/capture.h"
#include "proxy/front/proxy_session.h"

namespace paddock::proxy {

std::unique_ptr<ProxySession> make_captured_session(Worker& worker, uint64_t id, UniqueFd client,
                                                    std::optional<dns::CapturedDestination> d);

class CapturedSession final : public ProxySession {
 public:
  CapturedSession(Worker& worker, uint64_t id, UniqueFd client,
                  std::optional<dns::CapturedDestination> d);

 private:
  void handshake() override;
  void on_connected() override;
  void on_dial_failed(int err, const std::string& why) override;
  void on_denied(const std::string& rule, const std::string& reason) override;

  std::optional<dns::CapturedDestination> dest_;
};

}  // namespace paddock::proxy
