#pragma once
// The sandboxed thread waiting in a mediated syscall, as the supervisor sees it: its memory
// (read with process_vm_readv, never trusted), its descriptors (copied with pidfd_getfd from
// that very thread, so Go, Java and threaded Python callers work), its /proc entries, and the
// check that it is still the one waiting (so a reused pid cannot receive our answer).
#include <linux/seccomp.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "mediator/task_cache.h"

namespace paddock::mediator {

// -errno to the caller, or success. Handlers return these; nothing they do throws.
struct CallError {
  int err;
};

template <class T>
struct Out {
  T value{};
  int err = 0;
  Out(T v) : value(std::move(v)) {}  // NOLINT(google-explicit-constructor)
  Out(CallError e) : err(e.err) {}   // NOLINT(google-explicit-constructor)
  bool ok() const { return err == 0; }
};

class Caller {
 public:
  // `tasks` (optional) keeps per-thread descriptors across calls.
  Caller(int notify_fd, const seccomp_notif& req, TaskCache* tasks = nullptr)
      : notify_(notify_fd), req_(req), tasks_(tasks) {}

  uint64_t id() const { return req_.id; }
  pid_t tid() const { return static_cast<pid_t>(req_.pid); }
  int nr() const { return req_.data.nr; }
  const __u64* args() const { return req_.data.args; }
  int notify_fd() const { return notify_; }

  // "/proc/TID/<rest>" in the supervisor's /proc: the waiting thread's own entries.
  std::string proc(const std::string& rest) const;

  // Our copy of a NUL-terminated string (at most PATH_MAX bytes before the NUL).
  Out<std::string> read_string(uint64_t addr) const;
  // Our copy of `len` bytes (callers bound len first).
  Out<std::vector<char>> read_bytes(uint64_t addr, size_t len) const;
  // A sockaddr of `len` bytes; EINVAL when larger than sockaddr_storage.
  Out<sockaddr_storage> read_sockaddr(uint64_t addr, socklen_t len) const;

  // A copy of the caller's descriptor `fd` (EBADF when it has none).
  Out<UniqueFd> fd(int fd);

  // Still waiting for our answer? (Its pid cannot have been reused while this holds.)
  bool still_valid() const;

  mode_t umask() const;
  // The caller's thread-group id and thread id in the sandbox's pid namespace, as decimal text.
  std::string ns_tgid() const;
  std::string ns_tid() const;
  // The thread's name (comm, as /proc shows it), chosen by the caller.
  std::string name() const;

 private:
  std::string status_field(const char* key) const;
  const std::string& status_text() const;
  Out<std::shared_ptr<const TaskCache::Pidfd>> pidfd(bool fresh);

  int notify_;
  const seccomp_notif& req_;
  TaskCache* tasks_;
  std::shared_ptr<const TaskCache::Pidfd> pidfd_;
  mutable std::optional<std::string> status_;  // /proc/TID/status, read once per call
};

}  // namespace paddock::mediator
