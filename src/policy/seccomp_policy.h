#pragma once
// The syscall policy as data: named groups of syscalls and what happens to them. Pure; compiled
// to BPF by walls/seccomp.cc and printed by --debug.
#include <cstdint>
#include <string>
#include <vector>

namespace paddock {

struct SyscallRule {
  enum class Action { Errno, Notify };
  // UnixDgram: socket(AF_UNIX, SOCK_DGRAM | flags, ...)
  enum class Cond { None, ArgMaskedAny, ArgEq32, ArgNonZero, UnixDgram };
  std::string group;    // "kernel-keys", "namespaces", ...
  std::string syscall;  // name as libseccomp knows it
  Action action = Action::Errno;
  int err = 1;  // EPERM unless noted
  Cond cond = Cond::None;
  unsigned arg = 0;    // argument index for Cond
  uint64_t value = 0;  // mask (ArgMaskedAny: fires when (arg & value) != 0) or value (ArgEq32)
};

struct SeccompPolicy {
  std::vector<SyscallRule> rules;
};

// The filter every sandboxed process runs under. `mediate_writes` adds the user-notification
// rules through which the supervisor judges path-creating and write-opening calls.
SeccompPolicy sandbox_seccomp_policy(bool mediate_writes);

}  // namespace paddock
