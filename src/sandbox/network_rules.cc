#include "sandbox/network_rules.h"

namespace paddock {

Result<proxy::NetworkRules> compile_network_rules(const Policy& policy) {
  const NetworkSettings& n = policy.network;
  return proxy::NetworkRules::compile(
      n.allowed_domains, n.denied_domains, n.denied_resolved_addresses, n.resolve, {},
      n.allow_private_addresses ? proxy::PrivateAddresses::kAllowed
                                : proxy::PrivateAddresses::kRefused);
}

}  // namespace paddock
