#include "policy/seccomp_policy.h"

#include <fcntl.h>
#include <sched.h>

#include <cerrno>
#include <string_view>
#include <utility>

namespace paddock {

namespace {

using A = SyscallRule::Action;
using C = SyscallRule::Cond;

// Calls the policy names that are newer than the libseccomp paddock may be built with (Debian
// 12's 2.5.4 knows x86-64 up to 456), by their number in the kernel's table. From 424 on,
// every architecture but alpha, ia64 and mips shares these numbers.
struct NumberedCall {
  std::string_view name;
  int nr;
};
constexpr NumberedCall kNumbered[] = {
    {"fchmodat2", 452},     {"lsm_set_self_attr", 460}, {"setxattrat", 463},
    {"removexattrat", 466}, {"open_tree_attr", 467},    {"file_setattr", 469},
};

SyscallRule rule(const std::string& group, std::string_view name, A action, int err) {
  SyscallRule r;
  r.group = group;
  r.syscall = std::string(name);
  r.action = action;
  r.err = err;
  for (const auto& n : kNumbered)
    if (n.name == name) r.nr = n.nr;
  return r;
}

void deny(SeccompPolicy& p, const std::string& group, std::initializer_list<const char*> names,
          int err = EPERM) {
  for (const char* n : names) p.rules.push_back(rule(group, n, A::Errno, err));
}

void mediate(SeccompPolicy& p, const std::string& group, std::initializer_list<const char*> names) {
  for (const char* n : names) p.rules.push_back(rule(group, n, A::Notify, 0));
}

// ioctl requests are compared on their low 32 bits: the kernel takes `unsigned int cmd`.
void deny_ioctl(SeccompPolicy& p, const std::string& group, uint32_t request, const char* what) {
  SyscallRule r = rule(group, "ioctl", A::Errno, EPERM);
  r.cond = C::ArgEq32;
  r.arg = 1;
  r.value = request;
  r.what = what;
  p.rules.push_back(r);
}

// Every request of a legacy (unencoded) ioctl range 0xNN00..0xNNFF. Encoded requests that share
// the type byte carry direction and size bits above it, so they do not match.
void deny_ioctl_range(SeccompPolicy& p, const std::string& group, uint32_t first,
                      const char* what) {
  SyscallRule r = rule(group, "ioctl", A::Errno, EPERM);
  r.cond = C::ArgMaskedEq32;
  r.arg = 1;
  r.mask = 0xffffff00U;
  r.value = first;
  r.what = what;
  p.rules.push_back(r);
}

void deny_unix_datagram(SeccompPolicy& p, const std::string& group, const char* name) {
  SyscallRule r = rule(group, name, A::Errno, EPERM);
  r.cond = C::UnixDatagram;
  p.rules.push_back(r);
}

void terminal(SeccompPolicy& p) {
  // Injection: TIOCSTI pushes keystrokes into the user's shell, TIOCLINUX too on a VT (it
  // pastes the selection).
  deny_ioctl(p, "terminal", 0x5412, "TIOCSTI");
  deny_ioctl(p, "terminal", 0x541C, "TIOCLINUX");
  // Terminal state that outlives the sandbox and that the user's shell does not restore. A line
  // discipline (N_NULL) swallows all input and output; exclusive mode makes every later open of
  // the terminal fail with EBUSY (ssh and sudo prompts, less reading /dev/tty); TCOOFF after
  // clearing IXON stops output for good (^Q no longer resumes it). Nothing a command needs on
  // an inherited terminal; stty's termios calls stay allowed.
  deny_ioctl(p, "terminal", 0x5423, "TIOCSETD");
  deny_ioctl(p, "terminal", 0x540C, "TIOCEXCL");
  deny_ioctl(p, "terminal", 0x540A, "TCXONC");
  // On a Linux VT the controlling terminal is enough for the kernel to let a process switch the
  // keyboard off or to raw codes (KDSKBMODE), the screen to graphics (KDSETMODE), rewrite the
  // keymap every VT shares (KDSKBENT, KDSETKEYCODE, KDSKBDIACR), the font and the colour map,
  // start an endless tone (KIOCSOUND) and switch VTs (VT_ACTIVATE, VT_SETMODE): each outlives
  // the process. Whole ranges, reads included: only console tools (loadkeys, setfont, chvt)
  // use them.
  deny_ioctl_range(p, "terminal", 0x4B00, "KD* console");
  deny_ioctl_range(p, "terminal", 0x5600, "VT_* console");
}

void file_attributes(SeccompPolicy& p) {
  // Inode state that an owner may change through a read-only fd (or, for file_setattr, by path)
  // and that stays on the host. fs-verity makes a file read-only forever; an encryption policy
  // makes an empty directory unusable without a key, and removing a key locks the user's
  // encrypted files. The inode flags an unprivileged owner may set (immutable and append-only
  // need CAP_LINUX_IMMUTABLE, data journalling CAP_SYS_RESOURCE) run no code, but casefold, on
  // a filesystem with that feature, makes an empty directory look names up without regard to
  // case, so '.GIT' would answer for '.git' while the protected names are judged by spelling.
  deny_ioctl(p, "file-attributes", 0x40086602, "FS_IOC_SETFLAGS");
  deny_ioctl(p, "file-attributes", 0x40046602, "FS_IOC32_SETFLAGS");
  deny_ioctl(p, "file-attributes", 0x401C5820, "FS_IOC_FSSETXATTR");
  deny(p, "file-attributes", {"file_setattr"});
  deny_ioctl(p, "file-attributes", 0x40806685, "FS_IOC_ENABLE_VERITY");
  deny_ioctl(p, "file-attributes", 0x800C6613, "FS_IOC_SET_ENCRYPTION_POLICY");
  deny_ioctl(p, "file-attributes", 0xC0406618, "FS_IOC_REMOVE_ENCRYPTION_KEY");
  deny_ioctl(p, "file-attributes", 0xC0406619, "FS_IOC_REMOVE_ENCRYPTION_KEY_ALL_USERS");
  // Names made by ioctl, where the mediator never sees them: btrfs creates a subvolume (any
  // user who may write the directory) or a snapshot of one the user owns under any name, '.git'
  // included, and removes subvolumes (with user_subvol_rm_allowed); bcachefs the same. Clones
  // (FICLONE, FICLONERANGE) write only through a writable destination fd and stay allowed.
  deny_ioctl(p, "subvolumes", 0x50009401, "BTRFS_IOC_SNAP_CREATE");
  deny_ioctl(p, "subvolumes", 0x50009417, "BTRFS_IOC_SNAP_CREATE_V2");
  deny_ioctl(p, "subvolumes", 0x5000940E, "BTRFS_IOC_SUBVOL_CREATE");
  deny_ioctl(p, "subvolumes", 0x50009418, "BTRFS_IOC_SUBVOL_CREATE_V2");
  deny_ioctl(p, "subvolumes", 0x5000940F, "BTRFS_IOC_SNAP_DESTROY");
  deny_ioctl(p, "subvolumes", 0x5000943F, "BTRFS_IOC_SNAP_DESTROY_V2");
  deny_ioctl(p, "subvolumes", 0x4008941A, "BTRFS_IOC_SUBVOL_SETFLAGS");
  SyscallRule bcachefs = rule("subvolumes", "ioctl", A::Errno, EPERM);
  bcachefs.cond = C::ArgMaskedEq32;
  bcachefs.arg = 1;
  bcachefs.mask = 0x0000ff00U;  // every request of bcachefs' type byte, whatever its size
  bcachefs.value = 0x0000bc00U;
  bcachefs.what = "bcachefs (type 0xbc)";
  p.rules.push_back(bcachefs);
}

}  // namespace

SeccompPolicy sandbox_seccomp_policy(bool mediate_writes) {
  SeccompPolicy p;
  p.unreviewed_from = kFirstUnreviewedSyscall;
  // Rarely needed kernel surface with a history of privilege escalations.
  deny(p, "io-uring", {"io_uring_setup", "io_uring_enter", "io_uring_register"});
  deny(p, "kernel-keys", {"keyctl", "add_key", "request_key"});
  deny(p, "bpf-perf", {"bpf", "perf_event_open"});
  deny(p, "userfaultfd", {"userfaultfd"});
  deny(p, "kernel-modules",
       {"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load"});
  deny(p, "mount",
       {"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "open_tree_attr",
        "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr"});
  deny(p, "namespaces", {"setns"});
  // clone3 hides its flags behind a pointer the filter cannot read: ENOSYS makes libc fall back
  // to clone, whose flags it can.
  deny(p, "namespaces", {"clone3"}, ENOSYS);
  for (auto [f, what] :
       std::initializer_list<std::pair<uint64_t, const char*>>{{CLONE_NEWUSER, "CLONE_NEWUSER"},
                                                               {CLONE_NEWNS, "CLONE_NEWNS"},
                                                               {CLONE_NEWPID, "CLONE_NEWPID"},
                                                               {CLONE_NEWNET, "CLONE_NEWNET"},
                                                               {CLONE_NEWIPC, "CLONE_NEWIPC"},
                                                               {CLONE_NEWUTS, "CLONE_NEWUTS"},
                                                               {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
                                                               {0x80ULL, "CLONE_NEWTIME"}}) {
    for (const char* n : {"unshare", "clone"}) {
      SyscallRule r = rule("namespaces", n, A::Errno, EPERM);
      r.cond = C::ArgMaskedAny;
      r.value = f;
      r.what = what;
      p.rules.push_back(r);
    }
  }
  terminal(p);
  file_attributes(p);
  deny(p, "system", {"reboot",       "swapon",        "swapoff",           "acct",
                     "settimeofday", "clock_settime", "clock_adjtime",     "adjtimex",
                     "syslog",       "vhangup",       "quotactl",          "quotactl_fd",
                     "iopl",         "ioperm",        "open_by_handle_at", "lookup_dcookie",
                     "nfsservctl",   "uselib",        "process_madvise",   "fanotify_init"});
  // The process's own LSM attributes: the files behind them (/proc/self/attr/*) are outside
  // Landlock's writable set; the syscall must not be the way around.
  deny(p, "lsm", {"lsm_set_self_attr"});
  // Socket families nobody in a dev sandbox needs, with a long CVE list (packet, tipc, rds, ...)
  // and modules the kernel loads on first use: every family up to AF_MCTP (45) but unix (1),
  // inet (2), inet6 (10) and netlink (16).
  for (uint64_t fam = 3; fam <= 45; ++fam) {
    if (fam == 10 || fam == 16) continue;
    SyscallRule r = rule("socket-families", "socket", A::Errno, EAFNOSUPPORT);
    r.cond = C::ArgEq32;
    r.value = fam;
    p.rules.push_back(r);
  }
  // openat2 keeps its flags in a struct too; programs fall back to openat on ENOSYS.
  deny(p, "write-mediation", {"openat2"}, ENOSYS);

  if (mediate_writes) {
    // Opens that can create or write: judged by the supervisor, which performs them itself.
    // Plain reads (no write flag) never leave the kernel.
    for (uint64_t f :
         {uint64_t(O_WRONLY), uint64_t(O_RDWR), uint64_t(O_CREAT), uint64_t(O_TRUNC)}) {
      for (auto [name, arg] : {std::pair{"open", 1U}, std::pair{"openat", 2U}}) {
        SyscallRule r = rule("write-mediation", name, A::Notify, 0);
        r.cond = C::ArgMaskedAny;
        r.arg = arg;
        r.value = f;
        p.rules.push_back(r);
      }
    }
    mediate(p, "write-mediation",
            {"creat",     "mkdir",    "mkdirat",   "mknod",   "mknodat",   "rename",   "renameat",
             "renameat2", "link",     "linkat",    "symlink", "symlinkat", "truncate", "chmod",
             "fchmod",    "fchmodat", "fchmodat2", "unlink",  "unlinkat",  "rmdir"});
    // Extended attributes carry ACLs (system.posix_acl_access rewrites the mode bits a refused
    // chmod would have) and file capabilities: every call that sets or removes one is judged
    // like chmod, by path or by fd (an owner needs no write access). Reads stay in the kernel.
    mediate(p, "write-mediation",
            {"setxattr", "lsetxattr", "fsetxattr", "setxattrat", "removexattr", "lremovexattr",
             "fremovexattr", "removexattrat"});
    // Host unix sockets stay out of reach even where a directory holding one is visible: every
    // connect and bind, and sendto with an address, is judged by the supervisor (which also
    // enforces the TCP port rules for them).
    mediate(p, "socket-mediation", {"connect", "bind"});
    SyscallRule sendto = rule("socket-mediation", "sendto", A::Notify, 0);
    sendto.cond = C::ArgNonZero;
    sendto.arg = 4;
    p.rules.push_back(sendto);
    // sendmsg and sendmmsg keep their destination inside a struct the filter cannot read, and a
    // unix datagram socket is the one kind that addresses a host socket per message (stream
    // sockets refuse msg_name, seqpacket ignores it). So none is created, named or in a pair.
    deny_unix_datagram(p, "socket-mediation", "socket");
    deny_unix_datagram(p, "socket-mediation", "socketpair");
  }
  return p;
}

}  // namespace paddock
