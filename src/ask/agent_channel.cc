#include "ask/agent_channel.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "ask/agent_messages.h"
#include "base/printable.h"

namespace paddock::ask {

namespace {

constexpr unsigned kMaxNotes = 50;
constexpr std::size_t kReadChunk = 16 * 1024;

}  // namespace

Result<UniqueFd> adopt_agent_channel_fd(int fd) {
  const std::string what = "--agent-channel " + std::to_string(fd);
  if (fd < 3)
    return plain_error(what, "stdin, stdout and stderr belong to the command; pass another fd");
  const int fl = ::fcntl(fd, F_GETFD);
  if (fl < 0) return sys_error("fcntl(F_GETFD)", what, errno, "the descriptor is not open");
  struct stat st {};
  if (::fstat(fd, &st) != 0) return sys_error("fstat", what);
  int type = 0;
  socklen_t len = sizeof type;
  if (!S_ISSOCK(st.st_mode) || ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
      type != SOCK_STREAM)
    return plain_error(what,
                       "not a stream socket: pass one end of a socketpair(AF_UNIX, SOCK_STREAM) "
                       "(see docs/AGENT_CHANNEL.md)");
  // Nothing paddock starts may inherit it (the sandbox side closes its copy itself).
  if (::fcntl(fd, F_SETFD, fl | FD_CLOEXEC) != 0) return sys_error("fcntl(FD_CLOEXEC)", what);
  return UniqueFd(fd);
}

Result<std::unique_ptr<AgentChannel>> AgentChannel::start(UniqueFd fd,
                                                          std::shared_ptr<proxy::AskBroker> broker,
                                                          bool sole_answerer) {
  std::unique_ptr<AgentChannel> c(new AgentChannel());
  c->fd_ = std::move(fd);
  c->broker_ = std::move(broker);
  c->sole_answerer_ = sole_answerer;
  c->wake_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!c->wake_fd_.valid()) return sys_error("eventfd", "agent channel");
  // The thread must not take the signals the supervisor reads from its signalfd.
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &old);
  try {
    c->thread_ = std::thread([ch = c.get()] { ch->run(); });
  } catch (const std::system_error& e) {
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return plain_error("start agent channel thread", e.what());
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return c;
}

AgentChannel::~AgentChannel() {
  stop();
}

void AgentChannel::wake() {
  const uint64_t one = 1;
  // EAGAIN: the counter is already non-zero, the thread will wake anyway.
  (void)!::write(wake_fd_.get(), &one, sizeof one);
}

void AgentChannel::send(std::string line, bool droppable) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (!open_ || stopped_) return;
    if (droppable && out_.size() + line.size() > kMaxQueuedBytes) {
      ++dropped_;
      return;
    }
    out_ += line;
  }
  wake();
}

void AgentChannel::stop() {
  if (stopped_) return;
  stopping_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> g(mu_);
  stopped_ = true;
  fd_.reset();
}

void AgentChannel::closed(const std::string& why) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (!open_) return;
    open_ = false;
    out_.clear();
  }
  if (!broker_ || sole_answerer_) {
    std::fprintf(stderr, "paddock: agent channel: %s; questions are denied from now on\n",
                 why.c_str());
    if (broker_) broker_->close("the agent channel closed (" + why + ")");
  } else {
    std::fprintf(stderr, "paddock: agent channel: %s; questions are asked on the terminal only\n",
                 why.c_str());
  }
}

bool AgentChannel::write_some() {
  std::lock_guard<std::mutex> g(mu_);
  while (!out_.empty()) {
    const ssize_t n = ::send(fd_.get(), out_.data(), out_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return false;
  }
  if (dropped_ != 0 && !dropped_noted_) {
    dropped_noted_ = true;
    std::fprintf(stderr,
                 "paddock: agent channel: the agent is not reading; %zu blocked notices were "
                 "dropped (questions never are)\n",
                 dropped_);
  }
  return true;
}

void AgentChannel::handle_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return;
  auto note = [this](const std::string& what) {
    if (notes_ == kMaxNotes)
      std::fprintf(stderr, "paddock: agent channel: further notes suppressed\n");
    if (notes_++ >= kMaxNotes) return;
    std::fprintf(stderr, "paddock: agent channel: ignored a message: %s\n", what.c_str());
  };
  auto r = parse_agent_line(line);
  if (!r) {
    note(r.error().detail + ": " + printable(line, 120));
    return;
  }
  if (!broker_) {
    note("nothing is asked in this run (no --ask)");
    return;
  }
  if (broker_->answer(r->id, r->decision, r->reason) == proxy::AskBroker::AnswerResult::UnknownId)
    note("no question is open with id \"" + std::to_string(r->id) +
         "\" (answered already, or it timed out)");
}

void AgentChannel::read_lines() {
  char buf[kReadChunk];
  for (;;) {
    const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      closed(n == 0 ? "the agent closed it" : std::string("read: ") + std::strerror(errno));
      return;
    }
    std::string_view chunk(buf, static_cast<std::size_t>(n));
    while (!chunk.empty()) {
      const std::size_t nl = chunk.find('\n');
      const std::string_view part = chunk.substr(0, nl);
      if (!skipping_) in_.append(part);
      if (in_.size() > kMaxLineBytes) {
        in_.clear();
        if (!skipping_ && notes_++ < kMaxNotes)
          std::fprintf(stderr,
                       "paddock: agent channel: ignored a message: a line longer than %zu bytes\n",
                       kMaxLineBytes);
        skipping_ = true;
      }
      if (nl == std::string_view::npos) break;
      if (!skipping_) handle_line(in_);
      in_.clear();
      skipping_ = false;
      chunk.remove_prefix(nl + 1);
    }
  }
}

void AgentChannel::run() {
  std::optional<std::chrono::steady_clock::time_point> flush_until;
  for (;;) {
    bool open, pending;
    {
      std::lock_guard<std::mutex> g(mu_);
      open = open_;
      pending = !out_.empty();
    }
    if (stopping_) {
      if (!flush_until) flush_until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      if (!open || !pending || std::chrono::steady_clock::now() >= *flush_until) return;
    }
    pollfd p[2] = {{open ? fd_.get() : -1, short(POLLIN | (pending ? POLLOUT : 0)), 0},
                   {wake_fd_.get(), POLLIN, 0}};
    const int timeout = stopping_ ? 100 : -1;
    if (::poll(p, 2, timeout) < 0) {
      if (errno == EINTR) continue;
      closed(std::string("poll: ") + std::strerror(errno));
      return;
    }
    if (p[1].revents & POLLIN) {
      uint64_t v;
      (void)!::read(wake_fd_.get(), &v, sizeof v);
    }
    if (!open) {
      if (stopping_) return;
      continue;
    }
    if (p[0].revents & POLLOUT) {
      if (!write_some()) {
        closed(std::string("write: ") + std::strerror(errno));
        continue;
      }
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (stopping_) {
        // Answers that arrive while the run ends have nobody left to reach.
        char drop[4096];
        if (::recv(fd_.get(), drop, sizeof drop, MSG_DONTWAIT) == 0) return;
        continue;
      }
      read_lines();
    }
  }
}

}  // namespace paddock::ask
