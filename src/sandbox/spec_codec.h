#pragma once
// A SandboxSpec as bytes: the sandbox side is cloned before the policy is known (so that making
// its namespaces overlaps with reading settings and planning), then receives its spec this way.
// Both ends are paddock; decoding still checks every length against the buffer.
#include <string>
#include <string_view>

#include "base/result.h"
#include "sandbox/sandbox_spec.h"

namespace paddock {

std::string encode_spec(const SandboxSpec& spec);

// The seccomp program is not carried: both ends hold the same static program.
Result<SandboxSpec> decode_spec(std::string_view bytes);

}  // namespace paddock
