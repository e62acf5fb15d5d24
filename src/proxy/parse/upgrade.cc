#include "proxy/parse/upgrade.h"

#include <algorithm>

namespace paddock::proxy {

namespace {

bool has_token(const std::vector<Header>& headers, std::string_view name, std::string_view token) {
  const std::vector<std::string> tokens = header_tokens(headers, name);
  return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
}

}  // namespace

bool is_websocket_upgrade(const RequestHead& head) {
  return head.method == "GET" && head.version_minor == 1 && head.framing == BodyFraming::None &&
         has_token(head.headers, "Connection", "upgrade") &&
         has_token(head.headers, "Upgrade", "websocket");
}

std::string serialize_upgrade_request_head(const RequestHead& head) {
  std::string r = serialize_request_head(head, /*keep_alive=*/false);
  static constexpr std::string_view kClose = "Connection: close\r\n\r\n";
  r.resize(r.size() - kClose.size());
  r += "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
  return r;
}

bool accepts_websocket_upgrade(const ResponseHead& response) {
  return response.status == 101 && has_token(response.headers, "Connection", "upgrade") &&
         has_token(response.headers, "Upgrade", "websocket");
}

}  // namespace paddock::proxy
