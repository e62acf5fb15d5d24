#include "sshagent/agent_relay.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

namespace paddock::sshagent {

struct AgentRelay::State {
  UniqueFd listener;
  UniqueFd stop_event;
  std::string agent_path;
  KeyAllowlist allow;
  std::atomic<int> connections{0};
  std::thread acceptor;
};

namespace {

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(size_t(n));
  }
  return true;
}

bool read_exact(int fd, char* p, size_t n) {
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= size_t(r);
  }
  return true;
}

// One message body from `fd`; nullopt at end of stream, on an error or on a length that
// frame_size() refuses (the stream is then out of step: the connection ends).
std::optional<std::string> read_message(int fd) {
  char len[4];
  if (!read_exact(fd, len, 4)) return std::nullopt;
  auto size = frame_size(std::string_view(len, 4));
  if (!size) return std::nullopt;
  uint32_t n = uint32_t(uint8_t(len[0])) << 24 | uint32_t(uint8_t(len[1])) << 16 |
               uint32_t(uint8_t(len[2])) << 8 | uint32_t(uint8_t(len[3]));
  std::string body(n, '\0');
  if (!read_exact(fd, body.data(), n)) return std::nullopt;
  return body;
}

UniqueFd connect_agent(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) return UniqueFd();
  std::memcpy(a.sun_path, path.data(), path.size());
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return s;
  int r;
  do {
    r = ::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
  } while (r != 0 && errno == EINTR);
  if (r != 0) return UniqueFd();
  return s;
}

void serve(std::shared_ptr<AgentRelay::State> st, UniqueFd client) {
  UniqueFd agent;
  for (;;) {
    std::optional<std::string> body = read_message(client.get());
    if (!body) break;
    Decision d = decide(*body, st->allow);
    std::string reply;
    if (d.action == Decision::Action::kRefuse) {
      reply = failure_message();
    } else {
      if (!agent.valid()) agent = connect_agent(st->agent_path);
      std::optional<std::string> answer;
      if (agent.valid() && write_all(agent.get(), d.forward)) answer = read_message(agent.get());
      if (!answer) agent.reset();  // the agent went away: try afresh next time
      reply = answer ? filter_answer(d.kind, *answer, st->allow) : failure_message();
    }
    if (!write_all(client.get(), reply)) break;
  }
  st->connections.fetch_sub(1);
}

void accept_loop(std::shared_ptr<AgentRelay::State> st) {
  for (;;) {
    pollfd p[2] = {{st->listener.get(), POLLIN, 0}, {st->stop_event.get(), POLLIN, 0}};
    int n = ::poll(p, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents) return;
    if (!(p[0].revents & POLLIN)) {
      if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)) return;
      continue;
    }
    UniqueFd c(::accept4(st->listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!c.valid()) continue;
    if (st->connections.fetch_add(1) >= kMaxConnections) {
      st->connections.fetch_sub(1);
      continue;  // closed: the sandbox holds too many connections open already
    }
    try {
      std::thread(serve, st, std::move(c)).detach();
    } catch (...) {
      st->connections.fetch_sub(1);
    }
  }
}

}  // namespace

Result<std::unique_ptr<AgentRelay>> AgentRelay::start(UniqueFd listener, std::string agent_path,
                                                      KeyAllowlist allow) {
  auto st = std::make_shared<State>();
  st->listener = std::move(listener);
  st->agent_path = std::move(agent_path);
  st->allow = std::move(allow);
  st->stop_event.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!st->stop_event.valid()) return sys_error("eventfd", "ssh agent relay");
  int fl = ::fcntl(st->listener.get(), F_GETFL);
  if (fl < 0 || ::fcntl(st->listener.get(), F_SETFL, fl | O_NONBLOCK) != 0)
    return sys_error("fcntl", "ssh agent listener");
  // The relay's threads never take a signal meant for the supervisor's signalfd.
  sigset_t all, old;
  sigfillset(&all);
  if (::pthread_sigmask(SIG_BLOCK, &all, &old) != 0)
    return plain_error("pthread_sigmask", "ssh agent relay");
  try {
    st->acceptor = std::thread(accept_loop, st);
  } catch (const std::exception& e) {
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return plain_error("ssh agent relay", std::string("thread: ") + e.what());
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return std::unique_ptr<AgentRelay>(new AgentRelay(std::move(st)));
}

void AgentRelay::stop() {
  if (!state_ || !state_->acceptor.joinable()) return;
  uint64_t one = 1;
  ssize_t w = ::write(state_->stop_event.get(), &one, sizeof one);
  (void)w;  // an eventfd write of 1 cannot fail short of overflow
  state_->acceptor.join();
  state_->listener.reset();
}

AgentRelay::~AgentRelay() {
  stop();
}

}  // namespace paddock::sshagent
