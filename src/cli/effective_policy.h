#pragma once
// Settings file + command-line flags -> the effective Policy. Shared by `run` and `policy`.
#include "cli/commands.h"
#include "policy/policy.h"

namespace paddock {

Result<Policy> effective_policy(const CommonFlags& flags);

}  // namespace paddock
