#pragma once
// One proxy thread: an EventLoop, both listeners (shared with the other workers through
// EPOLLEXCLUSIVE, so one connection wakes one thread), and the sessions it accepted. A session
// stays on the thread that accepted it for its whole life; nothing about it is shared.
#include <memory>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "proxy/front/proxy_session.h"
#include "proxy/io/event_loop.h"
#include "proxy/io/upstream_pool.h"

namespace paddock::proxy {

struct ServerContext;

class Worker final : public LoopHooks {
 public:
  // http_fd / socks_fd / captured_fd: listening sockets (non-blocking), or -1 when not served.
  static Result<std::unique_ptr<Worker>> create(ServerContext& ctx, int http_fd, int socks_fd,
                                                int captured_fd = -1);
  ~Worker() override;

  void run();   // the thread body; returns after stop()
  void stop();  // any thread

  EventLoop& loop() { return *loop_; }
  ServerContext& ctx() { return ctx_; }
  UpstreamPool& pool() { return pool_; }

  ProxySession* find(uint64_t id);
  // The session has closed: destroyed after the current batch of events.
  void retire(uint64_t id);
  // Run the session's advance() again after this batch (fairness after a relay's budget).
  void again(uint64_t id);

  // LoopHooks
  void on_tick(Clock::time_point now) override;
  bool has_timers() const override {
    return !sessions_.empty() || paused_listeners_ || pool_.size() > 0;
  }
  void after_batch() override { graveyard_.clear(); }

 private:
  enum class Kind { Http, Socks, Captured };
  class Listener : public Watcher {
   public:
    Listener(Worker* w, int fd, Kind kind) : worker_(w), fd_(fd), kind_(kind) {}
    void on_events(uint32_t events) override;
    int fd() const { return fd_; }
    bool paused = false;
    Clock::time_point resume_at{};

   private:
    Worker* worker_;
    int fd_;
    Kind kind_;
  };

  Worker(ServerContext& ctx, std::unique_ptr<EventLoop> loop);
  void accept_from(Listener& l, Kind kind);
  void pause(Listener& l);

  ServerContext& ctx_;
  std::unique_ptr<EventLoop> loop_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  bool paused_listeners_ = false;
  std::unordered_map<uint64_t, std::unique_ptr<ProxySession>> sessions_;
  std::vector<std::unique_ptr<ProxySession>> graveyard_;
  UpstreamPool pool_;
  uint64_t next_id_ = 1;
  bool try_unpaced_ = true;  // see prefer_unpaced()
};

}  // namespace paddock::proxy
