#pragma once
// The syscall policy as data: named groups of syscalls and what happens to them. Pure; compiled
// to BPF by filtergen/ at build time and printed by --debug. docs/SYSCALLS.md reviews the whole
// x86-64 table against it.
#include <cstdint>
#include <string>
#include <vector>

namespace paddock {

struct SyscallRule {
  enum class Action { Errno, Notify };
  enum class Cond {
    None,
    ArgMaskedAny,   // (arg & value) != 0, on 64 bits (single-bit masks)
    ArgEq32,        // (uint32_t)arg == value: ioctl requests, families (the kernel reads ints)
    ArgMaskedEq32,  // ((uint32_t)arg & mask) == value: a range of ioctl requests
    ArgNonZero,     // arg != 0
    // arg0 == AF_UNIX and the type (arg1's low four bits) is SOCK_DGRAM or SOCK_RAW, which
    // unix_create turns into SOCK_DGRAM; SOCK_NONBLOCK / SOCK_CLOEXEC above them do not matter.
    UnixDatagram,
  };
  std::string group;    // "kernel-keys", "namespaces", ...
  std::string syscall;  // name as the kernel's syscall table spells it
  Action action = Action::Errno;
  int err = 1;  // EPERM unless noted
  Cond cond = Cond::None;
  unsigned arg = 0;    // argument index for Cond
  uint64_t value = 0;  // mask (ArgMaskedAny) or value (ArgEq32, ArgMaskedEq32)
  uint64_t mask = 0;   // ArgMaskedEq32
  // The syscall's number, for calls newer than the libseccomp paddock may be built with (which
  // then cannot resolve the name); -1 when every supported libseccomp knows the name. Where
  // libseccomp knows the name too, the compiler checks that both agree.
  int nr = -1;
  std::string what;  // what the condition stands for, for --debug ("TIOCSETD")
};

struct SeccompPolicy {
  std::vector<SyscallRule> rules;
  // Syscall numbers from this one up are newer than the last review of the kernel's table
  // (docs/SYSCALLS.md) and get ENOSYS, so a call a future kernel adds is refused until it has
  // been judged. 0: no such bound.
  int unreviewed_from = 0;
};

// The highest syscall number docs/SYSCALLS.md has judged, plus one.
inline constexpr int kFirstUnreviewedSyscall = 470;

// The filter every sandboxed process runs under. `mediate_writes` adds the user-notification
// rules through which the supervisor judges path-creating and write-opening calls.
SeccompPolicy sandbox_seccomp_policy(bool mediate_writes);

}  // namespace paddock
