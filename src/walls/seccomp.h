#pragma once
// Compiles the seccomp policy to a BPF program in the parent (libseccomp), and installs a
// compiled program in the child with one syscall (nothing to allocate after fork).
#include <linux/filter.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "policy/seccomp_policy.h"

namespace paddock {

struct SeccompProgram {
  std::vector<sock_filter> code;
};

Result<SeccompProgram> compile_seccomp(const SeccompPolicy& policy);

// Installs the program on the calling thread. With `want_listener`, returns the user-notification
// listener fd (O_CLOEXEC); otherwise 0.
Result<int> install_seccomp(const SeccompProgram& prog, bool want_listener);

std::string describe_seccomp(const SeccompPolicy& policy);

}  // namespace paddock
