#include "sandbox/launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/kernel_abi.h"
#include "sandbox/init.h"
#include "sandbox/network_namespace.h"
#include "sandbox/sync_channel.h"
#include "walls/identity.h"
#include "walls/landlock.h"
#include "walls/mount_view.h"
#include "walls/seccomp.h"

namespace paddock {

namespace {

// The sandbox side, in the order that matters for security: nothing is exec'd before every
// wall is up, and seccomp comes last because it also forbids the mounts made before it.
Status contain(const SandboxSpec& spec, pid_t supervisor, int sync_fd) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return sys_error("prctl(PR_SET_PDEATHSIG)");
  // getppid() is 0 across the pid namespace; a hung-up channel says the supervisor is gone.
  (void)supervisor;
  pollfd p{sync_fd, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) < 0 || (p.revents & (POLLHUP | POLLRDHUP)))
    return plain_error("sandbox", "the supervisor died during setup");
  PADDOCK_TRY(write_id_maps(spec.uid, spec.gid));
  if (::sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
    return sys_error("sethostname", spec.hostname);
  auto net_build = start_network_namespace();
  if (!net_build) return net_build.error();
  Status view = build_mount_view(spec.mounts, spec.cwd);
  auto net = enter_network_namespace(*net_build);
  if (!view.ok()) return view.error();
  if (!net) return net.error();
  // The supervisor resolves mediated paths in this root; init is never exec'd, so /proc/1/root
  // would need CAP_SYS_PTRACE on the host: hand the directory over instead.
  int root = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return sys_error("open", "/ (sandbox root)");
  PADDOCK_TRY(drop_all_capabilities());
  PADDOCK_TRY(set_no_new_privs());
  PADDOCK_TRY(apply_landlock(spec.landlock));
  // init holds nothing worth stealing, and cannot be ptraced or have its memory read.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return sys_error("prctl(PR_SET_DUMPABLE)");
  auto listener = install_seccomp(spec.seccomp, /*want_listener=*/true);
  if (!listener) {
    ::close(root);
    return listener.error();
  }
  Status s =
      send_ready(sync_fd, {*listener, root, net->http_listener.get(), net->socks_listener.get()});
  ::close(*listener);
  ::close(root);
  return s;
}

}  // namespace

Result<LaunchedSandbox> launch_sandbox(const SandboxSpec& spec,
                                       const std::function<Status()>& meanwhile) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return sys_error("socketpair", "sync channel");
  UniqueFd parent_end(sv[0]);
  UniqueFd child_end(sv[1]);
  pid_t me = ::getpid();

  // The network namespace is made by the sandbox side itself (sandbox/network_namespace.h).
  unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
                        CLONE_PIDFD | SIGCHLD;
  int pidfd = -1;
  // fork-like clone (no new stack): the child continues here with a copy of our memory.
  long pid = ::syscall(SYS_clone, flags, nullptr, &pidfd, nullptr, 0);
  if (pid < 0) {
    int err = errno;
    return sys_error("clone(user, mount, pid, ipc, uts namespaces)", {}, err,
                     err == EPERM || err == ENOSPC || err == EACCES
                         ? "unprivileged user namespaces are unavailable; run `paddock doctor`"
                         : "");
  }
  if (pid == 0) {
    parent_end.reset();
    Status s = contain(spec, me, child_end.get());
    if (!s.ok()) {
      send_failure(child_end.get(), s.error());
      ::_exit(125);
    }
    run_init(spec, child_end.release());
  }

  LaunchedSandbox out;
  out.init_pid = static_cast<pid_t>(pid);
  out.pidfd.reset(pidfd);
  child_end.reset();
  if (Status s = meanwhile(); !s.ok()) {
    ::kill(out.init_pid, SIGKILL);
    ::waitpid(out.init_pid, nullptr, 0);
    return s.error();
  }
  auto msg = receive_message(parent_end.get());
  if (!msg || msg->type != ChannelMessage::Type::Ready) {
    int status = 0;
    ::waitpid(out.init_pid, &status, 0);
    if (!msg) return msg.error();
    if (msg->type == ChannelMessage::Type::Failed) return msg->error;
    return plain_error("sandbox", "the sandbox side exited during setup without a reason");
  }
  if (msg->fds.size() != 4)
    return plain_error("sandbox", "expected the seccomp listener, the root and two listeners");
  out.notify = std::move(msg->fds[0]);
  out.root = std::move(msg->fds[1]);
  out.http_listener = std::move(msg->fds[2]);
  out.socks_listener = std::move(msg->fds[3]);
  out.sync = std::move(parent_end);
  return out;
}

}  // namespace paddock
