#pragma once
// Descriptors of the sandbox's threads kept from one mediated call to the next: a pidfd (to
// copy the thread's descriptors) and its /proc/TID/status (re-read with pread for the umask and
// pids). Opening both costs four syscalls per call otherwise. A tid the kernel gives to a new
// thread is no danger: descriptors of the old, dead thread answer ESRCH (or nothing), and the
// caller then asks for fresh ones, which name the thread that is waiting (tids of live threads
// are unique).
#include <sys/types.h>

#include <memory>
#include <mutex>
#include <unordered_map>

#include "base/unique_fd.h"

namespace paddock::mediator {

class TaskCache {
 public:
  struct Pidfd {
    UniqueFd fd;
    bool group = false;  // a thread-group pidfd (kernels before 6.9): copies need checking
  };
  // Null when absent; `fresh` drops what is cached first.
  std::shared_ptr<const UniqueFd> status(pid_t tid, bool fresh);
  std::shared_ptr<const Pidfd> pidfd(pid_t tid) const;
  void set_pidfd(pid_t tid, std::shared_ptr<const Pidfd> p);
  void forget_pidfd(pid_t tid);

 private:
  struct Entry {
    std::shared_ptr<const UniqueFd> status;
    std::shared_ptr<const Pidfd> pidfd;
  };
  void make_room();

  static constexpr size_t kMax = 512;
  mutable std::mutex mu_;
  std::unordered_map<pid_t, Entry> tasks_;
};

}  // namespace paddock::mediator
