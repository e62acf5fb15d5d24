#include "sandbox/terminal_relay.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <vector>

namespace paddock {

namespace {

using Clock = std::chrono::steady_clock;

// Bytes waiting in either direction before the relay stops reading that side.
constexpr std::size_t kMaxBuffered = 64 * 1024;
constexpr std::size_t kReadChunk = 16 * 1024;
// What the command wrote last is shown for at most this long once it has ended (a terminal that
// takes nothing must not keep paddock from exiting).
constexpr std::chrono::milliseconds kFinalFlush{2000};
// Our echo of an answer reaches the screen before whatever the answer prints.
constexpr std::chrono::milliseconds kEchoFlush{1000};

// The tty device a descriptor is open on (TIOCGDEV: the real one, also through /dev/tty).
bool tty_device(int fd, unsigned* dev) {
  return ::isatty(fd) == 1 && ::ioctl(fd, TIOCGDEV, dev) == 0;
}

}  // namespace

struct TerminalRelay::Inbox {
  struct Event {
    bool asked = false;
    proxy::AskQuestion question;  // asked
    uint64_t id = 0;              // settled
    proxy::AskAnswer answer;
  };
  std::mutex mu;
  std::vector<Event> events;
  std::shared_ptr<proxy::AskBroker> broker;
  bool open = true;
  UniqueFd wake;  // eventfd

  void post(Event e) {
    {
      std::lock_guard<std::mutex> g(mu);
      if (!open) return;
      events.push_back(std::move(e));
    }
    notify();
  }
  void notify() {
    const uint64_t one = 1;
    // EAGAIN: the counter is already non-zero, the thread will wake anyway.
    (void)!::write(wake.get(), &one, sizeof one);
  }
};

UniqueFd open_user_terminal() {
  UniqueFd tty(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!tty.valid()) return {};
  const pid_t fg = ::tcgetpgrp(tty.get());
  if (fg < 0 || fg != ::getpgrp()) return {};
  return tty;
}

Result<std::unique_ptr<TerminalRelay>> TerminalRelay::create(UniqueFd user_terminal) {
  std::unique_ptr<TerminalRelay> r(new TerminalRelay());
  r->tty_ = std::move(user_terminal);
  const int tty = r->tty_.get();
  struct termios modes {};
  if (::tcgetattr(tty, &modes) != 0) return sys_error("tcgetattr", "/dev/tty");
  unsigned dev = 0;
  if (!tty_device(tty, &dev)) return sys_error("ioctl(TIOCGDEV)", "/dev/tty");
  for (int fd = 0; fd <= 2; ++fd) {
    unsigned d = 0;
    if (tty_device(fd, &d) && d == dev) r->stdio_mask_ |= static_cast<uint8_t>(1u << fd);
  }
  r->relay_keys_ = (r->stdio_mask_ & 1u) != 0;
  const int fl = ::fcntl(tty, F_GETFL);
  if (fl < 0 || ::fcntl(tty, F_SETFL, fl | O_NONBLOCK) != 0)
    return sys_error("fcntl(O_NONBLOCK)", "/dev/tty");

  r->master_.reset(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK));
  if (!r->master_.valid()) return sys_error("open", "/dev/ptmx", errno, "paddock's own pty");
  int unlock = 0;
  if (::ioctl(r->master_.get(), TIOCSPTLCK, &unlock) != 0)
    return sys_error("ioctl(TIOCSPTLCK)", "/dev/ptmx");
  unsigned n = 0;
  if (::ioctl(r->master_.get(), TIOCGPTN, &n) != 0)
    return sys_error("ioctl(TIOCGPTN)", "/dev/ptmx");
  const std::string slave_path = "/dev/pts/" + std::to_string(n);
  // By the master, not by its path: nothing can put another node there meanwhile.
  r->slave_.reset(::ioctl(r->master_.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!r->slave_.valid()) return sys_error("ioctl(TIOCGPTPEER)", slave_path);
  if (::tcsetattr(r->slave_.get(), TCSANOW, &modes) != 0) return sys_error("tcsetattr", slave_path);
  r->copy_window_size();

  r->inbox_ = std::make_shared<Inbox>();
  r->inbox_->wake.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!r->inbox_->wake.valid()) return sys_error("eventfd", "terminal relay");
  return r;
}

TerminalRelay::~TerminalRelay() {
  stop();
}

std::array<int, 3> TerminalRelay::command_stdio() const {
  std::array<int, 3> fds{0, 1, 2};
  for (int fd = 0; fd <= 2; ++fd)
    if ((stdio_mask_ & (1u << fd)) != 0) fds[static_cast<size_t>(fd)] = slave_.get();
  return fds;
}

Status TerminalRelay::start() {
  sigset_t want, old;
  sigemptyset(&want);
  sigaddset(&want, SIGWINCH);
  sigaddset(&want, SIGCONT);
  // Blocked in this thread, and so in every thread started after it: a SIGWINCH taken by a
  // thread that does not block it would be discarded (its default is to ignore it).
  if (int e = ::pthread_sigmask(SIG_BLOCK, &want, &old); e != 0)
    return sys_error("pthread_sigmask", "terminal relay", e);
  sigemptyset(&blocked_);
  for (int s : {SIGWINCH, SIGCONT})
    if (sigismember(&old, s) == 0) sigaddset(&blocked_, s);
  signals_.reset(::signalfd(-1, &want, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals_.valid()) {
    int e = errno;
    ::pthread_sigmask(SIG_UNBLOCK, &blocked_, nullptr);
    return sys_error("signalfd", "terminal relay", e);
  }
  started_ = true;  // from here stop() sets everything back
  if (relay_keys_) set_raw(true);
  sigset_t all, mine;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &mine);
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& e) {
    ::pthread_sigmask(SIG_SETMASK, &mine, nullptr);
    return plain_error("start the terminal relay's thread", e.what());
  }
  ::pthread_sigmask(SIG_SETMASK, &mine, nullptr);
  return ok_status();
}

void TerminalRelay::attach(const std::shared_ptr<proxy::AskBroker>& broker) {
  {
    std::lock_guard<std::mutex> g(inbox_->mu);
    inbox_->broker = broker;
  }
  // The hooks hold the inbox, not the relay: the broker may outlive it.
  broker->add_front(proxy::AskBroker::Front{[in = inbox_](const proxy::AskQuestion& q) {
                                              Inbox::Event e;
                                              e.asked = true;
                                              e.question = q;
                                              in->post(std::move(e));
                                            },
                                            [in = inbox_](uint64_t id, const proxy::AskAnswer& a) {
                                              Inbox::Event e;
                                              e.id = id;
                                              e.answer = a;
                                              in->post(std::move(e));
                                            }});
}

bool TerminalRelay::signal_foreground(int sig) {
  std::lock_guard<std::mutex> g(master_mu_);
  return master_.valid() && ::ioctl(master_.get(), TIOCSIG, sig) == 0;
}

void TerminalRelay::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  stopping_ = true;
  inbox_->notify();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard<std::mutex> g(inbox_->mu);
    inbox_->open = false;
    inbox_->events.clear();
  }
  set_raw(false);
  // Cannot fail with a valid how and set; a pending SIGWINCH is then ignored, as by default.
  (void)::pthread_sigmask(SIG_UNBLOCK, &blocked_, nullptr);
}

void TerminalRelay::set_raw(bool raw) {
  if (raw == raw_ || !tty_ok_) {
    raw_ = raw && tty_ok_;
    return;
  }
  if (raw) {
    if (::tcgetattr(tty_.get(), &before_raw_) != 0) return;
    struct termios r = before_raw_;
    ::cfmakeraw(&r);
    if (::tcsetattr(tty_.get(), TCSANOW, &r) != 0) return;
  } else if (::tcsetattr(tty_.get(), TCSANOW, &before_raw_) != 0) {
    // The terminal went away: nothing left to set back.
  }
  raw_ = raw;
}

void TerminalRelay::copy_window_size() {
  struct winsize ws {};
  if (::ioctl(tty_.get(), TIOCGWINSZ, &ws) != 0) return;  // a terminal without a size
  std::lock_guard<std::mutex> g(master_mu_);
  // Fails only on a pty already hung up: no size left to keep.
  if (master_.valid() && ::ioctl(master_.get(), TIOCSWINSZ, &ws) != 0) return;
}

void TerminalRelay::close_pty() {
  // The slave hangs up: the command's session leader gets SIGHUP, its reads end.
  std::lock_guard<std::mutex> g(master_mu_);
  master_.reset();
  pty_ok_ = false;
  to_pty_.clear();
}

void TerminalRelay::terminal_gone() {
  tty_ok_ = false;
  to_tty_.clear();
  close_pty();
}

void TerminalRelay::take_events() {
  std::vector<Inbox::Event> events;
  {
    std::lock_guard<std::mutex> g(inbox_->mu);
    events.swap(inbox_->events);
  }
  const auto now = Clock::now();
  for (auto& e : events) {
    if (e.asked) {
      queue_.add(e.question, now);
    } else if (queue_.remove(e.id)) {
      if (line_open_) to_tty_ += "\r\n";
      line_open_ = false;
      to_tty_ += ask::render_settled(e.answer);
      last_out_ = '\n';
    }
  }
  show_next();
}

void TerminalRelay::show_next() {
  const ask::PromptItem* q = queue_.current();
  if (q != nullptr && !queue_.shown() && tty_ok_) {
    if (last_out_ != '\n') to_tty_ += "\r\n";
    to_tty_ += ask::render_question(*q, Clock::now());
    line_open_ = true;
    queue_.mark_shown(Clock::now());
  }
  set_raw(relay_keys_ || queue_.current() != nullptr);
}

void TerminalRelay::on_keys(const std::vector<ask::TerminalKey>& keys) {
  const ask::PromptItem* q = queue_.current();
  const auto now = Clock::now();
  const ask::KeyVerdict v = ask::judge_keys(keys, now - queue_.shown_at());
  if (v.kind == ask::KeyVerdict::Kind::Nothing) return;
  if (v.kind == ask::KeyVerdict::Kind::AskAgain) {
    to_tty_ += ask::render_ask_again() + ask::render_question(*q, now);
    return;
  }
  const uint64_t id = q->id;
  to_tty_ += ask::render_echo(v.decision);
  line_open_ = false;
  last_out_ = '\n';
  flush_terminal(kEchoFlush);
  std::shared_ptr<proxy::AskBroker> broker;
  {
    std::lock_guard<std::mutex> g(inbox_->mu);
    broker = inbox_->broker;
  }
  // Settled by someone else meanwhile (UnknownId): that settling is in the inbox and says how.
  if (broker) (void)broker->answer(id, v.decision, "");
}

void TerminalRelay::read_terminal() {
  char buf[kReadChunk];
  const ssize_t n = ::read(tty_.get(), buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    terminal_gone();
    return;
  }
  const std::string_view bytes(buf, static_cast<size_t>(n));
  // Always fed: a question that comes up in the middle of a sequence must know it.
  auto keys = keys_.feed(bytes, Clock::now());
  if (queue_.current() != nullptr && queue_.shown()) {
    on_keys(keys);
  } else if (relay_keys_ && pty_ok_) {
    to_pty_.append(bytes);
  }
}

void TerminalRelay::read_pty(short revents) {
  char buf[kReadChunk];
  const ssize_t n = ::read(master_.get(), buf, sizeof buf);
  if (n < 0 && errno == EINTR) return;
  if (n < 0 && errno == EAGAIN && (revents & (POLLHUP | POLLERR)) == 0) return;
  if (n <= 0) {
    // Only a hung-up pty ends so: the supervisor holds a slave open.
    close_pty();
    return;
  }
  if (!tty_ok_) return;
  to_tty_.append(buf, static_cast<size_t>(n));
  last_out_ = buf[n - 1];
}

void TerminalRelay::write_terminal() {
  const ssize_t n = ::write(tty_.get(), to_tty_.data(), to_tty_.size());
  if (n > 0) {
    to_tty_.erase(0, static_cast<size_t>(n));
  } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
    terminal_gone();
  }
}

void TerminalRelay::write_pty() {
  const ssize_t n = ::write(master_.get(), to_pty_.data(), to_pty_.size());
  if (n > 0) {
    to_pty_.erase(0, static_cast<size_t>(n));
  } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
    close_pty();
  }
}

void TerminalRelay::flush_terminal(std::chrono::milliseconds within) {
  const auto until = Clock::now() + within;
  while (tty_ok_ && !to_tty_.empty()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return;
    pollfd p{tty_.get(), POLLOUT, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno != EINTR) return;
    if (r > 0) write_terminal();
  }
}

void TerminalRelay::handle_signals() {
  signalfd_siginfo si;
  while (::read(signals_.get(), &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGWINCH) {
      copy_window_size();
    } else if (si.ssi_signo == SIGCONT && raw_) {
      // Stopped and continued: the shell set its own modes meanwhile.
      struct termios r = before_raw_;
      ::cfmakeraw(&r);
      // A terminal that refuses is gone: the next read says so.
      if (tty_ok_ && ::tcsetattr(tty_.get(), TCSANOW, &r) != 0) continue;
      copy_window_size();
    }
  }
}

void TerminalRelay::finish() {
  take_events();
  if (queue_.current() != nullptr && queue_.shown()) {
    if (line_open_) to_tty_ += "\r\n";
    line_open_ = false;
    to_tty_ += "\rpaddock: the command ended before an answer\r\n";
  }
  // Every process of the sandbox is gone (init was reaped), so what is left in the pty is all
  // there will be. A non-blocking read first processes what the line discipline still holds.
  while (pty_ok_ && tty_ok_) {
    char buf[kReadChunk];
    const ssize_t n = ::read(master_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    to_tty_.append(buf, static_cast<size_t>(n));
  }
  flush_terminal(kFinalFlush);
}

void TerminalRelay::run() {
  while (!stopping_) {
    take_events();
    const bool asking = queue_.current() != nullptr;
    short tty_events = 0;
    if (tty_ok_) {
      // An answer is read even when the command reads nothing.
      if (asking || (relay_keys_ && to_pty_.size() < kMaxBuffered)) tty_events |= POLLIN;
      if (!to_tty_.empty()) tty_events |= POLLOUT;
    }
    short pty_events = 0;
    if (pty_ok_) {
      // While a question is on the screen the command's output waits in the pty.
      if (!asking && to_tty_.size() < kMaxBuffered) pty_events |= POLLIN;
      if (!to_pty_.empty()) pty_events |= POLLOUT;
    }
    pollfd p[4] = {{tty_events != 0 ? tty_.get() : -1, tty_events, 0},
                   {pty_events != 0 ? master_.get() : -1, pty_events, 0},
                   {inbox_->wake.get(), POLLIN, 0},
                   {signals_.get(), POLLIN, 0}};
    if (::poll(p, 4, -1) < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "paddock: terminal relay: poll: %s\r\n", std::strerror(errno));
      break;
    }
    if (p[2].revents & POLLIN) {
      uint64_t v;
      (void)!::read(inbox_->wake.get(), &v, sizeof v);
    }
    if (p[3].revents & POLLIN) handle_signals();
    if (pty_ok_ && (p[1].revents & POLLOUT)) write_pty();
    if (tty_ok_ && (p[0].revents & POLLOUT)) write_terminal();
    if (pty_ok_ && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) read_pty(p[1].revents);
    if (tty_ok_ && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) read_terminal();
  }
  finish();
}

}  // namespace paddock
