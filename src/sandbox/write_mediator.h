#pragma once
// The supervisor's half of write mediation. The seccomp filter hands every call that can create
// a name or open for writing to this thread; it reads its own copy of the path, resolves it in
// the sandbox's root, judges the landing place (protected names, writable roots), and performs
// the call itself, returning the result (an fd is injected with SECCOMP_IOCTL_NOTIF_ADDFD).
// The kernel never continues a call whose arguments we checked, so a second thread rewriting
// the path after the check changes nothing. Calls are served one at a time, so no rename can
// slip between a check and the operation it guards.
#include <sys/types.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "policy/fs_policy.h"

namespace paddock {

// TCP rules the supervisor applies to the connect/bind calls it performs for the sandbox (the
// same ones Landlock enforces on calls the kernel runs itself).
struct SocketRules {
  bool allow_local_binding = false;
  std::vector<uint16_t> connect_ports;  // TCP ports reachable when !allow_local_binding
};

class WriteMediator {
 public:
  WriteMediator(UniqueFd notify_fd, const FsPolicy& policy, SocketRules sockets);
  ~WriteMediator();
  WriteMediator(const WriteMediator&) = delete;
  WriteMediator& operator=(const WriteMediator&) = delete;

  // `root` is the sandbox's root directory (O_PATH), where every path is resolved.
  Status start(UniqueFd root);
  void stop();

  // Denied writes, deduplicated: "path (reason)" -> count.
  std::map<std::string, unsigned> denials() const;

  // Gitfiles created during the run that are not `git worktree add` links are renamed aside
  // (after the sandbox has ended); returns what was moved.
  std::vector<std::string> quarantine_foreign_gitfiles();
  void note_new_gitfile(const std::string& path);

 private:
  void loop();
  void record(const std::string& what);

  UniqueFd notify_;
  UniqueFd stop_event_;
  UniqueFd root_;
  const FsPolicy& policy_;
  SocketRules sockets_;
  std::set<std::pair<dev_t, ino_t>> bound_inside_;  // unix sockets the sandbox created
  std::set<dev_t> private_devs_;                    // the sandbox's /tmp, /var/tmp, /dev/shm
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<std::string, unsigned> denials_;
  std::vector<std::string> new_gitfiles_;
  friend class MediatorRequest;
};

}  // namespace paddock
