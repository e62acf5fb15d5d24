#pragma once
// Threads that finish mediated calls which may wait: opening a FIFO, a blocking connect, a
// send into a full socket, an open held up by a lease. The call is judged first, on the
// mediator's thread; only the already-decided operation (on descriptors pinned during the
// judgement) runs here, and it answers the kernel itself. The mediator's own threads never
// wait on anything the sandbox controls, so one stuck call cannot stall the others, and a
// worker still waiting when the sandbox is gone never delays paddock's exit (workers are
// detached: they end with the process).
#include <sys/types.h>

#include <functional>
#include <memory>

namespace paddock::mediator {

class Workers {
 public:
  static std::shared_ptr<Workers> create(unsigned max_threads);
  virtual ~Workers() = default;
  // Runs `job` on a worker. False when every worker is busy and no more may start (the caller
  // then answers EAGAIN) or a thread cannot be created.
  virtual bool submit(std::function<void()> job) = 0;
  // Idle workers exit; busy ones exit after their job. Never waits.
  virtual void stop() = 0;
};

// Answers for a notification, usable from any thread.
void answer_error(int notify_fd, uint64_t id, int err);
void answer_value(int notify_fd, uint64_t id, long value);
// Installs `fd` in the caller (close-on-exec if asked) as the call's result. Returns the
// caller's new fd number, or -errno. `tid` (in our pid namespace), when known to be still
// waiting, lets the hand-over stay on this CPU; 0 skips that.
long answer_fd(int notify_fd, uint64_t id, pid_t tid, int fd, bool cloexec);

}  // namespace paddock::mediator
