#include "filtergen/seccomp_compiler.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
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

// The number a rule applies to. A name libseccomp does not know fails the build: a rule that
// silently vanished would be a hole.
Result<int> resolve(const SyscallRule& r, int unreviewed_from) {
  int nr = seccomp_syscall_resolve_name(r.syscall.c_str());
  if (nr == __NR_SCMP_ERROR) {
    if (r.nr < 0)
      return plain_error("seccomp policy", "libseccomp does not know syscall '" + r.syscall +
                                               "' (group " + r.group +
                                               "): name its number in policy/seccomp_policy.cc");
    nr = r.nr;
  } else if (r.nr >= 0 && nr >= 0 && nr != r.nr) {
    return plain_error("seccomp policy", "syscall '" + r.syscall + "' is " + std::to_string(nr) +
                                             " for libseccomp but " + std::to_string(r.nr) +
                                             " in policy/seccomp_policy.cc");
  }
  // (A negative pseudo-number means the call does not exist on this architecture, e.g. open on
  // aarch64: libseccomp drops such a rule, rightly.)
  if (unreviewed_from > 0 && nr >= unreviewed_from)
    return plain_error("seccomp policy", "syscall '" + r.syscall + "' (" + std::to_string(nr) +
                                             ") is beyond the reviewed table: raise "
                                             "kFirstUnreviewedSyscall after reviewing it");
  return nr;
}

constexpr sock_filter stmt(uint16_t code, uint32_t k) {
  return {code, 0, 0, k};
}
constexpr sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  return {code, jt, jf, k};
}

// Put before libseccomp's program: on the native architecture, a syscall number at or above
// `from` gets ENOSYS (a call newer than the review, or an x32 number). Other architectures fall
// through to libseccomp's own architecture check, which refuses them; so does nr -1, which
// libseccomp lets through for ptrace's syscall skipping.
std::vector<sock_filter> unreviewed_prologue(uint32_t native_arch, uint32_t from) {
  return {
      stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      jump(BPF_JMP | BPF_JEQ | BPF_K, native_arch, 0, 4),
      stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      jump(BPF_JMP | BPF_JGE | BPF_K, from, 0, 2),
      jump(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffU, 1, 0),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | uint32_t(ENOSYS)),
  };
}

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
    Result<int> nr = resolve(r, policy.unreviewed_from);
    if (!nr) return nr.error();
    uint32_t action =
        r.action == SyscallRule::Action::Notify ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(uint32_t(r.err));
    switch (r.cond) {
      case SyscallRule::Cond::None:
        rc = seccomp_rule_add(ctx.get(), action, *nr, 0);
        break;
      case SyscallRule::Cond::ArgMaskedAny: {
        // fires when any bit of the mask is set: (arg & mask) == mask for single-bit masks
        rc = seccomp_rule_add(ctx.get(), action, *nr, 1,
                              SCMP_CMP64(r.arg, SCMP_CMP_MASKED_EQ, r.value, r.value));
        break;
      }
      case SyscallRule::Cond::UnixDatagram:
        // The type's low four bits (SOCK_TYPE_MASK): 0xe keeps 2 (SOCK_DGRAM) and 3 (SOCK_RAW)
        // together and nothing else.
        rc = seccomp_rule_add(ctx.get(), action, *nr, 2,
                              SCMP_CMP32(0, SCMP_CMP_MASKED_EQ, 0xffffffffU, 1U /* AF_UNIX */),
                              SCMP_CMP32(1, SCMP_CMP_MASKED_EQ, 0xeU, 2U /* SOCK_DGRAM|RAW */));
        break;
      case SyscallRule::Cond::ArgNonZero:
        rc = seccomp_rule_add(ctx.get(), action, *nr, 1, SCMP_CMP64(r.arg, SCMP_CMP_NE, 0));
        break;
      case SyscallRule::Cond::ArgEq32:
        rc =
            seccomp_rule_add(ctx.get(), action, *nr, 1,
                             SCMP_CMP32(r.arg, SCMP_CMP_MASKED_EQ, 0xffffffffU, uint32_t(r.value)));
        break;
      case SyscallRule::Cond::ArgMaskedEq32:
        rc = seccomp_rule_add(
            ctx.get(), action, *nr, 1,
            SCMP_CMP32(r.arg, SCMP_CMP_MASKED_EQ, uint32_t(r.mask), uint32_t(r.value)));
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
  std::vector<sock_filter> body(size_t(size) / sizeof(sock_filter));
  if (::pread(mem.get(), body.data(), size_t(size), 0) != size)
    return sys_error("read", "seccomp program");

  SeccompProgram prog;
  if (policy.unreviewed_from > 0)
    prog.code = unreviewed_prologue(seccomp_arch_native(), uint32_t(policy.unreviewed_from));
  prog.code.insert(prog.code.end(), body.begin(), body.end());
  if (prog.code.size() > BPF_MAXINSNS)
    return plain_error("seccomp policy", "the compiled program exceeds BPF_MAXINSNS");
  return prog;
}

}  // namespace paddock
