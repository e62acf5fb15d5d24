// paddock connect HOST PORT: see connect_command.h. Plain blocking sockets and poll(2); depends on
// nothing but libc, so it works the same in the smallest sandbox.
#include "cli/connect_command.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "base/unique_fd.h"

namespace paddock {
namespace {

constexpr std::string_view kDefaultProxy = "127.0.0.1:1080";
constexpr int kHandshakeTimeoutMs = 60 * 1000;  // the proxy resolves and dials within ~30 s
constexpr std::size_t kRelayBuffer = 64 * 1024;

Error failure(std::string detail) {
  Error e = plain_error("connect", std::move(detail));
  e.exit_code = 1;
  return e;
}

// "host:port" or "[v6]:port" with an IP literal host.
Result<sockaddr_storage> parse_proxy_address(std::string_view text, socklen_t* len) {
  const auto bad = [&] {
    return plain_error("connect", "PADDOCK_SOCKS must be IP:PORT or [IPv6]:PORT, not \"" +
                                      std::string(text) + "\"");
  };
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad();
  std::string host(text.substr(0, colon));
  const std::string port_text(text.substr(colon + 1));
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos) {
    return bad();
  }
  const unsigned long port = std::strtoul(port_text.c_str(), nullptr, 10);
  if (port == 0 || port > 65535) return bad();
  sockaddr_storage ss{};
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    auto* sa6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET6, host.c_str(), &sa6->sin6_addr) != 1) return bad();
    sa6->sin6_family = AF_INET6;
    sa6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in6);
    return ss;
  }
  auto* sa4 = reinterpret_cast<sockaddr_in*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &sa4->sin_addr) != 1) return bad();
  sa4->sin_family = AF_INET;
  sa4->sin_port = htons(static_cast<uint16_t>(port));
  *len = sizeof(sockaddr_in);
  return ss;
}

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w =
        fd == STDOUT_FILENO ? ::write(fd, data, n) : ::send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// Reads exactly n bytes, waiting at most kHandshakeTimeoutMs for each read.
Status read_exact(int fd, char* out, std::size_t n, std::string_view what) {
  while (n > 0) {
    pollfd p{fd, POLLIN, 0};
    const int rc = poll(&p, 1, kHandshakeTimeoutMs);
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) return failure(std::string(what) + ": paddock's proxy did not answer in time");
    const ssize_t r = ::recv(fd, out, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return failure(std::string(what) + ": " + std::strerror(errno));
    if (r == 0) return failure(std::string(what) + ": paddock's proxy closed the connection");
    out += r;
    n -= static_cast<std::size_t>(r);
  }
  return ok_status();
}

std::string_view reply_text(unsigned char rep) {
  switch (rep) {
    case 0x01:
      return "failed at paddock's proxy (general failure)";
    case 0x02:
      return "refused by paddock's proxy (not allowed)";
    case 0x03:
      return "unreachable (network unreachable)";
    case 0x04:
      return "unreachable (host unreachable, or the name did not resolve)";
    case 0x05:
      return "refused (connection refused)";
    case 0x06:
      return "unreachable (TTL expired)";
    case 0x07:
      return "refused by paddock's proxy (command not supported)";
    case 0x08:
      return "refused by paddock's proxy (address type not supported)";
    default:
      return "failed at paddock's proxy (unknown reply)";
  }
}

// The SOCKS5 CONNECT request for host:port; empty when host cannot be expressed.
std::string socks_request(const std::string& host, uint16_t port) {
  std::string r = {5, 1, 0};
  std::string bare = host;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  in_addr a4{};
  in6_addr a6{};
  if (inet_pton(AF_INET, bare.c_str(), &a4) == 1) {
    r.push_back(1);
    r.append(reinterpret_cast<const char*>(&a4), 4);
  } else if (inet_pton(AF_INET6, bare.c_str(), &a6) == 1) {
    r.push_back(4);
    r.append(reinterpret_cast<const char*>(&a6), 16);
  } else {
    if (host.empty() || host.size() > 255) return {};
    r.push_back(3);
    r.push_back(static_cast<char>(host.size()));
    r += host;
  }
  r.push_back(static_cast<char>(port >> 8));
  r.push_back(static_cast<char>(port & 0xff));
  return r;
}

// stdin -> sock, sock -> stdout, until both have ended.
Result<int> relay(int sock, const std::string& where) {
  static char buf[kRelayBuffer];
  bool in_open = true;   // stdin still being read
  bool out_open = true;  // the connection still being read
  while (in_open || out_open) {
    pollfd p[2] = {{in_open ? STDIN_FILENO : -1, POLLIN, 0}, {out_open ? sock : -1, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return sys_error("poll");
    }
    if (in_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        in_open = false;
        ::shutdown(sock, SHUT_WR);
      } else if (!write_all(sock, buf, static_cast<std::size_t>(n))) {
        if (!out_open) return 0;  // the other side is gone in both directions
        in_open = false;          // it stopped reading; keep passing on what it sends
      }
    }
    if (out_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t n = ::recv(sock, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return failure(where + ": " + std::strerror(errno));
      if (n == 0) {
        out_open = false;
        ::close(STDOUT_FILENO);  // EOF for the reader (ssh)
      } else if (!write_all(STDOUT_FILENO, buf, static_cast<std::size_t>(n))) {
        return 0;  // nobody reads our output any more
      }
    }
  }
  return 0;
}

}  // namespace

Result<int> connect_command(const std::string& host, uint16_t port) {
  ::signal(SIGPIPE, SIG_IGN);  // a closed stdout or connection is an error value, not a signal
  const bool v6 = host.find(':') != std::string::npos && host.front() != '[';
  const std::string where = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  if (port == 0) return plain_error("connect", "port 0 is not a destination", where);
  const std::string request = socks_request(host, port);
  if (request.empty()) return plain_error("connect", "host name must be 1 to 255 bytes", where);

  const char* env = std::getenv("PADDOCK_SOCKS");
  const std::string proxy = env != nullptr && *env != '\0' ? env : std::string(kDefaultProxy);
  socklen_t len = 0;
  auto addr = parse_proxy_address(proxy, &len);
  if (!addr) return addr.error();

  UniqueFd sock(::socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return sys_error("socket");
  int rc;
  do {
    rc = ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&*addr), len);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    Error e = sys_error("connect", "to paddock's SOCKS proxy at " + proxy);
    e.exit_code = 1;
    return e;
  }
  const int one = 1;
  setsockopt(sock.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  // Greeting: version 5, one method, no authentication.
  if (!write_all(sock.get(), "\x05\x01\x00", 3))
    return failure(where + ": " + std::strerror(errno));
  char method[2];
  PADDOCK_TRY(read_exact(sock.get(), method, 2, where));
  if (method[0] != 5 || static_cast<unsigned char>(method[1]) != 0) {
    return failure(where + " refused by paddock's proxy (no acceptable authentication method)");
  }

  if (!write_all(sock.get(), request.data(), request.size())) {
    return failure(where + ": " + std::strerror(errno));
  }
  char head[4];
  PADDOCK_TRY(read_exact(sock.get(), head, 4, where));
  if (head[0] != 5) return failure(where + ": paddock's proxy sent an invalid reply");
  const auto rep = static_cast<unsigned char>(head[1]);
  if (rep != 0) return failure(where + " " + std::string(reply_text(rep)));
  // Skip the bound address and port.
  std::size_t rest = 0;
  switch (head[3]) {
    case 1:
      rest = 4 + 2;
      break;
    case 4:
      rest = 16 + 2;
      break;
    case 3: {
      char n;
      PADDOCK_TRY(read_exact(sock.get(), &n, 1, where));
      rest = static_cast<unsigned char>(n) + 2u;
      break;
    }
    default:
      return failure(where + ": paddock's proxy sent an invalid reply");
  }
  char skip[258];
  PADDOCK_TRY(read_exact(sock.get(), skip, rest, where));

  return relay(sock.get(), where);
}

}  // namespace paddock
