#pragma once
// Compiles a SeccompPolicy to a BPF program with libseccomp. Used at build time by
// tools/seccomp_gen.cc (paddock itself carries the result, see walls/seccomp.h) and by the tests
// that emulate the program.
#include <linux/filter.h>

#include <vector>

#include "base/result.h"
#include "policy/seccomp_policy.h"

namespace paddock {

struct SeccompProgram {
  std::vector<sock_filter> code;
};

Result<SeccompProgram> compile_seccomp(const SeccompPolicy& policy);

}  // namespace paddock
