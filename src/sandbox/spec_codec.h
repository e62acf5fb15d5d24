#pragma once
// A SandboxSpec as bytes: the sandbox side is cloned before the policy is known (so that making
// its namespaces overlaps with reading settings and planning), then receives its spec this way.
// Both ends are paddock; decoding still checks every length against the buffer.
#include <string>
#include <string_view>

#include "base/result.h"
#include "sandbox/sandbox_spec.h"

namespace paddock {

// A spec is its walls (everything the view and the locks are built from) followed by its
// command (argv, environment, signal mask). The walls alone may be sent ahead, speculatively
// (spec_speculation.h), and the command once the supervisor has confirmed them.
std::string encode_spec(const SandboxSpec& spec);
std::string encode_walls(const SandboxSpec& spec);
std::string encode_command(const SandboxSpec& spec);

// The seccomp program is not carried: both ends hold the same static program.
Result<SandboxSpec> decode_spec(std::string_view bytes);
Result<SandboxSpec> decode_walls(std::string_view bytes);  // no command yet
Status decode_command(std::string_view bytes, SandboxSpec& spec);

}  // namespace paddock
