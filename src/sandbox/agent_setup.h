#pragma once
// --ssh-agent, checked before the sandbox starts: the user's agent socket (paddock's own
// $SSH_AUTH_SOCK) and the keys to offer (--ssh-agent-key: fingerprints or .pub files). Errors
// exit 125 with nothing run.
#include <string>

#include "base/result.h"
#include "policy/policy.h"
#include "sshagent/agent_filter.h"

namespace paddock {

struct AgentSetup {
  std::string agent_path;
  sshagent::KeyAllowlist allow;
};

Result<AgentSetup> agent_setup(const Policy& policy);

}  // namespace paddock
