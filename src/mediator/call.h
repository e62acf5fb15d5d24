#pragma once
// One mediated call being served: the context, the caller, and how the call was answered. Each
// handler (file_ops, socket_ops, xattr_ops) returns the result for the caller, or answers
// itself (an installed fd, or a worker that finishes a call that may wait) and says so.
#include <fcntl.h>
#include <sys/socket.h>

#include <functional>
#include <string>

#include "mediator/caller.h"
#include "mediator/context.h"
#include "policy/write_judge.h"

namespace paddock::mediator {

struct Call {
  Context& ctx;
  Caller& caller;
  bool answered = false;  // the handler answered the kernel itself

  // Records the refusal for the exit summary and returns its errno for the caller.
  CallError refuse(const WriteVerdict& v, const std::string& what, const std::string& path) {
    ctx.records.refused(what, path, v.reason);
    return CallError{v.err};
  }
  // Installs `fd` in the caller as the call's result.
  Out<long> send_fd(int fd, bool cloexec);
  // Hands a decided operation that may wait to a worker, which answers the kernel.
  Out<long> defer(std::function<void(int notify_fd, uint64_t id)> job);
};

// The handlers, by syscall family. Arguments are the raw syscall arguments.
Out<long> do_open(Call& c, int dirfd, uint64_t path, int flags, mode_t mode);
Out<long> do_mknod(Call& c, int dirfd, uint64_t path, mode_t mode, dev_t dev);
Out<long> do_symlink(Call& c, uint64_t target, int dirfd, uint64_t path);
Out<long> do_link(Call& c, int olddirfd, uint64_t oldp, int newdirfd, uint64_t newp, int flags);
Out<long> do_rename(Call& c, int olddirfd, uint64_t oldp, int newdirfd, uint64_t newp,
                    unsigned flags);
Out<long> do_truncate(Call& c, uint64_t path, off_t len);
Out<long> do_chmod(Call& c, int dirfd, uint64_t path, mode_t mode, int flags);
Out<long> do_fchmod(Call& c, int fd, mode_t mode);
Out<long> do_unlink(Call& c, int dirfd, uint64_t path, int flags);

Out<long> do_connect(Call& c, int fd, uint64_t addr, socklen_t len);
Out<long> do_bind(Call& c, int fd, uint64_t addr, socklen_t len);
Out<long> do_sendto(Call& c, int fd, uint64_t buf, size_t len, int flags, uint64_t addr,
                    socklen_t alen);

// setxattr family: `dirfd`/`path`/`at_flags` as setxattrat(2) takes them (path-based calls pass
// AT_FDCWD, and AT_SYMLINK_NOFOLLOW for the l* forms; f* forms pass AT_EMPTY_PATH and "").
struct XattrTarget {
  int dirfd = AT_FDCWD;
  uint64_t path = 0;  // 0 with AT_EMPTY_PATH: the fd itself
  unsigned at_flags = 0;
};
Out<long> do_setxattr(Call& c, XattrTarget t, uint64_t name, uint64_t value, size_t size,
                      int flags);
Out<long> do_removexattr(Call& c, XattrTarget t, uint64_t name);

}  // namespace paddock::mediator
