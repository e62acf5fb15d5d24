#include "policy/seccomp_policy.h"

#include <fcntl.h>
#include <sched.h>

#include <cerrno>

namespace paddock {

namespace {

using A = SyscallRule::Action;
using C = SyscallRule::Cond;

void deny(SeccompPolicy& p, const std::string& group, std::initializer_list<const char*> names,
          int err = EPERM) {
  for (const char* n : names) p.rules.push_back({group, n, A::Errno, err});
}

}  // namespace

SeccompPolicy sandbox_seccomp_policy(bool mediate_writes) {
  SeccompPolicy p;
  // Rarely needed kernel surface with a history of privilege escalations.
  deny(p, "io-uring", {"io_uring_setup", "io_uring_enter", "io_uring_register"});
  deny(p, "kernel-keys", {"keyctl", "add_key", "request_key"});
  deny(p, "bpf-perf", {"bpf", "perf_event_open"});
  deny(p, "userfaultfd", {"userfaultfd"});
  deny(p, "kernel-modules",
       {"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load"});
  deny(p, "mount",
       {"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig",
        "fsmount", "fspick", "mount_setattr"});
  deny(p, "namespaces", {"setns"});
  // clone3 hides its flags behind a pointer the filter cannot read: ENOSYS makes libc fall back
  // to clone, whose flags it can.
  deny(p, "namespaces", {"clone3"}, ENOSYS);
  for (uint64_t f : std::initializer_list<uint64_t>{CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID,
                                                    CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS,
                                                    CLONE_NEWCGROUP, 0x80ULL /* CLONE_NEWTIME */}) {
    p.rules.push_back({"namespaces", "unshare", A::Errno, EPERM, C::ArgMaskedAny, 0, f});
    p.rules.push_back({"namespaces", "clone", A::Errno, EPERM, C::ArgMaskedAny, 0, f});
  }
  // Terminal injection: TIOCSTI pushes keystrokes into the user's shell, TIOCLINUX too on a VT.
  // Compared on the low 32 bits, as the kernel does.
  p.rules.push_back({"terminal", "ioctl", A::Errno, EPERM, C::ArgEq32, 1, 0x5412 /* TIOCSTI */});
  p.rules.push_back({"terminal", "ioctl", A::Errno, EPERM, C::ArgEq32, 1, 0x541C /* TIOCLINUX */});
  deny(p, "system", {"reboot",       "swapon",        "swapoff",           "acct",
                     "settimeofday", "clock_settime", "clock_adjtime",     "adjtimex",
                     "syslog",       "vhangup",       "quotactl",          "quotactl_fd",
                     "iopl",         "ioperm",        "open_by_handle_at", "lookup_dcookie",
                     "nfsservctl",   "uselib",        "process_madvise",   "fanotify_init"});
  // Socket families nobody in a dev sandbox needs, with a long CVE list (packet, tipc, rds, ...).
  for (uint64_t fam : std::initializer_list<uint64_t>{
           3,  4,  5,  6,  8,  9,  12, 15, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27,
           28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45})
    p.rules.push_back({"socket-families", "socket", A::Errno, EAFNOSUPPORT, C::ArgEq32, 0, fam});
  // openat2 keeps its flags in a struct too; programs fall back to openat on ENOSYS.
  deny(p, "write-mediation", {"openat2"}, ENOSYS);

  if (mediate_writes) {
    // Opens that can create or write: judged by the supervisor, which performs them itself.
    // Plain reads (no write flag) never leave the kernel.
    for (uint64_t f :
         {uint64_t(O_WRONLY), uint64_t(O_RDWR), uint64_t(O_CREAT), uint64_t(O_TRUNC)}) {
      p.rules.push_back({"write-mediation", "open", A::Notify, 0, C::ArgMaskedAny, 1, f});
      p.rules.push_back({"write-mediation", "openat", A::Notify, 0, C::ArgMaskedAny, 2, f});
    }
    for (const char* n :
         {"creat",     "mkdir",    "mkdirat",   "mknod",   "mknodat",   "rename",   "renameat",
          "renameat2", "link",     "linkat",    "symlink", "symlinkat", "truncate", "chmod",
          "fchmod",    "fchmodat", "fchmodat2", "unlink",  "unlinkat",  "rmdir"})
      p.rules.push_back({"write-mediation", n, A::Notify});
    // Host unix sockets stay out of reach even where a directory holding one is visible: every
    // connect and bind, and sendto with an address, is judged by the supervisor (which also
    // enforces the TCP port rules for them).
    p.rules.push_back({"socket-mediation", "connect", A::Notify});
    p.rules.push_back({"socket-mediation", "bind", A::Notify});
    p.rules.push_back({"socket-mediation", "sendto", A::Notify, 0, C::ArgNonZero, 4, 0});
    // sendmsg keeps its destination inside a struct the filter cannot read, so unix datagram
    // sockets (the only kind that can address a host socket per message) are not created;
    // socketpair(AF_UNIX, SOCK_DGRAM) still works.
    p.rules.push_back({"socket-mediation", "socket", A::Errno, EPERM, C::UnixDgram, 0, 0});
  }
  return p;
}

}  // namespace paddock
