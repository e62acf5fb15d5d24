#pragma once
// The sandbox's resolver, wired to the run's network policy: names are judged by
// NetworkRules::decide_name(), refusals go to the proxy's audit log and exit summary.
#include <memory>

#include "base/result.h"
#include "base/unique_fd.h"
#include "dns/server.h"
#include "proxy/decide/domain_rules.h"
#include "proxy/proxy_server.h"

namespace paddock {

// `proxy` must outlive the returned server (stop the server first).
Result<std::unique_ptr<dns::DnsServer>> start_resolver(UniqueFd udp, UniqueFd tcp,
                                                       proxy::NetworkRules rules,
                                                       proxy::ProxyServer& proxy,
                                                       std::shared_ptr<dns::FakeIpTable> table);

}  // namespace paddock
