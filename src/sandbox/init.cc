#include "sandbox/init.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/kernel_abi.h"
#include "sandbox/socket_factory.h"
#include "sandbox/sync_channel.h"

namespace paddock {

namespace {

constexpr int kForwarded[] = {SIGINT,  SIGTERM,  SIGHUP,  SIGQUIT, SIGUSR1,
                              SIGUSR2, SIGWINCH, SIGCONT, SIGALRM, SIGPIPE};

void noop_handler(int) {}

constexpr unsigned kCloseRangeCloexec = 1U << 2;  // CLOSE_RANGE_CLOEXEC, Linux 5.11

[[noreturn]] void fail(int sync_fd, const Error& e) {
  send_failure(sync_fd, e);
  ::_exit(125);
}

// The same disposition for every signal init relays, and for SIGCHLD.
void set_dispositions(void (*handler)(int), int sync_fd) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  for (int s : kForwarded)
    if (::sigaction(s, &sa, nullptr) != 0) fail(sync_fd, sys_error("sigaction", "init"));
  if (::sigaction(SIGCHLD, &sa, nullptr) != 0) fail(sync_fd, sys_error("sigaction", "init"));
}

// Runs in the vfork child, on init's memory until execve: the argument and environment arrays
// are built before the fork.
[[noreturn]] void exec_command(const SandboxSpec& spec, int sync_fd, int terminal_fd,
                               char* const* argv, char* const* envp) {
  // Default dispositions and the user's own mask for the command.
  set_dispositions(SIG_DFL, sync_fd);
  if (::sigprocmask(SIG_SETMASK, &spec.signal_mask, nullptr) != 0)
    fail(sync_fd, sys_error("sigprocmask", "command"));
  // Its own session, led by the command as a login shell leads one: the pty's hang-up and its
  // job-control signals reach it, and init (which never reads the pty) stays out of them.
  if (terminal_fd >= 0) {
    if (::setsid() < 0) fail(sync_fd, sys_error("setsid", "command"));
    if (::ioctl(terminal_fd, TIOCSCTTY, 0) != 0)
      fail(sync_fd, sys_error("ioctl(TIOCSCTTY)", "paddock's pty"));
  }

  // The command inherits exactly stdin, stdout and stderr: whatever else the caller of paddock
  // left open (a directory fd of $HOME, a writable host file) closes at exec.
  if (::syscall(kabi::NR_close_range, 3U, ~0U, kCloseRangeCloexec) != 0)
    fail(sync_fd, sys_error("close_range", "inherited fds"));
  ::execvpe(argv[0], argv, envp);
  int err = errno;
  Error e = sys_error("cannot execute", spec.argv[0], err);
  e.exit_code = (err == ENOENT || err == ENOTDIR) ? 127 : 126;
  if (err == ENOENT) e.detail = "not found in the sandbox (PATH or a hidden path?)";
  send_failure(sync_fd, e);
  ::_exit(e.exit_code);
}

}  // namespace

void run_init(const SandboxSpec& spec, int sync_fd, int factory_fd, int terminal_fd) {
  // pid 1 only receives signals it has a handler for; a handler plus a blocked mask lets us
  // read them all from a signalfd.
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : kForwarded) sigaddset(&mask, s);
  sigaddset(&mask, SIGCHLD);
  set_dispositions(noop_handler, sync_fd);
  if (::sigprocmask(SIG_BLOCK, &mask, nullptr) != 0)
    fail(sync_fd, sys_error("sigprocmask", "init"));
  int sfd = ::signalfd(-1, &mask, SFD_CLOEXEC);
  if (sfd < 0) fail(sync_fd, sys_error("signalfd", "init"));

  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  // vfork: init's memory (a copy of the supervisor's) is not duplicated only to be replaced by
  // execve a moment later. The child has its own file table, signal handlers and mask.
  pid_t cmd = ::vfork();
  if (cmd < 0) fail(sync_fd, sys_error("vfork", "command"));
  if (cmd == 0) {
    ::close(sfd);
    exec_command(spec, sync_fd, terminal_fd, argv.data(), envp.data());
  }
  // Kept open: init's last word, that the command has ended, goes through it.
  const int sync = sync_fd;
  int factory = factory_fd;  // not the arguments themselves: vfork may clobber what changes
  for (;;) {
    if (factory >= 0) {
      pollfd p[2] = {{sfd, POLLIN, 0}, {factory, POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) {
        if (errno == EINTR) continue;
        ::_exit(125);
      }
      if (p[1].revents != 0 && !serve_socket_request(factory)) {
        ::close(factory);
        factory = -1;
      }
      if (!(p[0].revents & POLLIN)) continue;
    }
    signalfd_siginfo si;
    ssize_t n = ::read(sfd, &si, sizeof si);
    if (n != sizeof si) {
      if (n < 0 && errno == EINTR) continue;
      ::_exit(125);
    }
    if (si.ssi_signo == SIGCHLD) {
      int status;
      pid_t p;
      while ((p = ::waitpid(-1, &status, WNOHANG)) > 0) {
        if (p != cmd) continue;  // an orphan reaped
        if (!WIFEXITED(status) && !WIFSIGNALED(status)) continue;
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        // Everything else in the sandbox dies now, not at our exit a moment later: SIGKILL is
        // queued for every process (an interrupt away from one running on another CPU), so
        // paddock may return while the kernel tears the namespaces down (walls/layer_tenant.h).
        ::kill(-1, SIGKILL);
        send_exited(sync, code);
        ::_exit(code);
      }
      continue;
    }
    // A terminal-generated signal already reached the command through its process group;
    // only signals sent by a process (the supervisor's relay) are passed on.
    if (si.ssi_code != SI_KERNEL) ::kill(cmd, static_cast<int>(si.ssi_signo));
  }
}

}  // namespace paddock
