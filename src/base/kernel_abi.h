#pragma once
// Kernel ABI constants newer than Debian 12's headers (Linux 6.1). Values from the kernel's
// uapi; kept here so the build does not depend on the build host's headers.
#include <linux/types.h>
#include <sys/syscall.h>

#include <cstdint>

namespace paddock::kabi {

// --- Landlock (include/uapi/linux/landlock.h) ---
struct landlock_ruleset_attr {
  __u64 handled_access_fs;
  __u64 handled_access_net;  // ABI 4
  __u64 scoped;              // ABI 6
};
struct landlock_path_beneath_attr {
  __u64 allowed_access;
  __s32 parent_fd;
} __attribute__((packed));

struct landlock_net_port_attr {
  __u64 allowed_access;
  __u64 port;
} __attribute__((packed));

constexpr __u32 LANDLOCK_CREATE_RULESET_VERSION = 1U << 0;
constexpr int LANDLOCK_RULE_PATH_BENEATH = 1;
constexpr int LANDLOCK_RULE_NET_PORT = 2;  // ABI 4

constexpr __u64 FS_EXECUTE = 1ULL << 0;
constexpr __u64 FS_WRITE_FILE = 1ULL << 1;
constexpr __u64 FS_READ_FILE = 1ULL << 2;
constexpr __u64 FS_READ_DIR = 1ULL << 3;
constexpr __u64 FS_REMOVE_DIR = 1ULL << 4;
constexpr __u64 FS_REMOVE_FILE = 1ULL << 5;
constexpr __u64 FS_MAKE_CHAR = 1ULL << 6;
constexpr __u64 FS_MAKE_DIR = 1ULL << 7;
constexpr __u64 FS_MAKE_REG = 1ULL << 8;
constexpr __u64 FS_MAKE_SOCK = 1ULL << 9;
constexpr __u64 FS_MAKE_FIFO = 1ULL << 10;
constexpr __u64 FS_MAKE_BLOCK = 1ULL << 11;
constexpr __u64 FS_MAKE_SYM = 1ULL << 12;
constexpr __u64 FS_REFER = 1ULL << 13;      // ABI 2
constexpr __u64 FS_TRUNCATE = 1ULL << 14;   // ABI 3
constexpr __u64 FS_IOCTL_DEV = 1ULL << 15;  // ABI 5

constexpr __u64 NET_BIND_TCP = 1ULL << 0;     // ABI 4
constexpr __u64 NET_CONNECT_TCP = 1ULL << 1;  // ABI 4

constexpr __u64 SCOPE_ABSTRACT_UNIX_SOCKET = 1ULL << 0;  // ABI 6
constexpr __u64 SCOPE_SIGNAL = 1ULL << 1;                // ABI 6

#ifndef __NR_landlock_create_ruleset
constexpr long NR_landlock_create_ruleset = 444;
constexpr long NR_landlock_add_rule = 445;
constexpr long NR_landlock_restrict_self = 446;
#else
constexpr long NR_landlock_create_ruleset = __NR_landlock_create_ruleset;
constexpr long NR_landlock_add_rule = __NR_landlock_add_rule;
constexpr long NR_landlock_restrict_self = __NR_landlock_restrict_self;
#endif

// --- mount_setattr (Linux 5.12) ---
constexpr long NR_mount_setattr = 442;
struct mount_attr_v0 {
  __u64 attr_set;
  __u64 attr_clr;
  __u64 propagation;
  __u64 userns_fd;
};
constexpr __u64 ATTR_RDONLY = 0x00000001;
constexpr __u64 ATTR_NOSUID = 0x00000002;
constexpr __u64 ATTR_NODEV = 0x00000004;
constexpr __u64 ATTR_NOEXEC = 0x00000008;
constexpr unsigned AT_RECURSIVE_FLAG = 0x8000;

// --- syscalls newer than the headers ---
constexpr long NR_fchmodat2 = 452;  // Linux 6.6
constexpr long NR_openat2 = 437;
constexpr long NR_pidfd_open = 434;
constexpr long NR_pidfd_getfd = 438;
constexpr long NR_clone3 = 435;
constexpr long NR_close_range = 436;
constexpr long NR_setxattrat = 463;     // Linux 6.13
constexpr long NR_removexattrat = 466;  // Linux 6.13

// pidfd_open flag (Linux 6.9): the pidfd names one thread, not its thread group.
constexpr unsigned PIDFD_THREAD = 0x80;  // O_EXCL

// seccomp user notification (Linux 6.6): the supervisor's thread is woken on the CPU the
// waiting caller just left, not through a cross-CPU wake-up.
constexpr unsigned long NOTIF_SET_FLAGS_IOCTL = 0x40082104;  // _IOW('!', 4, __u64)
constexpr __u64 USER_NOTIF_FD_SYNC_WAKE_UP = 1;              // SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP

// openat2 (Linux 5.6)
struct open_how {
  __u64 flags;
  __u64 mode;
  __u64 resolve;
};
constexpr __u64 RESOLVE_NO_XDEV = 0x01;
constexpr __u64 RESOLVE_NO_MAGICLINKS = 0x02;
constexpr __u64 RESOLVE_NO_SYMLINKS = 0x04;
constexpr __u64 RESOLVE_BENEATH = 0x08;
constexpr __u64 RESOLVE_IN_ROOT = 0x10;

}  // namespace paddock::kabi
