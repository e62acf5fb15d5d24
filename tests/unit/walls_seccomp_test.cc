#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "base/kernel_abi.h"
#include "filtergen/seccomp_compiler.h"
#include "policy/seccomp_policy.h"
#include "walls/seccomp.h"

namespace paddock {
namespace {

// ---------------------------------------------------------------------------------------------
// The policy as data.

using A = SyscallRule::Action;
using C = SyscallRule::Cond;

const SyscallRule* find_rule(const SeccompPolicy& p, const std::string& name, C cond = C::None,
                             unsigned arg = 0, uint64_t value = 0) {
  for (const auto& r : p.rules)
    if (r.syscall == name && r.cond == cond &&
        (cond == C::None || (r.arg == arg && r.value == value)))
      return &r;
  return nullptr;
}

TEST(WallsSeccompPolicy, DeniedGroups) {
  SeccompPolicy p = sandbox_seccomp_policy(true);
  struct {
    const char* group;
    std::vector<const char*> names;
  } groups[] = {
      {"io-uring", {"io_uring_setup", "io_uring_enter", "io_uring_register"}},
      {"kernel-keys", {"keyctl", "add_key", "request_key"}},
      {"bpf-perf", {"bpf", "perf_event_open"}},
      {"userfaultfd", {"userfaultfd"}},
      {"kernel-modules",
       {"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load"}},
      {"mount",
       {"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig",
        "fsmount", "fspick", "mount_setattr"}},
      {"namespaces", {"setns"}},
  };
  for (const auto& g : groups) {
    for (const char* n : g.names) {
      const SyscallRule* r = find_rule(p, n);
      ASSERT_NE(r, nullptr) << n;
      EXPECT_EQ(r->group, g.group) << n;
      EXPECT_EQ(r->action, A::Errno) << n;
      EXPECT_EQ(r->err, EPERM) << n;
    }
  }
}

TEST(WallsSeccompPolicy, Clone3GetsEnosysSoLibcFallsBack) {
  SeccompPolicy p = sandbox_seccomp_policy(false);
  const SyscallRule* r = find_rule(p, "clone3");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->action, A::Errno);
  EXPECT_EQ(r->err, ENOSYS);
  const SyscallRule* o2 = find_rule(p, "openat2");
  ASSERT_NE(o2, nullptr);
  EXPECT_EQ(o2->err, ENOSYS);
}

TEST(WallsSeccompPolicy, NamespaceFlagsOnCloneAndUnshare) {
  SeccompPolicy p = sandbox_seccomp_policy(false);
  for (uint64_t f : {uint64_t(CLONE_NEWUSER), uint64_t(CLONE_NEWNS), uint64_t(CLONE_NEWPID),
                     uint64_t(CLONE_NEWNET), uint64_t(CLONE_NEWIPC), uint64_t(CLONE_NEWUTS),
                     uint64_t(CLONE_NEWCGROUP), uint64_t(0x80) /* CLONE_NEWTIME */}) {
    for (const char* n : {"clone", "unshare"}) {
      const SyscallRule* r = find_rule(p, n, C::ArgMaskedAny, 0, f);
      ASSERT_NE(r, nullptr) << n << " flag 0x" << std::hex << f;
      EXPECT_EQ(r->err, EPERM);
    }
  }
  // Plain clone (threads, fork) has no unconditional rule.
  EXPECT_EQ(find_rule(p, "clone"), nullptr);
}

TEST(WallsSeccompPolicy, TerminalInjectionComparedOn32Bits) {
  SeccompPolicy p = sandbox_seccomp_policy(false);
  for (uint64_t req : {0x5412u /* TIOCSTI */, 0x541Cu /* TIOCLINUX */}) {
    const SyscallRule* r = find_rule(p, "ioctl", C::ArgEq32, 1, req);
    ASSERT_NE(r, nullptr) << std::hex << req;
    EXPECT_EQ(r->err, EPERM);
  }
  EXPECT_EQ(find_rule(p, "ioctl"), nullptr);  // other ioctls untouched
}

TEST(WallsSeccompPolicy, WriteMediationOnlyWhenAsked) {
  SeccompPolicy with = sandbox_seccomp_policy(true);
  SeccompPolicy without = sandbox_seccomp_policy(false);
  for (uint64_t f : {uint64_t(O_WRONLY), uint64_t(O_RDWR), uint64_t(O_CREAT), uint64_t(O_TRUNC)}) {
    const SyscallRule* at = find_rule(with, "openat", C::ArgMaskedAny, 2, f);
    ASSERT_NE(at, nullptr) << f;
    EXPECT_EQ(at->action, A::Notify);
    const SyscallRule* o = find_rule(with, "open", C::ArgMaskedAny, 1, f);
    ASSERT_NE(o, nullptr) << f;
    EXPECT_EQ(o->action, A::Notify);
  }
  for (const char* n : {"creat", "mkdir", "mkdirat", "mknod", "mknodat", "rename", "renameat",
                        "renameat2", "link", "linkat", "symlink", "symlinkat", "truncate"}) {
    const SyscallRule* r = find_rule(with, n);
    ASSERT_NE(r, nullptr) << n;
    EXPECT_EQ(r->action, A::Notify) << n;
    EXPECT_EQ(r->group, "write-mediation");
  }
  for (const auto& r : without.rules) EXPECT_NE(r.action, A::Notify) << r.syscall;
  // Reads are never mediated.
  EXPECT_EQ(find_rule(with, "openat"), nullptr);
  EXPECT_EQ(find_rule(with, "read"), nullptr);
}

TEST(WallsSeccompPolicy, DangerousSocketFamilies) {
  SeccompPolicy p = sandbox_seccomp_policy(false);
  for (uint64_t fam :
       {uint64_t(AF_PACKET), uint64_t(AF_KEY), uint64_t(AF_TIPC), uint64_t(AF_RDS),
        uint64_t(AF_AX25), uint64_t(AF_X25), uint64_t(AF_BLUETOOTH), uint64_t(AF_ALG)}) {
    const SyscallRule* r = find_rule(p, "socket", C::ArgEq32, 0, fam);
    ASSERT_NE(r, nullptr) << fam;
    EXPECT_EQ(r->err, EAFNOSUPPORT);
  }
  for (uint64_t fam :
       {uint64_t(AF_UNIX), uint64_t(AF_INET), uint64_t(AF_INET6), uint64_t(AF_NETLINK)})
    EXPECT_EQ(find_rule(p, "socket", C::ArgEq32, 0, fam), nullptr) << fam;
}

TEST(WallsSeccompPolicy, EveryRuleNamesASyscallLibseccompKnows) {
  // compile_seccomp skips unknown names silently; a typo would drop a wall.
  for (bool mediate : {false, true}) {
    for (const auto& r : sandbox_seccomp_policy(mediate).rules) {
      if (r.syscall == "fchmodat2") continue;  // newer than Debian 12's libseccomp
      EXPECT_NE(seccomp_syscall_resolve_name(r.syscall.c_str()), __NR_SCMP_ERROR) << r.syscall;
    }
  }
}

TEST(WallsSeccompPolicy, DescribeNamesGroupsAndFallbacks) {
  std::string d = describe_seccomp(sandbox_seccomp_policy(true));
  for (const char* s : {"io-uring:", "kernel-keys:", "namespaces:", "terminal:", "mount:",
                        "write-mediation:", "socket-families:", "clone3->errno 38",
                        "openat(arg2&1)->supervisor", "other architectures: ENOSYS"})
    EXPECT_NE(d.find(s), std::string::npos) << s << "\n" << d;
}

// ---------------------------------------------------------------------------------------------
// Compiling, and running the compiled program in a classic-BPF interpreter.

constexpr uint32_t kBad = 0xdeadbeef;

// Runs a seccomp BPF program over `data` as the kernel would; kBad (and a test failure) when
// the program does something the kernel would refuse to load or run.
uint32_t run_bpf(const std::vector<sock_filter>& prog, const seccomp_data& data) {
  uint32_t a = 0, x = 0;
  uint32_t mem[BPF_MEMWORDS] = {};
  const auto* bytes = reinterpret_cast<const unsigned char*>(&data);
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    uint32_t src = BPF_SRC(f.code) == BPF_X ? x : f.k;
    switch (BPF_CLASS(f.code)) {
      case BPF_LD:
        if (BPF_MODE(f.code) == BPF_ABS && BPF_SIZE(f.code) == BPF_W) {
          if (f.k % 4 != 0 || f.k + 4 > sizeof data) {
            ADD_FAILURE() << "load outside seccomp_data at " << pc << ": " << f.k;
            return kBad;
          }
          std::memcpy(&a, bytes + f.k, 4);
        } else if (BPF_MODE(f.code) == BPF_IMM) {
          a = f.k;
        } else if (BPF_MODE(f.code) == BPF_MEM && f.k < BPF_MEMWORDS) {
          a = mem[f.k];
        } else if (BPF_MODE(f.code) == BPF_LEN) {
          a = sizeof data;
        } else {
          ADD_FAILURE() << "unsupported load 0x" << std::hex << f.code << " at " << std::dec << pc;
          return kBad;
        }
        break;
      case BPF_LDX:
        if (BPF_MODE(f.code) == BPF_IMM) {
          x = f.k;
        } else if (BPF_MODE(f.code) == BPF_MEM && f.k < BPF_MEMWORDS) {
          x = mem[f.k];
        } else if (BPF_MODE(f.code) == BPF_LEN) {
          x = sizeof data;
        } else {
          ADD_FAILURE() << "unsupported ldx 0x" << std::hex << f.code << " at " << std::dec << pc;
          return kBad;
        }
        break;
      case BPF_ST:
      case BPF_STX:
        if (f.k >= BPF_MEMWORDS) {
          ADD_FAILURE() << "store outside scratch memory at " << pc;
          return kBad;
        }
        mem[f.k] = BPF_CLASS(f.code) == BPF_ST ? a : x;
        break;
      case BPF_ALU:
        switch (BPF_OP(f.code)) {
          case BPF_ADD:
            a += src;
            break;
          case BPF_SUB:
            a -= src;
            break;
          case BPF_MUL:
            a *= src;
            break;
          case BPF_OR:
            a |= src;
            break;
          case BPF_AND:
            a &= src;
            break;
          case BPF_XOR:
            a ^= src;
            break;
          case BPF_LSH:
            a = src < 32 ? a << src : 0;
            break;
          case BPF_RSH:
            a = src < 32 ? a >> src : 0;
            break;
          case BPF_NEG:
            a = -a;
            break;
          case BPF_DIV:
          case BPF_MOD:
            if (src == 0) return 0;  // the kernel ends the program returning 0 (kill)
            a = BPF_OP(f.code) == BPF_DIV ? a / src : a % src;
            break;
          default:
            ADD_FAILURE() << "unsupported alu 0x" << std::hex << f.code;
            return kBad;
        }
        break;
      case BPF_JMP: {
        size_t off;
        if (BPF_OP(f.code) == BPF_JA) {
          off = f.k;
        } else {
          bool c;
          switch (BPF_OP(f.code)) {
            case BPF_JEQ:
              c = a == src;
              break;
            case BPF_JGT:
              c = a > src;
              break;
            case BPF_JGE:
              c = a >= src;
              break;
            case BPF_JSET:
              c = (a & src) != 0;
              break;
            default:
              ADD_FAILURE() << "unsupported jump 0x" << std::hex << f.code;
              return kBad;
          }
          off = c ? f.jt : f.jf;
        }
        if (pc + off + 1 >= prog.size()) {
          ADD_FAILURE() << "jump out of the program at " << pc;
          return kBad;
        }
        pc += off;
        break;
      }
      case BPF_RET:
        return BPF_RVAL(f.code) == BPF_A ? a : f.k;
      case BPF_MISC:
        if (BPF_MISCOP(f.code) == BPF_TAX) {
          x = a;
        } else {
          a = x;
        }
        break;
      default:
        ADD_FAILURE() << "unknown class 0x" << std::hex << f.code;
        return kBad;
    }
  }
  ADD_FAILURE() << "fell off the end of the program";
  return kBad;
}

#if defined(__x86_64__)
constexpr uint32_t kNativeArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kNativeArch = AUDIT_ARCH_AARCH64;
#else
constexpr uint32_t kNativeArch = 0;
#endif

constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
constexpr uint32_t kNotify = SECCOMP_RET_USER_NOTIF;
constexpr uint32_t errno_ret(int e) {
  return SECCOMP_RET_ERRNO | uint32_t(e);
}

std::string ret_name(uint32_t r) {
  std::ostringstream o;
  switch (r & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
      return "ALLOW";
    case SECCOMP_RET_USER_NOTIF:
      return "USER_NOTIF";
    case SECCOMP_RET_ERRNO:
      o << "ERRNO(" << (r & SECCOMP_RET_DATA) << ")";
      return o.str();
    case SECCOMP_RET_KILL_PROCESS:
      return "KILL_PROCESS";
    case SECCOMP_RET_KILL_THREAD:
      return "KILL_THREAD";
    case SECCOMP_RET_TRAP:
      return "TRAP";
    default:
      o << "0x" << std::hex << r;
      return o.str();
  }
}

class WallsSeccompFilter : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The program paddock ships (compiled when paddock was built), not a fresh compile.
    auto shipped = sandbox_seccomp_program();
    mediated_ = new SeccompProgram{{shipped.begin(), shipped.end()}};
    auto without = compile_seccomp(sandbox_seccomp_policy(false));
    ASSERT_TRUE(without.ok()) << without.error().message();
    plain_ = new SeccompProgram(std::move(*without));
  }
  static void TearDownTestSuite() {
    delete mediated_;
    delete plain_;
    mediated_ = plain_ = nullptr;
  }
  void SetUp() override {
    if (kNativeArch == 0) GTEST_SKIP() << "no emulation expectations for this architecture";
    ASSERT_NE(mediated_, nullptr);
    ASSERT_NE(plain_, nullptr);
  }

  static uint32_t run(const SeccompProgram& prog, long nr, std::vector<uint64_t> args = {},
                      uint32_t arch = kNativeArch) {
    seccomp_data d{};
    d.nr = static_cast<int>(nr);
    d.arch = arch;
    d.instruction_pointer = 0x401000;
    for (size_t i = 0; i < args.size() && i < 6; ++i) d.args[i] = args[i];
    return run_bpf(prog.code, d);
  }
  static uint32_t mediated(long nr, std::vector<uint64_t> args = {}, uint32_t arch = kNativeArch) {
    return run(*mediated_, nr, std::move(args), arch);
  }
  static uint32_t plain(long nr, std::vector<uint64_t> args = {}) {
    return run(*plain_, nr, std::move(args));
  }

  static SeccompProgram* mediated_;
  static SeccompProgram* plain_;
};

SeccompProgram* WallsSeccompFilter::mediated_ = nullptr;
SeccompProgram* WallsSeccompFilter::plain_ = nullptr;

#define EXPECT_RET(expr, want) EXPECT_EQ(ret_name(expr), ret_name(want)) << #expr

TEST_F(WallsSeccompFilter, CompiledProgramIsLoadable) {
  for (const SeccompProgram* p : {mediated_, plain_}) {
    EXPECT_GT(p->code.size(), 10u);
    EXPECT_LE(p->code.size(), size_t(BPF_MAXINSNS));
    // Ends in a return, and the first thing it checks is the architecture.
    EXPECT_EQ(BPF_CLASS(p->code.back().code), BPF_RET);
    EXPECT_EQ(p->code[0].code, BPF_LD | BPF_W | BPF_ABS);
    EXPECT_EQ(p->code[0].k, offsetof(seccomp_data, arch));
  }
}

TEST_F(WallsSeccompFilter, OrdinaryCallsAllowed) {
  EXPECT_RET(mediated(SYS_read, {0, 0, 10}), kAllow);
  EXPECT_RET(mediated(SYS_write, {1, 0, 10}), kAllow);
  EXPECT_RET(mediated(SYS_getpid), kAllow);
  EXPECT_RET(mediated(SYS_execve), kAllow);
  EXPECT_RET(mediated(SYS_close, {3}), kAllow);
  EXPECT_RET(mediated(SYS_mmap, {0, 4096, 3, 0x22, uint64_t(-1), 0}), kAllow);
}

TEST_F(WallsSeccompFilter, OpenForReadingNeverLeavesTheKernel) {
  uint64_t at = uint64_t(int64_t(AT_FDCWD));
  EXPECT_RET(mediated(SYS_openat, {at, 0x1000, O_RDONLY}), kAllow);
  EXPECT_RET(mediated(SYS_openat, {at, 0x1000, O_RDONLY | O_CLOEXEC | O_DIRECTORY}), kAllow);
  EXPECT_RET(mediated(SYS_openat, {at, 0x1000, O_PATH | O_NOFOLLOW}), kAllow);
  EXPECT_RET(mediated(SYS_openat, {at, 0x1000, O_RDONLY | O_NONBLOCK | O_NOCTTY}), kAllow);
  // The 0666 mode in arg3 does not matter.
  EXPECT_RET(mediated(SYS_openat, {at, 0x1000, O_RDONLY, 0666}), kAllow);
}

TEST_F(WallsSeccompFilter, OpenForWritingGoesToTheSupervisor) {
  uint64_t at = uint64_t(int64_t(AT_FDCWD));
  for (uint64_t flags :
       {uint64_t(O_WRONLY), uint64_t(O_RDWR), uint64_t(O_CREAT), uint64_t(O_TRUNC),
        uint64_t(O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC), uint64_t(O_RDWR | O_APPEND),
        uint64_t(O_WRONLY | O_RDWR), uint64_t(O_CREAT | O_EXCL), uint64_t(O_TMPFILE | O_RDWR),
        // The kernel reads flags as an int: high bits must not hide the write bits.
        uint64_t(0xffffffff00000000ULL | O_WRONLY)}) {
    EXPECT_RET(mediated(SYS_openat, {at, 0x1000, flags}), kNotify) << std::hex << flags;
    EXPECT_RET(plain(SYS_openat, {at, 0x1000, flags}), kAllow) << std::hex << flags;
  }
#ifdef SYS_open
  EXPECT_RET(mediated(SYS_open, {0x1000, O_RDONLY}), kAllow);
  EXPECT_RET(mediated(SYS_open, {0x1000, O_WRONLY | O_CREAT}), kNotify);
  // open's flags are arg1: a write bit in arg2 (the mode) is no reason to notify.
  EXPECT_RET(mediated(SYS_open, {0x1000, O_RDONLY, 0x1}), kAllow);
#endif
}

TEST_F(WallsSeccompFilter, PathCreatingCallsGoToTheSupervisor) {
  for (long nr : {long(SYS_mkdirat), long(SYS_mknodat), long(SYS_renameat2), long(SYS_linkat),
                  long(SYS_symlinkat), long(SYS_truncate), long(SYS_fchmodat)}) {
    EXPECT_RET(mediated(nr), kNotify) << nr;
    EXPECT_RET(plain(nr), kAllow) << nr;
  }
#ifdef SYS_mkdir
  for (long nr : {long(SYS_mkdir), long(SYS_rename), long(SYS_link), long(SYS_symlink),
                  long(SYS_creat), long(SYS_mknod), long(SYS_renameat), long(SYS_chmod)})
    EXPECT_RET(mediated(nr), kNotify) << nr;
#endif
}

TEST_F(WallsSeccompFilter, TerminalInjectionRefused) {
  EXPECT_RET(mediated(SYS_ioctl, {0, 0x5412, 0x1000}), errno_ret(EPERM));
  // The kernel compares the request as an unsigned int: high bits do not get past the filter.
  EXPECT_RET(mediated(SYS_ioctl, {0, 0xffffffff00005412ULL, 0x1000}), errno_ret(EPERM));
  EXPECT_RET(mediated(SYS_ioctl, {0, 0x0000000100005412ULL, 0x1000}), errno_ret(EPERM));
  EXPECT_RET(mediated(SYS_ioctl, {0, 0x541C, 0}), errno_ret(EPERM));
  EXPECT_RET(mediated(SYS_ioctl, {0, 0xffffffff0000541CULL, 0}), errno_ret(EPERM));
  // Other ioctls, and 0x5412 anywhere but the request, are fine.
  EXPECT_RET(mediated(SYS_ioctl, {0, 0x5401 /* TCGETS */, 0x1000}), kAllow);
  EXPECT_RET(mediated(SYS_ioctl, {0, 0x5413 /* TIOCGWINSZ */, 0x1000}), kAllow);
  EXPECT_RET(mediated(SYS_ioctl, {0x5412, 0x5401, 0x5412}), kAllow);
  EXPECT_RET(mediated(SYS_ioctl, {0, 0x00015412, 0}), kAllow);
}

TEST_F(WallsSeccompFilter, KernelSurfaceRefused) {
  for (long nr : {long(__NR_io_uring_setup),
                  long(__NR_io_uring_enter),
                  long(__NR_io_uring_register),
                  long(SYS_keyctl),
                  long(SYS_add_key),
                  long(SYS_request_key),
                  long(SYS_bpf),
                  long(SYS_perf_event_open),
                  long(SYS_userfaultfd),
                  long(SYS_kexec_load),
                  long(SYS_init_module),
                  long(SYS_finit_module),
                  long(SYS_delete_module),
                  long(SYS_mount),
                  long(SYS_umount2),
                  long(SYS_pivot_root),
                  long(SYS_chroot),
                  long(SYS_setns),
                  long(SYS_open_tree),
                  long(SYS_move_mount),
                  long(SYS_fsopen),
                  long(SYS_fsmount),
                  long(SYS_reboot),
                  long(SYS_open_by_handle_at),
                  long(SYS_fanotify_init)}) {
    EXPECT_RET(mediated(nr), errno_ret(EPERM)) << nr;
    EXPECT_RET(plain(nr), errno_ret(EPERM)) << nr;
  }
}

TEST_F(WallsSeccompFilter, Clone3AndOpenat2FallBack) {
  EXPECT_RET(mediated(kabi::NR_clone3, {0x1000, 88}), errno_ret(ENOSYS));
  EXPECT_RET(mediated(kabi::NR_openat2, {uint64_t(int64_t(AT_FDCWD)), 0x1000, 0x2000, 24}),
             errno_ret(ENOSYS));
}

TEST_F(WallsSeccompFilter, CloneWithNamespaceFlagsRefused) {
  for (uint64_t f : {uint64_t(CLONE_NEWUSER), uint64_t(CLONE_NEWNS), uint64_t(CLONE_NEWPID),
                     uint64_t(CLONE_NEWNET), uint64_t(CLONE_NEWIPC), uint64_t(CLONE_NEWUTS),
                     uint64_t(CLONE_NEWCGROUP)}) {
    EXPECT_RET(mediated(SYS_clone, {f | SIGCHLD, 0, 0, 0, 0}), errno_ret(EPERM)) << std::hex << f;
    EXPECT_RET(mediated(SYS_unshare, {f}), errno_ret(EPERM)) << std::hex << f;
  }
  EXPECT_RET(mediated(SYS_unshare, {0x80 /* CLONE_NEWTIME */}), errno_ret(EPERM));
  EXPECT_RET(mediated(SYS_clone, {CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD}), errno_ret(EPERM));
}

TEST_F(WallsSeccompFilter, ThreadsAndForkAllowed) {
  uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                    CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
  EXPECT_RET(mediated(SYS_clone, {thread, 0x7000, 0x8000, 0x9000, 0xa000}), kAllow);
  EXPECT_RET(mediated(SYS_clone, {CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD}), kAllow);
  EXPECT_RET(mediated(SYS_clone, {CLONE_VM | CLONE_VFORK | SIGCHLD}), kAllow);
  EXPECT_RET(mediated(SYS_unshare, {CLONE_FILES | CLONE_FS}), kAllow);
#ifdef SYS_fork
  EXPECT_RET(mediated(SYS_fork), kAllow);
  EXPECT_RET(mediated(SYS_vfork), kAllow);
#endif
}

TEST_F(WallsSeccompFilter, ForeignArchitectureRefused) {
#if defined(__x86_64__)
  // int 0x80 from a 64-bit process: i386 numbers mean other calls (5 is open, 11 execve...).
  for (long nr : {0L, 5L, 11L, 120L /* clone */, 54L /* ioctl */, 102L /* socketcall */})
    EXPECT_RET(mediated(nr, {}, AUDIT_ARCH_I386), errno_ret(ENOSYS)) << nr;
#else
  GTEST_SKIP() << "x86_64 only";
#endif
}

TEST_F(WallsSeccompFilter, X32SyscallNumbersNotAllowed) {
#if defined(__x86_64__)
  constexpr long kX32 = 0x40000000;
  for (long nr : {long(SYS_read), long(SYS_openat), long(SYS_ioctl), long(SYS_clone),
                  long(__NR_io_uring_setup), long(SYS_getpid), long(SYS_mount)}) {
    uint32_t r = mediated(nr | kX32, {0, 0x5412, O_WRONLY});
    EXPECT_NE(r & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW) << nr << ": " << ret_name(r);
    EXPECT_NE(r & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_USER_NOTIF) << nr << ": " << ret_name(r);
  }
  // x32 syscalls that have their own numbers (512+) too.
  uint32_t r = mediated(kX32 | 514 /* x32 ioctl */, {0, 0x5412});
  EXPECT_NE(r & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW) << ret_name(r);
#else
  GTEST_SKIP() << "x86_64 only";
#endif
}

TEST_F(WallsSeccompFilter, SocketFamilies) {
  for (uint64_t fam : {uint64_t(AF_PACKET), uint64_t(AF_KEY), uint64_t(AF_TIPC), uint64_t(AF_RDS),
                       uint64_t(AF_BLUETOOTH), uint64_t(AF_ALG), uint64_t(AF_VSOCK),
                       uint64_t(0xffffffff00000000ULL | AF_PACKET)}) {
    EXPECT_RET(mediated(SYS_socket, {fam, SOCK_RAW, 0}), errno_ret(EAFNOSUPPORT)) << fam;
    EXPECT_RET(plain(SYS_socket, {fam, SOCK_DGRAM, 0}), errno_ret(EAFNOSUPPORT)) << fam;
  }
  for (uint64_t fam :
       {uint64_t(AF_UNIX), uint64_t(AF_INET), uint64_t(AF_INET6), uint64_t(AF_NETLINK)})
    EXPECT_RET(mediated(SYS_socket, {fam, SOCK_STREAM | SOCK_CLOEXEC, 0}), kAllow) << fam;
}

TEST(WallsSeccompCompile, ShippedProgramIsTheCurrentPolicy) {
  auto fresh = compile_seccomp(sandbox_seccomp_policy(true));
  ASSERT_TRUE(fresh.ok()) << fresh.error().message();
  auto shipped = sandbox_seccomp_program();
  ASSERT_EQ(shipped.size(), fresh->code.size());
  for (size_t i = 0; i < shipped.size(); ++i) {
    EXPECT_EQ(shipped[i].code, fresh->code[i].code) << i;
    EXPECT_EQ(shipped[i].jt, fresh->code[i].jt) << i;
    EXPECT_EQ(shipped[i].jf, fresh->code[i].jf) << i;
    EXPECT_EQ(shipped[i].k, fresh->code[i].k) << i;
  }
}

TEST(WallsSeccompCompile, EmptyPolicyAllowsEverythingNative) {
  auto r = compile_seccomp(SeccompPolicy{});
  ASSERT_TRUE(r.ok()) << r.error().message();
  if (kNativeArch == 0) GTEST_SKIP();
  seccomp_data d{};
  d.arch = kNativeArch;
  d.nr = SYS_getpid;
  EXPECT_EQ(run_bpf(r->code, d), kAllow);
#if defined(__x86_64__)
  d.arch = AUDIT_ARCH_I386;
  EXPECT_EQ(run_bpf(r->code, d), errno_ret(ENOSYS));
#endif
}

TEST(WallsSeccompCompile, UnknownSyscallNamesSkipped) {
  SeccompPolicy p;
  p.rules.push_back({"test", "no_such_syscall_xyz", SyscallRule::Action::Errno, EPERM});
  p.rules.push_back({"test", "getppid", SyscallRule::Action::Errno, EACCES});
  auto r = compile_seccomp(p);
  ASSERT_TRUE(r.ok()) << r.error().message();
  if (kNativeArch == 0) GTEST_SKIP();
  seccomp_data d{};
  d.arch = kNativeArch;
  d.nr = SYS_getppid;
  EXPECT_EQ(run_bpf(r->code, d), errno_ret(EACCES));
  d.nr = SYS_getpid;
  EXPECT_EQ(run_bpf(r->code, d), kAllow);
}

TEST(WallsSeccompCompile, InvalidRuleReportsTheGroup) {
  SeccompPolicy p;
  // Argument index 6 does not exist.
  p.rules.push_back({"broken-group", "ioctl", SyscallRule::Action::Errno, EPERM,
                     SyscallRule::Cond::ArgEq32, 6, 1});
  auto r = compile_seccomp(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().path, "ioctl");
  EXPECT_NE(r.error().message().find("broken-group"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace paddock
