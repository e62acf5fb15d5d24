#include "sandbox/network_rules.h"

#include "proxy/address_filter.h"

namespace paddock {

Result<proxy::NetworkRules> compile_network_rules(const Policy& policy, bool with_host_addresses) {
  std::vector<proxy::IpAddress> own;
  if (with_host_addresses) {
    auto a = proxy::enumerate_host_addresses();
    if (!a) return a.error();
    own = std::move(*a);
  }
  const NetworkSettings& n = policy.network;
  return proxy::NetworkRules::compile(n.allowed_domains, n.denied_domains,
                                      n.denied_resolved_addresses, n.resolve, own);
}

}  // namespace paddock
