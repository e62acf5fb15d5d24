// CONNECT on the HTTP proxy: the request names an authority (host:port), which is decided like any
// other request; once the upstream is connected the client reads "200 Connection established" and
// the tunnel code (tunnel.cc) takes over: it checks the client's TLS ClientHello names the same
// host, then relays. Denials and failures are answered in HTTP (403, 502, 504), as the tunnel does
// not exist yet.
#include "proxy/front/http_session.h"
#include "proxy/server_context.h"

namespace paddock::proxy {

void HttpSession::handle_connect() {
  // Bytes after the head (a client that sent its ClientHello without waiting for the 200) stay in
  // in_buf_ for the tunnel's check.
  begin(decide(ctx().rules, Request{Protocol::Connect, req_.host, req_.port}), req_.host);
}

}  // namespace paddock::proxy
