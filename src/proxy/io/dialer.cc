#include "proxy/io/dialer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

namespace paddock::proxy {

Status tune_socket(int fd) {
  const int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
    return sys_error("setsockopt TCP_NODELAY");
  }
  return ok_status();
}

bool prefer_unpaced(int fd) {
  static constexpr char kReno[] = "reno";
  return setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, kReno, sizeof kReno - 1) == 0;
}

bool is_loopback_peer(const sockaddr_storage& peer) {
  if (peer.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(peer);
    return (ntohl(in.sin_addr.s_addr) >> 24) == 127;
  }
  if (peer.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(peer);
    if (IN6_IS_ADDR_LOOPBACK(&in6.sin6_addr)) return true;
    return IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr) && in6.sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

Result<DialStart> start_connect(const IpAddress& address, uint16_t port) {
  const std::string where = address.to_host_string() + ":" + std::to_string(port);
  socklen_t len = 0;
  const sockaddr_storage sa = address.to_sockaddr(port, &len);
  DialStart d;
  d.fd.reset(::socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!d.fd.valid()) return sys_error("socket", where);
  PADDOCK_TRY(tune_socket(d.fd.get()));
  int rc;
  do {
    rc = ::connect(d.fd.get(), reinterpret_cast<const sockaddr*>(&sa), len);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) {
    d.connected = true;
  } else if (errno != EINPROGRESS) {
    return sys_error("connect", where);
  }
  return d;
}

int finish_connect(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;  // a connecting TCP socket is writable only once connected or failed
}

SocksReply socks_reply_for_connect_errno(int err) {
  switch (err) {
    case ECONNREFUSED:
      return SocksReply::ConnectionRefused;
    case ENETUNREACH:
    case ENETDOWN:
      return SocksReply::NetworkUnreachable;
    case EHOSTUNREACH:
    case EHOSTDOWN:
    case ETIMEDOUT:
      return SocksReply::HostUnreachable;
    default:
      return SocksReply::GeneralFailure;
  }
}

}  // namespace paddock::proxy
