#pragma once
// Settings file + command-line flags -> the effective Policy. Shared by `run` and `policy`.
#include "cli/commands.h"
#include "policy/policy.h"
#include "proxy/decide/domain_rules.h"

namespace paddock {

struct EffectivePolicy {
  Policy policy;
  proxy::NetworkRules network;  // compiled from policy.network, without the host's addresses
};

Result<EffectivePolicy> effective_policy(const CommonFlags& flags);

}  // namespace paddock
