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

// `proxy` must outlive the returned server (stop the server first). `ask` (--ask): a name that
// matches no rule is answered like an allowed one, so that the connection to it reaches the
// proxy and is asked about there, with its port (a name denied by a rule still is not).
Result<std::unique_ptr<dns::DnsServer>> start_resolver(UniqueFd udp, UniqueFd tcp,
                                                       proxy::NetworkRules rules,
                                                       proxy::ProxyServer& proxy,
                                                       std::shared_ptr<dns::FakeIpTable> table,
                                                       bool ask = false);

}  // namespace paddock
