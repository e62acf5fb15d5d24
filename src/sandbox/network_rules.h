#pragma once
// The policy's network section compiled into the proxy's rules (validated at start: a bad
// pattern is a settings error, exit 125).
#include "base/result.h"
#include "policy/policy.h"
#include "proxy/domain_rules.h"

namespace paddock {

// `with_host_addresses`: include this host's own interface addresses in the address filter.
Result<proxy::NetworkRules> compile_network_rules(const Policy& policy, bool with_host_addresses);

}  // namespace paddock
