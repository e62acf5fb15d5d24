#include "sandbox/dns_setup.h"

#include <chrono>

#include "proxy/decide/audit_log.h"
#include "proxy/decide/host_name.h"

namespace paddock {

Result<std::unique_ptr<dns::DnsServer>> start_resolver(UniqueFd udp, UniqueFd tcp,
                                                       proxy::NetworkRules rules,
                                                       proxy::ProxyServer& proxy,
                                                       std::shared_ptr<dns::FakeIpTable> table,
                                                       bool ask) {
  auto shared_rules = std::make_shared<const proxy::NetworkRules>(std::move(rules));
  dns::NameJudge judge = [shared_rules, &proxy, ask](std::string_view name,
                                                     uint16_t) -> std::optional<std::string> {
    proxy::AuditRecord r;
    r.time = std::chrono::system_clock::now();
    r.protocol = proxy::Protocol::Dns;
    auto host = proxy::normalise_host(name);
    if (!host || host->is_ip()) {
      // An address spelled as a name has no name to stand for; anything else is not a host.
      r.host = proxy::printable(name);
      r.rule = "invalid-host";
      r.reason = host ? "an IP address is not a name to look up"
                      : "invalid host name: " + host.error().detail;
      proxy.record(r);
      return std::nullopt;
    }
    proxy::Decision d = shared_rules->decide_name(*host);
    if (d.allowed || (ask && d.rule == "default-deny")) return std::move(host->text);
    r.host = host->text;
    r.rule = std::move(d.rule);
    r.reason = std::move(d.reason);
    proxy.record(r);
    return std::nullopt;
  };
  return dns::DnsServer::start(std::move(udp), std::move(tcp), std::move(judge), std::move(table));
}

}  // namespace paddock
