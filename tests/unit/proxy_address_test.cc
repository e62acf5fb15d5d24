#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/decide/address_filter.h"

namespace paddock::proxy {
namespace {

IpAddress ip(std::string_view s) {
  auto a = parse_ipv4_strict(s);
  if (!a) a = parse_ipv6(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a ? *a : IpAddress{};
}

AddressFilter filter(const std::vector<std::string>& cidrs = {},
                     const std::vector<IpAddress>& host = {},
                     PrivateAddresses priv = PrivateAddresses::kRefused) {
  auto f = AddressFilter::create(cidrs, host, priv);
  EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message());
  return f.ok() ? std::move(*f) : AddressFilter{};
}

bool ok(const AddressFilter& f, std::string_view s) {
  return f.check_address(ip(s)).allowed;
}

std::string why(const AddressFilter& f, std::string_view s) {
  return f.check_address(ip(s)).reason;
}

TEST(ProxyAddress, Ipv4Classes) {
  const AddressFilter f;
  for (const char* s : {"0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.255.254", "169.254.0.1",
                        "169.254.169.254", "169.254.170.2", "224.0.0.1", "239.255.255.250",
                        "255.255.255.255", "240.0.0.1", "100.100.100.200", "168.63.129.16"}) {
    EXPECT_FALSE(ok(f, s)) << s;
  }
  EXPECT_NE(why(f, "127.0.0.1").find("loopback"), std::string::npos);
  EXPECT_NE(why(f, "0.0.0.0").find("unspecified"), std::string::npos);
  EXPECT_NE(why(f, "169.254.1.1").find("link-local"), std::string::npos);
  EXPECT_NE(why(f, "224.0.0.1").find("multicast"), std::string::npos);
  EXPECT_NE(why(f, "255.255.255.255").find("broadcast"), std::string::npos);
  EXPECT_NE(why(f, "169.254.169.254").find("metadata"), std::string::npos);
  EXPECT_NE(why(f, "100.100.100.200").find("Alibaba"), std::string::npos);
  EXPECT_NE(why(f, "168.63.129.16").find("Azure"), std::string::npos);
  EXPECT_EQ(why(f, "127.0.0.1").rfind("127.0.0.1 is ", 0), 0u);
}

TEST(ProxyAddress, PublicAllowed) {
  const AddressFilter f;
  for (const char* s :
       {"93.184.216.34", "8.8.8.8", "1.1.1.1", "100.128.0.1", "169.253.255.255", "128.0.0.1",
        "223.255.255.255", "2606:4700::1111", "2001:db8::1", "fe00::1"}) {
    EXPECT_TRUE(ok(f, s)) << s << ": " << why(f, s);
  }
}

// Each private range: its first and last address, and the addresses just outside it.
struct RangeEdges {
  const char* range;
  std::vector<const char*> inside;
  std::vector<const char*> outside;  // allowed unless another class refuses them (see below)
};

const std::vector<RangeEdges> kPrivateEdges = {
    {"10.0.0.0/8", {"10.0.0.0", "10.0.0.1", "10.255.255.255"}, {"9.255.255.255", "11.0.0.0"}},
    {"172.16.0.0/12",
     {"172.16.0.0", "172.20.1.2", "172.31.255.255"},
     {"172.15.255.255", "172.32.0.0"}},
    {"192.168.0.0/16",
     {"192.168.0.0", "192.168.1.1", "192.168.255.255"},
     {"192.167.255.255", "192.169.0.0"}},
    {"100.64.0.0/10",
     {"100.64.0.0", "100.100.1.1", "100.127.255.255"},
     {"100.63.255.255", "100.128.0.0"}},
    {"fc00::/7",
     {"fc00::", "fd12:3456::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
     {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe00::"}},
    {"fec0::/10",
     {"fec0::", "fec0::1", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
     // febf:...:ffff is link-local and ff00:: multicast: refused, but not as private.
     {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ff00::"}},
};

TEST(ProxyAddress, PrivateRangesRefusedByDefaultAtEveryEdge) {
  const AddressFilter f;
  for (const RangeEdges& r : kPrivateEdges) {
    for (const char* s : r.inside) {
      EXPECT_FALSE(ok(f, s)) << s;
      const std::string reason = why(f, s);
      EXPECT_EQ(reason.rfind(std::string(s) + " is a private address (" + r.range, 0), 0u)
          << reason;
      EXPECT_NE(reason.find("network.allowPrivateAddresses"), std::string::npos) << reason;
    }
    for (const char* s : r.outside)
      EXPECT_EQ(why(f, s).find("private"), std::string::npos) << s << ": " << why(f, s);
  }
  for (const char* s : {"9.255.255.255", "11.0.0.0", "172.15.255.255", "172.32.0.0",
                        "192.167.255.255", "192.169.0.0", "100.63.255.255", "100.128.0.0",
                        "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe00::"})
    EXPECT_TRUE(ok(f, s)) << s << ": " << why(f, s);
  EXPECT_NE(why(f, "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff").find("link-local"),
            std::string::npos);
  EXPECT_NE(why(f, "ff00::").find("multicast"), std::string::npos);
  EXPECT_NE(why(f, "100.64.0.0").find("tailnet"), std::string::npos);
  EXPECT_NE(why(f, "10.0.0.0").find("RFC 1918"), std::string::npos);
  EXPECT_FALSE(f.private_addresses_allowed());
}

// The IPv6 forms that carry an IPv4 address, in the layouts address_filter.h lists.
std::vector<IpAddress> embeddings(const IpAddress& v4) {
  auto v6 = [](std::initializer_list<uint8_t> head) {
    IpAddress a;
    a.family = IpAddress::Family::V6;
    std::copy(head.begin(), head.end(), a.bytes.begin());
    return a;
  };
  const auto& b = v4.bytes;
  std::vector<IpAddress> out;
  IpAddress mapped = v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff});
  IpAddress translated = v6({0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0});
  IpAddress compatible = v6({});
  IpAddress nat64 = v6({0x00, 0x64, 0xff, 0x9b});
  IpAddress nat64_local = v6({0x00, 0x64, 0xff, 0x9b, 0x00, 0x01});
  for (IpAddress* a : {&mapped, &translated, &compatible, &nat64, &nat64_local}) {
    std::copy(b.begin(), b.begin() + 4, a->bytes.begin() + 12);
    out.push_back(*a);
  }
  IpAddress six_to_four = v6({0x20, 0x02, b[0], b[1], b[2], b[3]});
  out.push_back(six_to_four);
  IpAddress teredo = v6({0x20, 0x01, 0x00, 0x00});
  for (size_t i = 0; i < 4; ++i) teredo.bytes[12 + i] = static_cast<uint8_t>(~b[i]);
  out.push_back(teredo);
  return out;
}

TEST(ProxyAddress, PrivateRangesRefusedInEveryEmbeddedForm) {
  const AddressFilter f;
  const AddressFilter open = filter({}, {}, PrivateAddresses::kAllowed);
  for (const RangeEdges& r : kPrivateEdges) {
    for (const char* s : r.inside) {
      const IpAddress a = ip(s);
      if (!a.is_v4()) continue;
      for (const IpAddress& e : embeddings(a)) {
        const AddressVerdict v = f.check_address(e);
        EXPECT_FALSE(v.allowed) << e.to_string() << " embeds " << s;
        EXPECT_NE(v.reason.find("embeds " + std::string(s)), std::string::npos) << v.reason;
        EXPECT_NE(v.reason.find("private address"), std::string::npos) << v.reason;
        EXPECT_NE(v.reason.find("network.allowPrivateAddresses"), std::string::npos) << v.reason;
        EXPECT_TRUE(open.check_address(e).allowed) << e.to_string() << ": " << v.reason;
      }
    }
    for (const char* s : r.outside) {
      const IpAddress a = ip(s);
      if (!a.is_v4()) continue;
      for (const IpAddress& e : embeddings(a))
        EXPECT_TRUE(f.check_address(e).allowed) << e.to_string() << " embeds " << s;
    }
  }
}

TEST(ProxyAddress, PrivateRangesDialledWithTheOptIn) {
  const AddressFilter f = filter({}, {}, PrivateAddresses::kAllowed);
  EXPECT_TRUE(f.private_addresses_allowed());
  for (const RangeEdges& r : kPrivateEdges)
    for (const char* s : r.inside) EXPECT_TRUE(ok(f, s)) << s << ": " << why(f, s);
  // Every other class stays refused, metadata endpoints inside private ranges included.
  for (const char* s : {"127.0.0.1", "169.254.169.254", "100.100.100.200", "fd00:ec2::254",
                        "::ffff:127.0.0.1", "0.0.0.0", "fe80::1", "::1", "224.0.0.1"})
    EXPECT_FALSE(ok(f, s)) << s;
}

TEST(ProxyAddress, Ipv6Classes) {
  const AddressFilter f;
  for (const char* s :
       {"::", "::1", "fe80::1", "febf:ffff::1", "ff02::1", "ff0e::1", "fd00:ec2::254"}) {
    EXPECT_FALSE(ok(f, s)) << s;
  }
  EXPECT_NE(why(f, "fd00:ec2::254").find("metadata"), std::string::npos);
  EXPECT_NE(why(f, "::1").find("loopback"), std::string::npos);
  EXPECT_NE(why(f, "fd00:ec2::253").find("private"), std::string::npos);
  EXPECT_TRUE(ok(filter({}, {}, PrivateAddresses::kAllowed), "fd00:ec2::253"));
}

TEST(ProxyAddress, EmbeddedIpv4FormsSeeThrough) {
  const AddressFilter f;
  for (const char* s : {"::ffff:127.0.0.1",  // IPv4-mapped
                        "::ffff:169.254.169.254", "::ffff:0.0.0.0",
                        "::ffff:0:127.0.0.1",  // IPv4-translated
                        "::127.0.0.1",         // IPv4-compatible
                        "::169.254.169.254",
                        "64:ff9b::127.0.0.1",  // NAT64
                        "64:ff9b::a9fe:a9fe",
                        "64:ff9b:1::7f00:1",      // local-use NAT64
                        "2002:7f00:1::",          // 6to4 of 127.0.0.1
                        "2002:a9fe:a9fe::1",      // 6to4 of 169.254.169.254
                        "2001:0:1:2::80ff:fffe",  // Teredo, client ~(7f.00.00.01)
                        "::ffff:224.0.0.1", "::ffff:100.100.100.200", "64:ff9b::a83f:8110"}) {
    EXPECT_FALSE(ok(f, s)) << s;
  }
  const std::string r = why(f, "::ffff:169.254.169.254");
  EXPECT_NE(r.find("embeds 169.254.169.254 (IPv4-mapped)"), std::string::npos) << r;
  EXPECT_NE(r.find("metadata"), std::string::npos) << r;
  EXPECT_NE(why(f, "2002:7f00:1::").find("6to4"), std::string::npos);
  EXPECT_NE(why(f, "64:ff9b::7f00:1").find("NAT64"), std::string::npos);

  for (const char* s : {"::ffff:93.184.216.34", "64:ff9b::808:808", "2002:808:808::1"}) {
    EXPECT_TRUE(ok(f, s)) << s << ": " << why(f, s);
  }
}

TEST(ProxyAddress, HostOwnAddresses) {
  // With private ranges opened, the host's own private addresses are still refused.
  const AddressFilter f = filter({}, {ip("192.168.1.23"), ip("2001:db8:1::23"), ip("172.17.0.1")},
                                 PrivateAddresses::kAllowed);
  EXPECT_EQ(f.host_address_count(), 3u);
  EXPECT_FALSE(ok(f, "192.168.1.23"));
  EXPECT_NE(why(f, "192.168.1.23").find("this host"), std::string::npos);
  EXPECT_FALSE(ok(f, "172.17.0.1"));
  EXPECT_FALSE(ok(f, "2001:db8:1::23"));
  EXPECT_FALSE(ok(f, "::ffff:192.168.1.23"));
  EXPECT_FALSE(ok(f, "64:ff9b::c0a8:117"));
  EXPECT_TRUE(ok(f, "192.168.1.24"));
  EXPECT_TRUE(ok(f, "2001:db8:1::24"));
}

TEST(ProxyAddress, EnumerateHostAddresses) {
  auto addrs = enumerate_host_addresses();
  ASSERT_TRUE(addrs.ok()) << addrs.error().message();
  for (const IpAddress& a : *addrs) EXPECT_FALSE(a.to_string().empty());
}

TEST(ProxyAddress, UserRanges) {
  const AddressFilter f = filter(
      {"10.0.0.0/8", "192.168.7.7", "fd00::/8", "[2001:db8::]/32", "203.0.113.0/24", "0.0.0.0/0"});
  EXPECT_EQ(f.denied_range_count(), 6u);
  // 0.0.0.0/0 makes every IPv4 address denied; IPv6 ranges are separate.
  EXPECT_FALSE(ok(f, "8.8.8.8"));
  // Private ranges opened, so the user's own ranges are what refuses.
  const AddressFilter g = filter({"10.0.0.0/8", "192.168.7.7", "fd00::/8", "[2001:db8::]/32"}, {},
                                 PrivateAddresses::kAllowed);
  EXPECT_FALSE(ok(g, "10.200.3.4"));
  EXPECT_NE(why(g, "10.200.3.4").find("deniedResolvedAddresses (10.0.0.0/8)"), std::string::npos);
  EXPECT_FALSE(ok(g, "192.168.7.7"));
  EXPECT_TRUE(ok(g, "192.168.7.8"));
  EXPECT_FALSE(ok(g, "fd12::1"));
  EXPECT_FALSE(ok(g, "2001:db8:ffff::1"));
  EXPECT_TRUE(ok(g, "2001:db9::1"));
  EXPECT_TRUE(ok(g, "11.0.0.1"));
  EXPECT_TRUE(ok(g, "8.8.8.8"));
  // User IPv4 ranges apply to embedded forms too.
  EXPECT_FALSE(ok(g, "::ffff:10.1.1.1"));
  EXPECT_FALSE(ok(g, "64:ff9b::a01:101"));
  EXPECT_FALSE(ok(g, "2002:a01:101::"));
}

TEST(ProxyAddress, CidrParsing) {
  auto c = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->to_string(), "10.0.0.0/8");
  EXPECT_TRUE(c->contains(ip("10.255.0.1")));
  EXPECT_FALSE(c->contains(ip("11.0.0.1")));
  EXPECT_FALSE(c->contains(ip("::ffff:10.0.0.1")));  // families never cross in a Cidr
  c = parse_cidr("192.0.2.1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->prefix, 32);
  c = parse_cidr("2001:DB8::/32");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->to_string(), "2001:db8::/32");
  c = parse_cidr("::1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->prefix, 128);
  c = parse_cidr("0.0.0.0/0");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->contains(ip("1.2.3.4")));
  c = parse_cidr("172.16.0.0/12");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->contains(ip("172.31.255.255")));
  EXPECT_FALSE(c->contains(ip("172.32.0.0")));
}

TEST(ProxyAddress, CidrErrors) {
  for (const char* s :
       {"", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0/08", "10.0.0.0/ 8",
        "10.0.0/8", "010.0.0.0/8", "10.0.0.0.0/8", "example.com", "::/129", "fe80::1%eth0/64",
        "10.0.0.1/8", "fd00::1/8", "/8", "10.0.0.0/abc", "[10.0.0.0]/8", "10.0.0.0/1000"}) {
    auto c = parse_cidr(s);
    ASSERT_FALSE(c.ok()) << "accepted: " << s;
    EXPECT_EQ(c.error().op, "network.deniedResolvedAddresses");
    EXPECT_EQ(c.error().path, s);
    EXPECT_FALSE(c.error().detail.empty());
  }
  EXPECT_NE(parse_cidr("10.0.0.1/8").error().detail.find("did you mean 10.0.0.0/8"),
            std::string::npos);
  EXPECT_NE(parse_cidr("10.0.0.0/33").error().detail.find("32"), std::string::npos);
  EXPECT_FALSE(AddressFilter::create({"10.0.0.0/8", "nonsense"}, {}).ok());
}

TEST(ProxyAddress, SockaddrAndInAddrOverloads) {
  const AddressFilter f;
  in_addr a4{};
  inet_pton(AF_INET, "127.0.0.1", &a4);
  EXPECT_FALSE(f.check_address(a4).allowed);
  in6_addr a6{};
  inet_pton(AF_INET6, "::ffff:127.0.0.1", &a6);
  EXPECT_FALSE(f.check_address(a6).allowed);
  socklen_t len = 0;
  const sockaddr_storage ss = ip("8.8.8.8").to_sockaddr(53, &len);
  EXPECT_TRUE(f.check_address(reinterpret_cast<const sockaddr*>(&ss), len).allowed);
  sockaddr_storage unix_sa{};
  unix_sa.ss_family = AF_UNIX;
  EXPECT_FALSE(
      f.check_address(reinterpret_cast<const sockaddr*>(&unix_sa), sizeof unix_sa).allowed);
}

}  // namespace
}  // namespace paddock::proxy
