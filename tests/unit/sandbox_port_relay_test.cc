// The host services' byte relay and init's socket factory, in one process.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "sandbox/port_relay.h"
#include "sandbox/socket_factory.h"

namespace paddock {
namespace {

uint16_t bound_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  return ntohs(a.sin_port);
}

// Echoes one connection's bytes upper-cased (so a relay that loops back is caught), then
// half-closes when its peer does.
void upper_echo(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i)
      if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] = char(buf[i] - 32);
    if (::write(fd, buf, size_t(n)) != n) break;
  }
  ::shutdown(fd, SHUT_WR);
}

TEST(PortRelay, RelaysBothWaysWithHalfClose) {
  // The far side: an echo server on an ephemeral loopback port.
  auto far = listen_on_host_loopback(0);
  ASSERT_TRUE(far.ok()) << far.error().message();
  const uint16_t far_port = bound_port(far->get());
  std::thread server([fd = far->get()] {
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1);
    int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(c, 0);
    upper_echo(c);
    ::close(c);
  });
  auto near = listen_on_host_loopback(0);
  ASSERT_TRUE(near.ok());
  const uint16_t near_port = bound_port(near->get());
  std::vector<RelayRoute> routes;
  routes.push_back({std::move(*near), [far_port]() -> Result<UniqueFd> {
                      UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
                      Status c = connect_loopback(s.get(), far_port, false);
                      if (!c.ok()) return c.error();
                      return s;
                    }});
  auto relay = PortRelay::start(std::move(routes));
  ASSERT_TRUE(relay.ok());

  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(connect_loopback(client.get(), near_port, false).ok());
  std::string sent(100000, 'a');
  std::thread writer([&] {
    ASSERT_EQ(::write(client.get(), sent.data(), sent.size()), ssize_t(sent.size()));
    ::shutdown(client.get(), SHUT_WR);
  });
  std::string got;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(client.get(), buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  writer.join();
  server.join();
  EXPECT_EQ(got, std::string(100000, 'A'));
  (*relay)->stop();
}

TEST(PortRelay, PortInUseSaysSo) {
  auto first = listen_on_host_loopback(0);
  ASSERT_TRUE(first.ok());
  auto second = listen_on_host_loopback(bound_port(first->get()));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().err, EADDRINUSE);
  EXPECT_NE(second.error().detail.find("--publish HOST_PORT:PORT"), std::string::npos);
}

TEST(SocketFactory, MakesTcpSocketsAndRefusesOtherFamilies) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd init_end(sv[0]);
  std::thread init([fd = init_end.get()] {
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) != 1 || !serve_socket_request(fd)) return;
    }
  });
  {
    SocketFactory f{UniqueFd(sv[1])};
    for (int family : {AF_INET, AF_INET6}) {
      auto s = f.make(family);
      ASSERT_TRUE(s.ok()) << s.error().message();
      int type = 0;
      socklen_t len = sizeof type;
      ASSERT_EQ(::getsockopt(s->get(), SOL_SOCKET, SO_TYPE, &type, &len), 0);
      EXPECT_EQ(type, SOCK_STREAM);
      EXPECT_NE(::fcntl(s->get(), F_GETFD) & FD_CLOEXEC, 0);
    }
    auto bad = f.make(AF_UNIX);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().err, EAFNOSUPPORT);
  }  // the factory's end closes: init stops serving
  init.join();
}

}  // namespace
}  // namespace paddock
