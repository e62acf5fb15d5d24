#pragma once
// The resolved-address check (DESIGN 5): after an allowed name is resolved, every address is
// judged here and only a surviving one is dialled, so a name that the allowlist accepts cannot be
// pointed (by its DNS owner, or by a rebinding attack) at the host itself or at a cloud's
// credentials endpoint.
//
// Refused, always:
//   IPv4  0.0.0.0/8 (unspecified; Linux connects 0.0.0.0 to the local host), 127.0.0.0/8
//         (loopback), 169.254.0.0/16 (link-local), 224.0.0.0/4 (multicast), 255.255.255.255
//         (broadcast), 240.0.0.0/4 (reserved, never routable on the Internet)
//   IPv6  :: (unspecified), ::1 (loopback), fe80::/10 (link-local), ff00::/8 (multicast)
//   cloud metadata endpoints, named so the reason says what was reached:
//         169.254.169.254  AWS, GCP, Azure IMDS, OpenStack, DigitalOcean, Oracle (all document it)
//         169.254.170.2    AWS ECS task metadata and credentials endpoint (AWS ECS docs)
//         fd00:ec2::254    AWS IMDS over IPv6 (AWS EC2 docs, "instance metadata service")
//         100.100.100.200  Alibaba Cloud ECS metadata (Alibaba Cloud docs, "instance metadata")
//         168.63.129.16    Azure WireServer / host agent (Microsoft docs, "What is IP
//         168.63.129.16")
//   the host's own addresses (every interface, from enumerate_host_addresses())
//   user ranges from network.deniedResolvedAddresses
//   private networks, unless the user opts in with network.allowPrivateAddresses (DESIGN 5): an
//         allowed name whose owner (or a rebinding attacker) points it into the user's LAN, VPN or
//         tailnet must not reach it. 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 (RFC 1918),
//         100.64.0.0/10 (RFC 6598 shared space: carrier-grade NAT, Tailscale and other tailnets),
//         fc00::/7 (RFC 4193 unique local), fec0::/10 (RFC 3879 site-local, deprecated but still
//         routed by some networks), and the embedding IPv6 forms below of the IPv4 ones.
//   IPv6 addresses that embed an IPv4 address refused above: IPv4-mapped ::ffff:0:0/96,
//         IPv4-translated ::ffff:0:0:0/96, IPv4-compatible ::/96, NAT64 64:ff9b::/96 and the
//         local-use 64:ff9b:1::/48 (checked with the /96 layout, the common one), 6to4 2002::/16
//         (address in bits 16..47), Teredo 2001::/32 (client address, bit-inverted, last 32 bits).
//
// The opt-in exists because corporate proxies, registries and git servers often live in private
// ranges; it keeps every other class refused, and the host's own private addresses stay refused
// (they are its own addresses).
//
// Pure: the host's addresses are passed in. Names pinned with --resolve and IP-literal rules are
// the user's own choice and never reach this filter (see decision.h).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "proxy/decide/host_name.h"

namespace paddock::proxy {

// An address range. base has its host bits zero.
struct Cidr {
  IpAddress base;
  uint8_t prefix = 0;  // 0..32 for IPv4, 0..128 for IPv6

  bool contains(const IpAddress& ip) const;  // false across families
  std::string to_string() const;             // "10.0.0.0/8", "fd00::/8"
};

// "10.0.0.0/8", "192.0.2.7" (= /32), "fd00::/8", "[fd00::]/8", "::1" (= /128). IPv4 must be a
// strict dotted quad; the prefix is decimal without leading zeros; host bits must be zero
// ("10.0.0.1/8" is refused with a hint, since it usually means a mistake).
// Errors: op as given, path = the text, detail = why.
Result<Cidr> parse_cidr(std::string_view text,
                        std::string_view op = "network.deniedResolvedAddresses");

// Whether resolved addresses in private networks may be dialled (network.allowPrivateAddresses).
enum class PrivateAddresses { kRefused, kAllowed };

// The private ranges refused by default, for the filter and for `paddock policy`.
struct PrivateRange {
  const char* cidr;  // "10.0.0.0/8"
  const char* what;  // "RFC 1918"
};
inline constexpr PrivateRange kPrivateRanges[] = {
    {"10.0.0.0/8", "RFC 1918"},
    {"172.16.0.0/12", "RFC 1918"},
    {"192.168.0.0/16", "RFC 1918"},
    {"100.64.0.0/10", "RFC 6598 shared address space: carrier-grade NAT, tailnets"},
    {"fc00::/7", "RFC 4193 unique local"},
    {"fec0::/10", "RFC 3879 site-local"},
};

struct AddressVerdict {
  bool allowed = true;
  std::string reason;  // why it was refused, one line; empty when allowed
};

class AddressFilter {
 public:
  // Built-in classes only: no user ranges, no host addresses.
  AddressFilter() = default;

  // denied_cidrs as written in network.deniedResolvedAddresses; host_addresses usually from
  // enumerate_host_addresses().
  static Result<AddressFilter> create(
      const std::vector<std::string>& denied_cidrs, const std::vector<IpAddress>& host_addresses,
      PrivateAddresses private_addresses = PrivateAddresses::kRefused);

  AddressVerdict check_address(const IpAddress& ip) const;
  AddressVerdict check_address(const in_addr& a) const {
    return check_address(IpAddress::from_in_addr(a));
  }
  AddressVerdict check_address(const in6_addr& a) const {
    return check_address(IpAddress::from_in6_addr(a));
  }
  // Socket addresses other than AF_INET/AF_INET6 are refused.
  AddressVerdict check_address(const sockaddr* sa, socklen_t len) const;

  size_t denied_range_count() const { return range_count_; }
  bool private_addresses_allowed() const { return private_ == PrivateAddresses::kAllowed; }
  size_t host_address_count() const { return host_.size(); }
  // Adds this host's own addresses after the fact: paddock run enumerates them while the
  // sandbox side starts, not before.
  void add_host_addresses(const std::vector<IpAddress>& host_addresses);

 private:
  // Ranges of one family grouped by prefix length, longest first: a lookup masks the address once
  // per distinct length and probes a hash map, so thousands of ranges stay cheap.
  struct PrefixBucket {
    uint8_t prefix = 0;
    std::unordered_map<IpAddress, std::string, IpAddressHash> ranges;  // masked base -> as written
  };

  AddressVerdict check_v4(const IpAddress& ip) const;
  AddressVerdict check_v6(const IpAddress& ip) const;
  AddressVerdict check_private(const IpAddress& ip) const;
  const std::string* find_range(const IpAddress& ip) const;

  std::vector<PrefixBucket> v4_ranges_;
  std::vector<PrefixBucket> v6_ranges_;
  size_t range_count_ = 0;
  std::unordered_set<IpAddress, IpAddressHash> host_;
  PrivateAddresses private_ = PrivateAddresses::kRefused;
};

// The addresses of every interface of this host (getifaddrs). Does I/O; lives in
// host_addresses.cc so the filter itself stays pure.
Result<std::vector<IpAddress>> enumerate_host_addresses();

}  // namespace paddock::proxy
