#include "proxy/decide/address_filter.h"

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <optional>

namespace paddock::proxy {

namespace {

IpAddress masked(const IpAddress& ip, unsigned prefix) {
  IpAddress out = ip;
  const unsigned bits = ip.is_v4() ? 32 : 128;
  for (unsigned i = prefix; i < bits; ++i)
    out.bytes[i / 8] &= static_cast<uint8_t>(~(0x80u >> (i % 8)));
  return out;
}

bool in_v4(const IpAddress& ip, uint8_t a, uint8_t b, uint8_t c, uint8_t d, unsigned prefix) {
  return ip.is_v4() && masked(ip, prefix) == masked(IpAddress::v4(a, b, c, d), prefix);
}

bool v6_prefix(const IpAddress& ip, std::initializer_list<uint8_t> head, unsigned prefix_bits) {
  if (!ip.is_v6()) return false;
  IpAddress want;
  want.family = IpAddress::Family::V6;
  std::copy(head.begin(), head.end(), want.bytes.begin());
  return masked(ip, prefix_bits) == masked(want, prefix_bits);
}

struct Embedded {
  IpAddress v4;
  const char* form;
};

// The IPv4 address an IPv6 address carries, for the forms a stack, a NAT64 gateway or a relay
// would turn back into IPv4.
std::optional<Embedded> embedded_v4(const IpAddress& ip) {
  if (!ip.is_v6()) return std::nullopt;
  const auto& b = ip.bytes;
  auto zero = [&](size_t from, size_t to) {
    return std::all_of(b.begin() + from, b.begin() + to, [](uint8_t x) { return x == 0; });
  };
  auto tail = [&](size_t at) { return IpAddress::v4(b[at], b[at + 1], b[at + 2], b[at + 3]); };
  if (zero(0, 10) && b[10] == 0xff && b[11] == 0xff) return Embedded{tail(12), "IPv4-mapped"};
  if (zero(0, 8) && b[8] == 0xff && b[9] == 0xff && zero(10, 12))
    return Embedded{tail(12), "IPv4-translated"};
  if (zero(0, 12)) return Embedded{tail(12), "IPv4-compatible"};
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
    if (zero(4, 12)) return Embedded{tail(12), "NAT64 64:ff9b::/96"};
    if (b[4] == 0x00 && b[5] == 0x01) return Embedded{tail(12), "NAT64 64:ff9b:1::/48"};
  }
  if (b[0] == 0x20 && b[1] == 0x02) return Embedded{tail(2), "6to4"};
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) {
    return Embedded{IpAddress::v4(static_cast<uint8_t>(~b[12]), static_cast<uint8_t>(~b[13]),
                                  static_cast<uint8_t>(~b[14]), static_cast<uint8_t>(~b[15])),
                    "Teredo client"};
  }
  return std::nullopt;
}

AddressVerdict refused(const IpAddress& ip, std::string what) {
  return AddressVerdict{false, ip.to_string() + " is " + std::move(what)};
}

Error cidr_error(std::string_view op, std::string_view text, std::string detail) {
  return plain_error(std::string(op), std::move(detail), printable(text));
}

const std::vector<Cidr>& private_cidrs() {
  // Parsed once from the same table `paddock policy` prints, so the two cannot disagree.
  static const std::vector<Cidr> cidrs = [] {
    std::vector<Cidr> v;
    for (const PrivateRange& r : kPrivateRanges) v.push_back(*parse_cidr(r.cidr));
    return v;
  }();
  return cidrs;
}

}  // namespace

bool Cidr::contains(const IpAddress& ip) const {
  return ip.family == base.family && masked(ip, prefix) == base;
}

std::string Cidr::to_string() const {
  return base.to_string() + "/" + std::to_string(prefix);
}

Result<Cidr> parse_cidr(std::string_view text, std::string_view op) {
  if (text.empty()) return cidr_error(op, text, "empty address range");
  std::string_view addr = text;
  std::optional<std::string_view> prefix_text;
  if (const size_t slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    prefix_text = text.substr(slash + 1);
  }
  const bool bracketed = addr.size() >= 2 && addr.front() == '[' && addr.back() == ']';
  if (bracketed) addr = addr.substr(1, addr.size() - 2);  // brackets only around IPv6

  Cidr c;
  if (auto v4 = bracketed ? std::nullopt : parse_ipv4_strict(addr)) {
    c.base = *v4;
  } else if (auto v6 = parse_ipv6(addr)) {
    c.base = *v6;
  } else {
    return cidr_error(op, text,
                      "not an address range: expected an IPv4 or IPv6 address with an optional "
                      "/prefix, e.g. 10.0.0.0/8 or fd00::/8");
  }
  const unsigned max = c.base.is_v4() ? 32 : 128;
  unsigned prefix = max;
  if (prefix_text) {
    const std::string_view p = *prefix_text;
    const bool digits = !p.empty() && p.size() <= 3 && std::all_of(p.begin(), p.end(), [](char ch) {
      return ch >= '0' && ch <= '9';
    });
    if (!digits || (p.size() > 1 && p[0] == '0'))
      return cidr_error(
          op, text,
          "invalid prefix length \"" + printable(p) + "\": expected 0 to " + std::to_string(max));
    prefix = 0;
    for (char ch : p) prefix = prefix * 10 + static_cast<unsigned>(ch - '0');
    if (prefix > max)
      return cidr_error(op, text,
                        "prefix length " + std::to_string(prefix) + " is larger than " +
                            std::to_string(max) + " for an " + (c.base.is_v4() ? "IPv4" : "IPv6") +
                            " address");
  }
  c.prefix = static_cast<uint8_t>(prefix);
  const IpAddress base = masked(c.base, prefix);
  if (!(base == c.base))
    return cidr_error(op, text,
                      "host bits are set after the prefix; did you mean " + base.to_string() + "/" +
                          std::to_string(prefix) + "?");
  return c;
}

Result<AddressFilter> AddressFilter::create(const std::vector<std::string>& denied_cidrs,
                                            const std::vector<IpAddress>& host_addresses,
                                            PrivateAddresses private_addresses) {
  AddressFilter f;
  f.private_ = private_addresses;
  for (const std::string& text : denied_cidrs) {
    auto c = parse_cidr(text);
    if (!c) return c.error();
    auto& buckets = c->base.is_v4() ? f.v4_ranges_ : f.v6_ranges_;
    auto it = std::find_if(buckets.begin(), buckets.end(),
                           [&](const PrefixBucket& b) { return b.prefix == c->prefix; });
    if (it == buckets.end()) {
      buckets.push_back(PrefixBucket{c->prefix, {}});
      it = buckets.end() - 1;
    }
    if (it->ranges.emplace(c->base, text).second) ++f.range_count_;
  }
  for (auto* buckets : {&f.v4_ranges_, &f.v6_ranges_})
    std::sort(buckets->begin(), buckets->end(),
              [](const PrefixBucket& a, const PrefixBucket& b) { return a.prefix > b.prefix; });
  f.add_host_addresses(host_addresses);
  return f;
}

void AddressFilter::add_host_addresses(const std::vector<IpAddress>& host_addresses) {
  for (const IpAddress& ip : host_addresses) host_.insert(ip.unmapped());
}

const std::string* AddressFilter::find_range(const IpAddress& ip) const {
  for (const PrefixBucket& b : ip.is_v4() ? v4_ranges_ : v6_ranges_) {
    auto it = b.ranges.find(masked(ip, b.prefix));
    if (it != b.ranges.end()) return &it->second;
  }
  return nullptr;
}

AddressVerdict AddressFilter::check_v4(const IpAddress& ip) const {
  if (ip == IpAddress::v4(169, 254, 169, 254))
    return refused(ip, "a cloud metadata endpoint (AWS, GCP, Azure, OpenStack and others)");
  if (ip == IpAddress::v4(169, 254, 170, 2))
    return refused(ip, "a cloud metadata endpoint (AWS ECS task credentials)");
  if (ip == IpAddress::v4(100, 100, 100, 200))
    return refused(ip, "a cloud metadata endpoint (Alibaba Cloud)");
  if (ip == IpAddress::v4(168, 63, 129, 16))
    return refused(ip, "a cloud metadata endpoint (Azure WireServer)");
  if (in_v4(ip, 0, 0, 0, 0, 8)) return refused(ip, "an unspecified address (0.0.0.0/8)");
  if (in_v4(ip, 127, 0, 0, 0, 8)) return refused(ip, "a loopback address (127.0.0.0/8)");
  if (in_v4(ip, 169, 254, 0, 0, 16)) return refused(ip, "a link-local address (169.254.0.0/16)");
  if (in_v4(ip, 224, 0, 0, 0, 4)) return refused(ip, "a multicast address (224.0.0.0/4)");
  if (ip == IpAddress::v4(255, 255, 255, 255)) return refused(ip, "the broadcast address");
  if (in_v4(ip, 240, 0, 0, 0, 4)) return refused(ip, "a reserved address (240.0.0.0/4)");
  if (host_.count(ip) != 0) return refused(ip, "an address of this host");
  if (const std::string* r = find_range(ip))
    return refused(ip, "in deniedResolvedAddresses (" + *r + ")");
  return check_private(ip);
}

AddressVerdict AddressFilter::check_private(const IpAddress& ip) const {
  if (private_ == PrivateAddresses::kAllowed) return {};
  const std::vector<Cidr>& cidrs = private_cidrs();
  for (size_t i = 0; i < cidrs.size(); ++i) {  // cidrs[i] is kPrivateRanges[i]
    if (cidrs[i].contains(ip))
      return refused(ip, std::string("a private address (") + kPrivateRanges[i].cidr + ", " +
                             kPrivateRanges[i].what +
                             "): names that resolve into private networks are refused unless "
                             "network.allowPrivateAddresses is true");
  }
  return {};
}

AddressVerdict AddressFilter::check_v6(const IpAddress& ip) const {
  static const IpAddress kUnspecified = [] {
    IpAddress a;
    a.family = IpAddress::Family::V6;
    return a;
  }();
  static const IpAddress kLoopback = [] {
    IpAddress a = kUnspecified;
    a.bytes[15] = 1;
    return a;
  }();
  static const IpAddress kAwsMetadata = [] {
    IpAddress a = kUnspecified;  // fd00:ec2::254
    a.bytes[0] = 0xfd;
    a.bytes[2] = 0x0e;
    a.bytes[3] = 0xc2;
    a.bytes[14] = 0x02;
    a.bytes[15] = 0x54;
    return a;
  }();
  if (ip == kUnspecified) return refused(ip, "the unspecified address (::)");
  if (ip == kLoopback) return refused(ip, "the loopback address (::1)");
  if (ip == kAwsMetadata) return refused(ip, "a cloud metadata endpoint (AWS IMDS over IPv6)");
  if (v6_prefix(ip, {0xfe, 0x80}, 10)) return refused(ip, "a link-local address (fe80::/10)");
  if (v6_prefix(ip, {0xff}, 8)) return refused(ip, "a multicast address (ff00::/8)");
  if (host_.count(ip) != 0) return refused(ip, "an address of this host");
  if (const std::string* r = find_range(ip))
    return refused(ip, "in deniedResolvedAddresses (" + *r + ")");
  if (AddressVerdict p = check_private(ip); !p.allowed) return p;
  if (const auto e = embedded_v4(ip)) {
    AddressVerdict inner = check_v4(e->v4);
    if (!inner.allowed)
      return AddressVerdict{false, ip.to_string() + " embeds " + e->v4.to_string() + " (" +
                                       e->form + "): " + inner.reason};
  }
  return {};
}

AddressVerdict AddressFilter::check_address(const IpAddress& ip) const {
  return ip.is_v4() ? check_v4(ip) : check_v6(ip);
}

AddressVerdict AddressFilter::check_address(const sockaddr* sa, socklen_t len) const {
  const auto ip = IpAddress::from_sockaddr(sa, len);
  if (!ip) return AddressVerdict{false, "not an IPv4 or IPv6 socket address"};
  return check_address(*ip);
}

}  // namespace paddock::proxy
