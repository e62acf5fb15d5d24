#include "sandbox/port_relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

namespace paddock {

struct PortRelay::State {
  std::vector<RelayRoute> routes;
  UniqueFd wake;  // eventfd: stop()
  std::thread acceptor;
  std::mutex mu;
  std::set<int> open;  // both ends of every live connection, to shut down at stop()
  std::atomic<int> connections{0};
  bool stopping = false;
};

namespace {

// One direction; at EOF the write side is half-closed so the peer sees the end of the stream.
void pump(int from, int to) {
  char buf[32768];
  for (;;) {
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::send(to, buf + off, size_t(n - off), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        ::shutdown(from, SHUT_RD);
        ::shutdown(to, SHUT_WR);
        return;
      }
      off += w;
    }
  }
  ::shutdown(to, SHUT_WR);
}

void serve(std::shared_ptr<PortRelay::State> st, UniqueFd client,
           std::function<Result<UniqueFd>()> dial) {
  auto peer = dial();
  if (!peer) {
    st->connections--;
    return;  // closing the client tells it: nothing listens on the other side
  }
  UniqueFd server = std::move(*peer);
  {
    std::lock_guard<std::mutex> g(st->mu);
    if (st->stopping) {
      st->connections--;
      return;
    }
    st->open.insert(client.get());
    st->open.insert(server.get());
  }
  int a = client.get(), b = server.get();
  std::thread back([a, b] { pump(b, a); });
  pump(a, b);
  back.join();
  {
    std::lock_guard<std::mutex> g(st->mu);
    st->open.erase(a);
    st->open.erase(b);
  }
  st->connections--;
}

void accept_loop(std::shared_ptr<PortRelay::State> st) {
  std::vector<pollfd> p;
  p.push_back({st->wake.get(), POLLIN, 0});
  for (const auto& r : st->routes) p.push_back({r.listener.get(), POLLIN, 0});
  for (;;) {
    if (::poll(p.data(), p.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[0].revents != 0) return;
    for (size_t i = 1; i < p.size(); ++i) {
      if (p[i].revents == 0) continue;
      UniqueFd c(::accept4(p[i].fd, nullptr, nullptr, SOCK_CLOEXEC));
      if (!c.valid()) {
        // Out of descriptors: the pending connection stays queued; wait rather than spin.
        if (errno == EMFILE || errno == ENFILE)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;  // EAGAIN, ECONNABORTED: the next poll retries
      }
      if (st->connections.load() >= PortRelay::kMaxConnections) continue;  // closed: refused
      st->connections++;
      try {
        std::thread(serve, st, std::move(c), st->routes[i - 1].dial).detach();
      } catch (const std::system_error&) {
        st->connections--;
      }
    }
  }
}

sockaddr_storage loopback(uint16_t port, bool ipv6, socklen_t& len) {
  sockaddr_storage ss{};
  if (ipv6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  }
  return ss;
}

}  // namespace

Result<std::unique_ptr<PortRelay>> PortRelay::start(std::vector<RelayRoute> routes) {
  std::unique_ptr<PortRelay> r(new PortRelay());
  r->state_ = std::make_shared<State>();
  r->state_->routes = std::move(routes);
  r->state_->wake.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!r->state_->wake.valid()) return sys_error("eventfd", "port relay");
  try {
    r->state_->acceptor = std::thread(accept_loop, r->state_);
  } catch (const std::system_error& e) {
    return plain_error("port relay", std::string("cannot start its thread: ") + e.what());
  }
  return r;
}

void PortRelay::stop() {
  if (!state_ || !state_->acceptor.joinable()) return;
  uint64_t one = 1;
  if (::write(state_->wake.get(), &one, sizeof one) < 0) {
    // The eventfd cannot be full after one write; nothing else can fail here.
  }
  state_->acceptor.join();
  std::lock_guard<std::mutex> g(state_->mu);
  state_->stopping = true;
  for (int fd : state_->open) ::shutdown(fd, SHUT_RDWR);
}

PortRelay::~PortRelay() {
  stop();
}

Result<UniqueFd> listen_on_host_loopback(uint16_t port) {
  std::string where = "127.0.0.1:" + std::to_string(port);
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s.valid()) return sys_error("socket", where);
  int one = 1;
  if (::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
    return sys_error("setsockopt(SO_REUSEADDR)", where);
  socklen_t len = 0;
  sockaddr_storage a = loopback(port, false, len);
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), len) != 0) {
    int err = errno;
    return sys_error("--publish: bind", where, err,
                     err == EADDRINUSE
                         ? "another program on the host listens there; choose another host "
                           "port with --publish HOST_PORT:PORT"
                         : "");
  }
  if (::listen(s.get(), 128) != 0) return sys_error("listen", where);
  return s;
}

Status connect_loopback(int sock, uint16_t port, bool ipv6) {
  socklen_t len = 0;
  sockaddr_storage a = loopback(port, ipv6, len);
  // The supervisor's threads run with its signals blocked: no EINTR half-way through.
  if (::connect(sock, reinterpret_cast<sockaddr*>(&a), len) != 0)
    return sys_error("connect", std::string(ipv6 ? "[::1]:" : "127.0.0.1:") + std::to_string(port));
  int one = 1;
  // Interactive traffic (a dev server's websocket, psql) should not wait for Nagle.
  if (::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
    return sys_error("setsockopt(TCP_NODELAY)", std::to_string(port));
  return ok_status();
}

}  // namespace paddock
