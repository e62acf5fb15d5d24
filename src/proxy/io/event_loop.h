#pragma once
// One epoll loop per proxy thread.
//
// Why our own loop and not Boost.Asio: the supervisor must stay under 4 MiB RSS (DESIGN 8) and
// the relay wants splice(2) between sockets and pipes, which Asio does not model (it would need
// native handles and reactor-level hooks anyway). What the proxy needs is small: edge-triggered
// readiness for a few fds per connection, a thread-safe post() for resolver answers, a "run this
// again soon" queue for fairness, and a coarse once-a-second tick for timeouts. That is this file.
//
// Threading: an EventLoop is driven by exactly one thread (run()); post() and stop() may be called
// from any thread. Everything else must be called on the loop's own thread.
#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace paddock::proxy {

using Clock = std::chrono::steady_clock;

// Something registered with the loop: events are delivered to on_events on the loop's thread.
class Watcher {
 public:
  virtual ~Watcher() = default;
  virtual void on_events(uint32_t events) = 0;
};

// What the loop's owner supplies: a tick for timeouts, and cleanup after each batch of events.
class LoopHooks {
 public:
  virtual ~LoopHooks() = default;
  // Called about once a second while has_timers() is true.
  virtual void on_tick(Clock::time_point now) = 0;
  virtual bool has_timers() const = 0;
  // Called after each batch of events, posted and deferred tasks (objects retired during the batch
  // can be destroyed here: no event for them is pending any more).
  virtual void after_batch() = 0;
};

class EventLoop {
 public:
  using Task = std::function<void()>;

  static Result<std::unique_ptr<EventLoop>> create();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // EPOLL_CTL_ADD / MOD / DEL. Errors name the operation.
  Status add(int fd, uint32_t events, Watcher* w);
  Status modify(int fd, uint32_t events, Watcher* w);
  void remove(int fd);

  // Any thread: run task on the loop thread soon. Tasks still queued when the loop stops are
  // destroyed without running.
  void post(Task task);
  // Loop thread: run task after the current batch, before the loop sleeps again.
  void defer(Task task);
  // Any thread: make run() return after the current batch.
  void stop();

  void run(LoopHooks& hooks);

  // The time the current batch started (cheap; good enough for timeouts).
  Clock::time_point now() const { return now_; }

 private:
  // The eventfd that wakes the loop for post() and stop().
  class Wakeup : public Watcher {
   public:
    explicit Wakeup(int fd) : fd_(fd) {}
    void on_events(uint32_t) override;

   private:
    int fd_;
  };

  EventLoop(UniqueFd epoll, UniqueFd event);
  void wake();

  UniqueFd epoll_;
  UniqueFd event_;
  Wakeup wakeup_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<Task> posted_;  // guarded by mu_
  std::vector<Task> deferred_;
  Clock::time_point now_ = Clock::now();
  Clock::time_point next_tick_{};
};

}  // namespace paddock::proxy
