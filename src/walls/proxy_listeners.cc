#include "walls/proxy_listeners.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

namespace paddock {

Result<UniqueFd> listen_on_loopback(uint16_t port) {
  std::string where = "127.0.0.1:" + std::to_string(port);
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
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
  if (::listen(s.get(), 4096) != 0) return sys_error("listen", where);
  return s;
}

Result<ProxyListeners> create_proxy_listeners() {
  auto http = listen_on_loopback(kHttpProxyPort);
  if (!http) return http.error();
  auto socks = listen_on_loopback(kSocksProxyPort);
  if (!socks) return socks.error();
  return ProxyListeners{std::move(*http), std::move(*socks)};
}

}  // namespace paddock
