#include "filtergen/seccomp_compiler.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
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
  // A binary search over syscall numbers instead of a linear scan: every syscall the command
  // makes runs this program, and most (stat, read, getdents) match no rule at all.
  rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (rc != 0) return sys_error("seccomp_attr_set", "CTL_OPTIMIZE", -rc);

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

}  // namespace paddock
