#include "walls/host_probe.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/kernel_abi.h"
#include "walls/landlock.h"

namespace paddock {

namespace {

std::string read_trimmed(const char* path) {
  std::ifstream f(path);
  if (!f) return {};
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Tries the namespaces paddock needs in a throwaway child.
int try_namespaces() {
  pid_t pid = ::fork();
  if (pid < 0) return errno;
  if (pid == 0) {
    int flags =
        CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID;
    ::_exit(::unshare(flags) == 0 ? 0 : (errno & 0xff));
  }
  int st = 0;
  if (::waitpid(pid, &st, 0) < 0) return errno;
  return WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
}

}  // namespace

HostReport probe_host() {
  HostReport r;
  utsname u{};
  if (::uname(&u) == 0) r.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;

  ProbeItem ns{"user namespaces (user, mount, pid, net, ipc, uts)"};
  int err = try_namespaces();
  ns.ok = err == 0;
  std::string aa = read_trimmed("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  std::string deb = read_trimmed("/proc/sys/kernel/unprivileged_userns_clone");
  std::string max = read_trimmed("/proc/sys/user/max_user_namespaces");
  ns.detail = ns.ok ? "available" : std::string("unshare failed: ") + std::strerror(err);
  if (!max.empty()) ns.detail += "; user.max_user_namespaces=" + max;
  if (!aa.empty()) ns.detail += "; apparmor_restrict_unprivileged_userns=" + aa;
  if (!ns.ok) {
    if (aa == "1")
      ns.fix =
          "Ubuntu's AppArmor restricts unprivileged user namespaces: install paddock's "
          "profile (packaging/apparmor/paddock) into /etc/apparmor.d/ and run "
          "`apparmor_parser -r /etc/apparmor.d/paddock`, or set "
          "kernel.apparmor_restrict_unprivileged_userns=0";
    else if (deb == "0")
      ns.fix = "enable them: sysctl -w kernel.unprivileged_userns_clone=1";
    else if (max == "0")
      ns.fix = "enable them: sysctl -w user.max_user_namespaces=15000";
    else
      ns.fix =
          "the kernel or a container runtime forbids user namespaces; run paddock on the "
          "host or allow unshare(CLONE_NEWUSER) in the container's seccomp profile";
  }
  r.items.push_back(ns);

  ProbeItem ll{"Landlock"};
  int abi = landlock_abi();
  ll.ok = abi >= 1;
  ll.detail = ll.ok ? "ABI " + std::to_string(abi) +
                          (abi >= 6 ? " (abstract unix sockets and signals scoped)" : "")
                    : "not available";
  if (!ll.ok)
    ll.fix =
        "needs Linux 5.13+ with CONFIG_SECURITY_LANDLOCK=y and landlock in the lsm= boot "
        "parameter";
  r.items.push_back(ll);

  ProbeItem sc{"seccomp filters with user notification"};
  std::string actions = read_trimmed("/proc/sys/kernel/seccomp/actions_avail");
  sc.ok =
      ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 && actions.find("user_notif") != std::string::npos;
  sc.detail = actions.empty() ? "unknown" : "actions: " + actions;
  if (!sc.ok) sc.fix = "needs Linux 5.14+ with CONFIG_SECCOMP_FILTER=y";
  r.items.push_back(sc);

  ProbeItem ms{"mount_setattr (recursive read-only binds)"};
  long rc = ::syscall(kabi::NR_mount_setattr, -1, "", 0, nullptr, 0);
  ms.ok = !(rc < 0 && errno == ENOSYS);
  ms.detail = ms.ok ? "available" : "missing";
  if (!ms.ok) ms.fix = "needs Linux 5.12+";
  r.items.push_back(ms);

  r.can_run = true;
  for (const auto& i : r.items) r.can_run = r.can_run && i.ok;
  return r;
}

}  // namespace paddock
