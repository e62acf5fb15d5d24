#pragma once
// What every mediated call may consult: the policy, the sandbox's root and its private mounts,
// the socket rules, the records kept for the exit summary, and the workers that finish calls
// which would block. Set up once before the first call; shared by the mediator's threads.
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "base/unique_fd.h"
#include "dns/capture.h"
#include "mediator/task_cache.h"
#include "mediator/workers.h"
#include "policy/fs_policy.h"
#include "policy/git_control.h"

namespace paddock::mediator {

// TCP rules the supervisor applies to the connect/bind calls it performs for the sandbox (the
// same ones Landlock enforces on calls the kernel runs itself).
struct SocketRules {
  bool allow_local_binding = false;
  std::vector<uint16_t> connect_ports;  // TCP ports reachable when !allow_local_binding
  std::vector<uint16_t> bind_ports;     // TCP ports bindable anyway (--publish)
  // Connects to the resolver's addresses are joined to the proxy (capture_ops.h); none if null.
  std::shared_ptr<const dns::Capture> capture;
};

// Refusals for the exit summary, and unix sockets the sandbox bound (its own, reachable).
class Records {
 public:
  // Told of every refusal as it happens (the agent channel's "blocked"): the operation, the
  // path or address (empty when `what` says it all) and the reason. Must not block.
  using Sink = std::function<void(const std::string& what, const std::string& path,
                                  const std::string& reason)>;
  // Before the mediator starts; not changed while it serves.
  void set_sink(Sink s) { sink_ = std::move(s); }
  // A refusal of a socket call (connect, bind, sendto): network, not filesystem, to the user.
  static bool is_socket_call(std::string_view what) {
    return what.starts_with("connect") || what.starts_with("bind") || what.starts_with("send");
  }
  void refused(const std::string& what);
  void refused(const std::string& what, const std::string& path, const std::string& reason);
  std::map<std::string, unsigned> denials() const;
  void bound_socket(dev_t dev, ino_t ino);
  bool is_bound_socket(dev_t dev, ino_t ino) const;
  // Regular files this run created through the mediator (judged then; renames and links keep
  // them out of protected places), by device, inode and birth time (an inode number the
  // filesystem reuses later is another file). A bounded window: tar's fchmod right after the
  // create is answered without judging the path again.
  void created_file(int fd);
  bool is_created_file(int fd) const;
  void forget_file(dev_t dev, ino_t ino);

  // `.git` directories made in this run (git init, clone): the sandbox may remove its own.
  void created_gitdir(dev_t dev, ino_t ino);
  bool is_created_gitdir(dev_t dev, ino_t ino) const;

 private:
  Sink sink_;
  mutable std::mutex mu_;
  std::map<std::string, unsigned> denials_;
  std::set<std::pair<dev_t, ino_t>> bound_;
  std::set<std::pair<dev_t, ino_t>> gitdirs_;
  struct FileKey {
    dev_t dev;
    ino_t ino;
    int64_t btime_sec;
    uint32_t btime_nsec;
    bool operator<(const FileKey& o) const {
      return std::tie(dev, ino, btime_sec, btime_nsec) <
             std::tie(o.dev, o.ino, o.btime_sec, o.btime_nsec);
    }
  };
  static std::optional<FileKey> key_of(int fd);
  std::set<FileKey> created_;
  std::deque<FileKey> created_order_;
};

// Judges the content of a file the sandbox wants installed at a git control path (a config or
// a todo list): empty when allowed, else the reason. `previous` is the file it replaces. Set by
// the supervisor, which knows the network policy (where remotes may point) and the user's
// git.allowConfigKeys.
using GitContentJudge =
    std::function<std::string(const GitControl& where, const std::string& path,
                              std::string_view text, std::string_view previous)>;

struct Context {
  const FsPolicy& policy;
  SocketRules sockets;
  UniqueFd root;                 // the sandbox's root directory (O_PATH)
  std::set<dev_t> private_devs;  // the sandbox's /tmp, /var/tmp, /dev/shm
  Records records;
  std::shared_ptr<Workers> workers;
  // The seccomp listener; shared with workers, which may answer after the mediator is gone.
  std::shared_ptr<const UniqueFd> notify;
  GitContentJudge git_content;
  TaskCache tasks;
  int notify_fd() const { return notify->get(); }

  bool is_private(dev_t d) const { return private_devs.count(d) != 0; }
};

}  // namespace paddock::mediator
