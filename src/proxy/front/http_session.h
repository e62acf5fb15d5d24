#pragma once
// The HTTP/1.1 forward proxy front end (listener 127.0.0.1:3128 inside the sandbox).
//
// Each request on a keep-alive connection is parsed (parse_request_head) and decided on its own;
// a denied one is answered 403 and the connection closed. An allowed request goes upstream in
// origin-form with Host set from the target and hop-by-hop headers removed
// (serialize_request_head); its body is relayed by its own framing (Content-Length spliced,
// chunked through ChunkedFramer), and the response head is parsed (parse_response_head) so the
// proxy knows where the response ends and can take the next request. The request body and the
// response flow at the same time (100-continue, early error responses).
//
// Upstream connections are asked to stay open and, when the response ended cleanly, kept for the
// next request to the same host and port (and so the same address: no second lookup): on this
// client connection while it lasts, then in the worker's UpstreamPool for other client
// connections. A kept connection found closed when the next request (without a body) goes out is
// dialled again, once.
//
// CONNECT (connect_session.cc): decided on its authority; the tunnel then belongs to the shared
// tunnel code (tunnel.cc), which checks the TLS SNI.
#include <memory>
#include <string>

#include "proxy/front/proxy_session.h"
#include "proxy/parse/http_request.h"
#include "proxy/parse/http_response.h"

namespace paddock::proxy {

std::unique_ptr<ProxySession> make_http_session(Worker& worker, uint64_t id, UniqueFd client);

class HttpSession final : public ProxySession {
 public:
  HttpSession(Worker& worker, uint64_t id, UniqueFd client);

 private:
  enum class ResponseState { Head, Body, Done };

  void handshake() override;
  void exchange() override;
  void on_connected() override;
  void on_dial_failed(int err, const std::string& why) override;
  void on_denied(const std::string& rule, const std::string& reason) override;
  void on_phase_timeout() override;
  bool reuse_upstream(const Verdict& v) override;
  void release_idle_upstream() override;

  void handle_request();
  void handle_connect();  // connect_session.cc
  void start_exchange();
  void pump_request();
  void pump_response();
  bool read_response_head();
  void upstream_failed_before_response(const std::string& why);
  void complete_request();
  void fail_exchange(const std::string& why, int status, std::string_view token);
  // Where the current request is going, as "host:port" (the key for reusing the upstream).
  std::string target_key() const;

  RequestHead req_;
  ParseCursor req_cursor_;
  bool is_connect_ = false;
  bool request_sent_ = false;  // head and body delivered upstream
  bool upstream_write_failed_ = false;
  bool upgrade_ = false;  // a WebSocket upgrade was asked upstream (upgrade.h)

  ResponseState resp_state_ = ResponseState::Head;
  std::string resp_buf_;
  ParseCursor resp_cursor_;
  ResponseHead resp_;
  bool resp_started_ = false;  // some response bytes were queued for the client
  bool got_response_bytes_ = false;
  bool client_keep_alive_ = false;
  bool upstream_dirty_ = false;  // bytes past the end of the response: do not reuse

  bool reused_ = false;
  bool retried_ = false;
  std::string idle_key_;  // target_key() of the open upstream connection, while it is idle
};

}  // namespace paddock::proxy
