// enumerate_host_addresses(): the one part of the address filter that does I/O, kept apart so
// address_filter.cc stays pure and testable without a network.
#include <ifaddrs.h>

#include <algorithm>

#include "proxy/decide/address_filter.h"

namespace paddock::proxy {

Result<std::vector<IpAddress>> enumerate_host_addresses() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return sys_error("getifaddrs");
  std::vector<IpAddress> out;
  for (const ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr) continue;
    const sa_family_t family = it->ifa_addr->sa_family;
    const socklen_t len = family == AF_INET    ? sizeof(sockaddr_in)
                          : family == AF_INET6 ? sizeof(sockaddr_in6)
                                               : 0;
    if (len == 0) continue;  // AF_PACKET and friends
    const auto ip = IpAddress::from_sockaddr(it->ifa_addr, len);
    if (ip && std::find(out.begin(), out.end(), *ip) == out.end()) out.push_back(*ip);
  }
  freeifaddrs(list);
  return out;
}

}  // namespace paddock::proxy
