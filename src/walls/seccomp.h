#pragma once
// Installs the sandbox's seccomp program in the child with one syscall (nothing to allocate
// after clone). The program is compiled from policy/seccomp_policy with libseccomp when paddock
// is built (tools/seccomp_gen.cc, src/filtergen/): it depends on nothing known only at run time,
// and compiling it on every start cost a third of a millisecond.
#include <linux/filter.h>

#include <span>
#include <string>

#include "base/result.h"
#include "policy/seccomp_policy.h"

namespace paddock {

// sandbox_seccomp_policy(/*mediate_writes=*/true), compiled for this build's architecture.
std::span<const sock_filter> sandbox_seccomp_program();

// Installs the program on the calling thread. With `want_listener`, returns the user-notification
// listener fd (O_CLOEXEC); otherwise 0.
Result<int> install_seccomp(std::span<const sock_filter> prog, bool want_listener);

std::string describe_seccomp(const SeccompPolicy& policy);

}  // namespace paddock
