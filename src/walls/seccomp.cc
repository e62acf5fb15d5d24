#include "walls/seccomp.h"

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <map>

namespace paddock {

Result<int> install_seccomp(std::span<const sock_filter> prog, bool want_listener) {
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(prog.size());
  fprog.filter = const_cast<sock_filter*>(prog.data());
  unsigned flags = want_listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
  // Once the supervisor has taken a request, only SIGKILL may interrupt the caller: otherwise a
  // signal (Go's preemption SIGURG) would restart a call the supervisor already carried out.
  constexpr unsigned kWaitKillableRecv = 1U << 5;  // Linux 5.19
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                      flags | (want_listener ? kWaitKillableRecv : 0), &fprog);
  if (rc < 0 && errno == EINVAL && want_listener)
    rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
  if (rc < 0)
    return sys_error("seccomp(SECCOMP_SET_MODE_FILTER)", {}, errno,
                     "the kernel refused the syscall filter (needs Linux 5.9+ with "
                     "CONFIG_SECCOMP_FILTER)");
  return static_cast<int>(rc);
}

namespace {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string describe_condition(const SyscallRule& r) {
  std::string a = "arg" + std::to_string(r.arg);
  std::string what = r.what.empty() ? "" : " " + r.what;
  switch (r.cond) {
    case SyscallRule::Cond::None:
      return "";
    case SyscallRule::Cond::ArgMaskedAny:
      return "(" + a + "&" + hex(r.value) + what + ")";
    case SyscallRule::Cond::ArgEq32:
      return "(" + a + "==" + hex(r.value) + what + ")";
    case SyscallRule::Cond::ArgMaskedEq32:
      return "(" + a + "&" + hex(r.mask) + "==" + hex(r.value) + what + ")";
    case SyscallRule::Cond::ArgNonZero:
      return "(" + a + "!=0)";
    case SyscallRule::Cond::UnixDatagram:
      return "(AF_UNIX, SOCK_DGRAM|SOCK_RAW)";
  }
  return "(?)";
}

}  // namespace

std::string describe_seccomp(const SeccompPolicy& policy) {
  std::map<std::string, std::string> groups;
  for (const auto& r : policy.rules) {
    std::string& g = groups[r.group];
    if (!g.empty()) g += ", ";
    g += r.syscall;
    if (r.nr >= 0) g += "[" + std::to_string(r.nr) + "]";
    g += describe_condition(r);
    if (r.action == SyscallRule::Action::Notify)
      g += "->supervisor";
    else if (r.err != EPERM)
      g += "->errno " + std::to_string(r.err);
  }
  std::string out;
  for (const auto& [name, list] : groups) out += "  " + name + ": " + list + "\n";
  if (policy.unreviewed_from > 0)
    out += "  syscalls numbered " + std::to_string(policy.unreviewed_from) +
           " and up (newer than docs/SYSCALLS.md): ENOSYS\n";
  out += "  other architectures: ENOSYS\n";
  return out;
}

}  // namespace paddock
