#include "dns/server.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

namespace paddock::dns {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kDatagramsPerWakeup = 64;

Status make_nonblocking(int fd, const char* what) {
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) return sys_error("fcntl", what);
  return ok_status();
}

struct TcpClient {
  UniqueFd fd;
  std::string in;
  std::string out;
  Clock::time_point deadline;
};

// Sends what is queued; false when the connection is done for.
bool flush(TcpClient& c) {
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    c.out.erase(0, size_t(n));
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<DnsServer>> DnsServer::start(UniqueFd udp, UniqueFd tcp, NameJudge judge,
                                                    std::shared_ptr<FakeIpTable> table) {
  std::unique_ptr<DnsServer> s(new DnsServer());
  if (udp.valid()) PADDOCK_TRY(make_nonblocking(udp.get(), "dns udp socket"));
  if (tcp.valid()) PADDOCK_TRY(make_nonblocking(tcp.get(), "dns tcp listener"));
  s->udp_ = std::move(udp);
  s->tcp_ = std::move(tcp);
  s->wake_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!s->wake_.valid()) return sys_error("eventfd", "dns server");
  s->judge_ = std::move(judge);
  s->table_ = std::move(table);
  try {
    s->thread_ = std::thread([p = s.get()] { p->run(); });
  } catch (const std::system_error& e) {
    return plain_error("start dns thread", e.what());
  }
  return s;
}

DnsServer::~DnsServer() {
  stop();
}

void DnsServer::request_stop() {
  if (stop_requested_) return;
  stop_requested_ = true;
  const uint64_t one = 1;
  if (::write(wake_.get(), &one, sizeof one) != sizeof one) {
    // The eventfd cannot be full after one write; nothing else to do.
  }
}

void DnsServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  request_stop();
  if (thread_.joinable()) thread_.join();
}

void DnsServer::run() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  std::vector<TcpClient> clients;
  std::vector<pollfd> fds;
  char buf[65536];
  for (;;) {
    fds.clear();
    fds.push_back({wake_.get(), POLLIN, 0});
    fds.push_back({udp_.valid() ? udp_.get() : -1, POLLIN, 0});
    fds.push_back({tcp_.valid() && clients.size() < kMaxTcpClients ? tcp_.get() : -1, POLLIN, 0});
    for (const auto& c : clients)
      fds.push_back({c.fd.get(), short(POLLIN | (c.out.empty() ? 0 : POLLOUT)), 0});
    const int n = ::poll(fds.data(), fds.size(), clients.empty() ? -1 : 1000);
    if (n < 0 && errno != EINTR) return;
    if (fds[0].revents) return;
    if (fds[1].revents & POLLIN) {
      for (int i = 0; i < kDatagramsPerWakeup; ++i) {
        sockaddr_storage peer{};
        socklen_t plen = sizeof peer;
        const ssize_t r = ::recvfrom(udp_.get(), buf, sizeof buf, MSG_DONTWAIT,
                                     reinterpret_cast<sockaddr*>(&peer), &plen);
        if (r < 0) break;
        auto reply = answer_query(std::string_view(buf, size_t(r)), judge_, *table_);
        if (!reply) continue;
        answered_.fetch_add(1, std::memory_order_relaxed);
        // A lost datagram is the client's to retry, as on any network.
        (void)::sendto(udp_.get(), reply->data(), reply->size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                       reinterpret_cast<sockaddr*>(&peer), plen);
      }
    }
    const Clock::time_point now = Clock::now();
    if (fds[2].revents & POLLIN) {
      while (clients.size() < kMaxTcpClients) {
        const int fd = ::accept4(tcp_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        clients.push_back({UniqueFd(fd), {}, {}, now + kTcpIdle});
      }
    }
    // New clients were appended after the pollfds were built: only the first ones have events.
    const size_t polled = fds.size() - 3;
    std::vector<bool> done(clients.size(), false);
    for (size_t i = 0; i < clients.size(); ++i) {
      TcpClient& c = clients[i];
      if (i < polled && (fds[3 + i].revents & (POLLIN | POLLHUP | POLLERR))) {
        const ssize_t r = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
          done[i] = true;
          continue;
        }
        if (r > 0) c.in.append(buf, size_t(r));
        while (c.in.size() >= 2) {
          const size_t len = (size_t(uint8_t(c.in[0])) << 8) | uint8_t(c.in[1]);
          if (c.in.size() < 2 + len) break;
          auto reply = answer_query(std::string_view(c.in).substr(2, len), judge_, *table_);
          c.in.erase(0, 2 + len);
          c.deadline = now + kTcpIdle;
          if (!reply) continue;
          answered_.fetch_add(1, std::memory_order_relaxed);
          c.out.push_back(char(reply->size() >> 8));
          c.out.push_back(char(reply->size() & 0xFF));
          c.out.append(*reply);
        }
        // A client that never reads its answers does not make us hold more than this.
        if (c.out.size() > 256 * 1024) done[i] = true;
      }
      if (!done[i] && !flush(c)) done[i] = true;
      if (now >= c.deadline) done[i] = true;
    }
    size_t w = 0;
    for (size_t i = 0; i < clients.size(); ++i)
      if (!done[i]) clients[w++] = std::move(clients[i]);
    clients.resize(w);
  }
}

}  // namespace paddock::dns
