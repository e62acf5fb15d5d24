#include "walls/seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <memory>

#include "base/unique_fd.h"

namespace paddock {

namespace {

struct CtxDeleter {
  void operator()(void* c) const { seccomp_release(static_cast<scmp_filter_ctx>(c)); }
};

}  // namespace

Result<SeccompProgram> compile_seccomp(const SeccompPolicy& policy) {
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return plain_error("seccomp_init", "libseccomp could not allocate a filter");
  // A foreign architecture (int 0x80 from a 64-bit process, x32) is refused: syscall numbers
  // mean other things there, so the rules below would not hold.
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
  if (rc != 0) return sys_error("seccomp_attr_set", "ACT_BADARCH", -rc);
  // The filter is installed with the seccomp() syscall ourselves, after no_new_privs is set.
  rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  if (rc != 0) return sys_error("seccomp_attr_set", "CTL_NNP", -rc);

  for (const auto& r : policy.rules) {
    int nr = seccomp_syscall_resolve_name(r.syscall.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture (e.g. fchmodat2 on old libs)
    uint32_t action =
        r.action == SyscallRule::Action::Notify ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(uint32_t(r.err));
    switch (r.cond) {
      case SyscallRule::Cond::None:
        rc = seccomp_rule_add(ctx.get(), action, nr, 0);
        break;
      case SyscallRule::Cond::ArgMaskedAny: {
        // fires when any bit of the mask is set: (arg & mask) == mask for single-bit masks
        rc = seccomp_rule_add(ctx.get(), action, nr, 1,
                              SCMP_CMP64(r.arg, SCMP_CMP_MASKED_EQ, r.value, r.value));
        break;
      }
      case SyscallRule::Cond::UnixDgram:
        rc = seccomp_rule_add(ctx.get(), action, nr, 2,
                              SCMP_CMP32(0, SCMP_CMP_MASKED_EQ, 0xffffffffU, 1U /* AF_UNIX */),
                              SCMP_CMP32(1, SCMP_CMP_MASKED_EQ, 0xfU, 2U /* SOCK_DGRAM */));
        break;
      case SyscallRule::Cond::ArgNonZero:
        rc = seccomp_rule_add(ctx.get(), action, nr, 1, SCMP_CMP64(r.arg, SCMP_CMP_NE, 0));
        break;
      case SyscallRule::Cond::ArgEq32:
        rc =
            seccomp_rule_add(ctx.get(), action, nr, 1,
                             SCMP_CMP32(r.arg, SCMP_CMP_MASKED_EQ, 0xffffffffU, uint32_t(r.value)));
        break;
    }
    if (rc != 0)
      return sys_error("seccomp_rule_add", r.syscall, -rc,
                       "libseccomp refused rule in group " + r.group);
  }

  UniqueFd mem(static_cast<int>(::syscall(SYS_memfd_create, "paddock-bpf", MFD_CLOEXEC)));
  if (!mem.valid()) return sys_error("memfd_create", "seccomp program");
  rc = seccomp_export_bpf(ctx.get(), mem.get());
  if (rc != 0) return sys_error("seccomp_export_bpf", {}, -rc);
  off_t size = ::lseek(mem.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0)
    return plain_error("seccomp_export_bpf", "unexpected program size");
  SeccompProgram prog;
  prog.code.resize(size_t(size) / sizeof(sock_filter));
  if (::pread(mem.get(), prog.code.data(), size_t(size), 0) != size)
    return sys_error("read", "seccomp program");
  return prog;
}

Result<int> install_seccomp(const SeccompProgram& prog, bool want_listener) {
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(prog.code.size());
  fprog.filter = const_cast<sock_filter*>(prog.code.data());
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
