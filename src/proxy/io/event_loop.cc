#include "proxy/io/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

namespace paddock::proxy {
namespace {

constexpr int kMaxEvents = 256;
constexpr auto kTickInterval = std::chrono::seconds(1);

}  // namespace

void EventLoop::Wakeup::on_events(uint32_t) {
  uint64_t v = 0;
  while (::read(fd_, &v, sizeof v) == static_cast<ssize_t>(sizeof v)) {
  }
}

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
  UniqueFd ep(epoll_create1(EPOLL_CLOEXEC));
  if (!ep.valid()) return sys_error("epoll_create1");
  UniqueFd ev(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!ev.valid()) return sys_error("eventfd");
  std::unique_ptr<EventLoop> loop(new EventLoop(std::move(ep), std::move(ev)));
  PADDOCK_TRY(loop->add(loop->event_.get(), EPOLLIN, &loop->wakeup_));
  return loop;
}

EventLoop::EventLoop(UniqueFd epoll, UniqueFd event)
    : epoll_(std::move(epoll)), event_(std::move(event)), wakeup_(event_.get()) {}

Status EventLoop::add(int fd, uint32_t events, Watcher* w) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = w;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return sys_error("epoll_ctl ADD");
  return ok_status();
}

Status EventLoop::modify(int fd, uint32_t events, Watcher* w) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = w;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) return sys_error("epoll_ctl MOD");
  return ok_status();
}

void EventLoop::remove(int fd) {
  if (fd >= 0) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::wake() {
  const uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the loop will wake anyway.
  [[maybe_unused]] ssize_t n = ::write(event_.get(), &one, sizeof one);
}

void EventLoop::post(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(task));
  }
  wake();
}

void EventLoop::defer(Task task) {
  deferred_.push_back(std::move(task));
}

void EventLoop::stop() {
  stopping_.store(true);
  wake();
}

void EventLoop::run(LoopHooks& hooks) {
  epoll_event events[kMaxEvents];
  std::vector<Task> tasks;
  while (!stopping_.load()) {
    int timeout = -1;
    if (!deferred_.empty()) {
      timeout = 0;
    } else if (hooks.has_timers()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_tick_ - now_);
      timeout = left.count() <= 0 ? 0 : static_cast<int>(left.count()) + 1;
    }
    const int n = epoll_wait(epoll_.get(), events, kMaxEvents, timeout);
    if (n < 0 && errno != EINTR) break;  // EBADF/EINVAL: nothing sensible left to do
    now_ = Clock::now();
    for (int i = 0; i < n; ++i) {
      static_cast<Watcher*>(events[i].data.ptr)->on_events(events[i].events);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks.swap(posted_);
    }
    for (Task& t : tasks) t();
    tasks.clear();
    // Tasks deferred while running these run in the next round (after a zero-timeout poll), so a
    // session that keeps re-deferring itself cannot starve the others.
    tasks.swap(deferred_);
    for (Task& t : tasks) t();
    tasks.clear();
    if (hooks.has_timers() && now_ >= next_tick_) {
      hooks.on_tick(now_);
      next_tick_ = now_ + kTickInterval;
    } else if (!hooks.has_timers()) {
      next_tick_ = now_ + kTickInterval;
    }
    hooks.after_batch();
  }
  std::lock_guard<std::mutex> lock(mu_);
  posted_.clear();
  deferred_.clear();
}

}  // namespace paddock::proxy
