#include "walls/proxy_listeners.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

namespace paddock {

namespace {

Result<UniqueFd> bound_on(uint16_t port, int type) {
  std::string where =
      std::string(type == SOCK_DGRAM ? "udp " : "") + "127.0.0.1:" + std::to_string(port);
  UniqueFd s(::socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s.valid()) return sys_error("socket", where);
  int one = 1;
  if (::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
    return sys_error("setsockopt(SO_REUSEADDR)", where);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    return sys_error("bind", where);
  if (type == SOCK_STREAM && ::listen(s.get(), 4096) != 0) return sys_error("listen", where);
  return s;
}

}  // namespace

Result<UniqueFd> listen_on_loopback(uint16_t port) {
  return bound_on(port, SOCK_STREAM);
}

Result<ProxyListeners> create_proxy_listeners() {
  auto http = listen_on_loopback(kHttpProxyPort);
  if (!http) return http.error();
  auto socks = listen_on_loopback(kSocksProxyPort);
  if (!socks) return socks.error();
  auto capture = listen_on_loopback(kCapturePort);
  if (!capture) return capture.error();
  // Port 53 is below ip_unprivileged_port_start: the sandbox side still holds its capabilities
  // in the namespace's own user namespace here.
  auto udp = bound_on(kDnsPort, SOCK_DGRAM);
  if (!udp) return udp.error();
  auto tcp = listen_on_loopback(kDnsPort);
  if (!tcp) return tcp.error();
  return ProxyListeners{std::move(*http), std::move(*socks), std::move(*capture), std::move(*udp),
                        std::move(*tcp)};
}

}  // namespace paddock
