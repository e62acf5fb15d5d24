#pragma once
// The policy's network section compiled into the proxy's rules (validated at start: a bad
// pattern is a settings error, exit 125). The host's own addresses are added by paddock run
// while the sandbox side starts (proxy::NetworkRules::add_host_addresses).
#include "base/result.h"
#include "policy/policy.h"
#include "proxy/decide/domain_rules.h"

namespace paddock {

Result<proxy::NetworkRules> compile_network_rules(const Policy& policy);

}  // namespace paddock
