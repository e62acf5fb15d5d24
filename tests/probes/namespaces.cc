// unshare / clone with namespace flags (EPERM), setns (EPERM), clone3 (ENOSYS). Each attempt runs
// in a child process so a success on the host leaves the probe itself unchanged.
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe_util.h"

// Runs f in a forked child and reports its (ret, errno), passed back through a pipe.
template <class F>
static void in_child(const char* name, F f) {
  int p[2];
  if (pipe(p) != 0) return;
  pid_t c = fork();
  if (c == 0) {
    errno = 0;
    long r = f();
    long out[2] = {r, (long)errno};
    if (write(p[1], out, sizeof out) < 0) _exit(2);
    _exit(0);
  }
  close(p[1]);
  long out[2] = {-1, EIO};
  if (read(p[0], out, sizeof out) != (ssize_t)sizeof out) out[1] = EIO;
  close(p[0]);
  waitpid(c, nullptr, 0);
  probe_report(name, out[0], (int)out[1]);
}

static long raw_clone(unsigned long flags) {
  long r = syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (r == 0) syscall(SYS_exit_group, 0);
  if (r > 0) waitpid((pid_t)r, nullptr, 0);
  return r;
}

int main() {
  in_child("unshare_newuser", [] { return (long)unshare(CLONE_NEWUSER); });
  in_child("unshare_newns", [] { return (long)unshare(CLONE_NEWNS); });
  in_child("unshare_newnet", [] { return (long)unshare(CLONE_NEWNET); });
  in_child("clone_newuser", [] { return raw_clone(CLONE_NEWUSER); });
  in_child("clone_newuser_newpid", [] { return raw_clone(CLONE_NEWUSER | CLONE_NEWPID); });
  in_child("clone3", [] {
    struct clone_args a;
    memset(&a, 0, sizeof a);
    a.exit_signal = SIGCHLD;
    long r = syscall(SYS_clone3, &a, sizeof a);
    if (r == 0) syscall(SYS_exit_group, 0);
    if (r > 0) waitpid((pid_t)r, nullptr, 0);
    return r;
  });
  in_child("clone3_newuser", [] {
    struct clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = CLONE_NEWUSER;
    a.exit_signal = SIGCHLD;
    long r = syscall(SYS_clone3, &a, sizeof a);
    if (r == 0) syscall(SYS_exit_group, 0);
    if (r > 0) waitpid((pid_t)r, nullptr, 0);
    return r;
  });
  // host: EBADF (bad fd); the filter answers before the kernel looks at the fd
  in_child("setns_badfd", [] { return (long)syscall(SYS_setns, -1, 0); });
  // a real join of our own user namespace's sibling: /proc/self/ns/net with CLONE_NEWNET
  in_child("setns_net", [] {
    int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1L;
    return (long)syscall(SYS_setns, fd, CLONE_NEWNET);
  });
  return 0;
}
