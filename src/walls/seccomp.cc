#include "walls/seccomp.h"

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
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

std::string describe_seccomp(const SeccompPolicy& policy) {
  std::map<std::string, std::string> groups;
  for (const auto& r : policy.rules) {
    std::string& g = groups[r.group];
    if (!g.empty()) g += ", ";
    g += r.syscall;
    if (r.cond == SyscallRule::Cond::ArgMaskedAny)
      g += "(arg" + std::to_string(r.arg) + "&" + std::to_string(r.value) + ")";
    if (r.cond == SyscallRule::Cond::ArgEq32)
      g += "(arg" + std::to_string(r.arg) + "==" + std::to_string(r.value) + ")";
    if (r.cond == SyscallRule::Cond::ArgNonZero) g += "(arg" + std::to_string(r.arg) + "!=0)";
    if (r.cond == SyscallRule::Cond::UnixDgram) g += "(AF_UNIX, SOCK_DGRAM)";
    if (r.action == SyscallRule::Action::Notify)
      g += "->supervisor";
    else if (r.err != EPERM)
      g += "->errno " + std::to_string(r.err);
  }
  std::string out;
  for (const auto& [name, list] : groups) out += "  " + name + ": " + list + "\n";
  out += "  other architectures: ENOSYS\n";
  return out;
}

}  // namespace paddock
