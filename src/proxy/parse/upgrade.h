#pragma once
// HTTP/1.1 protocol upgrades through the forward proxy: WebSocket (ws://) only. Pure.
//
// Upgrade and Connection are hop-by-hop, so the proxy's usual head drops them. A GET that asks
// for "Upgrade: websocket" (with "upgrade" among its Connection tokens, HTTP/1.1, no body) is
// decided like any request; once allowed it goes upstream asking for the upgrade, and a 101
// answer that names websocket turns the exchange into a raw relay both ways (the decision was
// already taken on the host and port; nothing after the 101 is HTTP). Any other 101 stays an
// upstream error.
#include <string>

#include "proxy/parse/http_request.h"
#include "proxy/parse/http_response.h"

namespace paddock::proxy {

bool is_websocket_upgrade(const RequestHead& head);

// serialize_request_head() with "Connection: Upgrade" and "Upgrade: websocket" instead of
// keep-alive. Only for a head is_websocket_upgrade() accepts.
std::string serialize_upgrade_request_head(const RequestHead& head);

// The upstream accepted: 101 with "Upgrade: websocket" and "upgrade" among its Connection
// tokens.
bool accepts_websocket_upgrade(const ResponseHead& response);

}  // namespace paddock::proxy
