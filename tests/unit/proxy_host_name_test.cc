#include <gtest/gtest.h>

#include <string>

#include "proxy/decide/host_name.h"

namespace paddock::proxy {
namespace {

std::string norm(std::string_view raw) {
  auto h = normalise_host(raw);
  return h.ok() ? h->text : "ERR";
}

Host::Kind kind_of(std::string_view raw) {
  auto h = normalise_host(raw);
  EXPECT_TRUE(h.ok()) << raw;
  return h.ok() ? h->kind : Host::Name;
}

bool refused(std::string_view raw) {
  return !normalise_host(raw).ok();
}

TEST(ProxyHostName, LowerCaseAndOneTrailingDot) {
  EXPECT_EQ(norm("Example.COM"), "example.com");
  EXPECT_EQ(norm("example.com."), "example.com");
  EXPECT_TRUE(refused("example.com.."));
  EXPECT_TRUE(refused("."));
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused(".example.com"));
  EXPECT_TRUE(refused("a..example.com"));
  EXPECT_EQ(kind_of("example.com"), Host::Name);
}

TEST(ProxyHostName, IdnaToALabel) {
  EXPECT_EQ(norm("BÜCHER.example"), "xn--bcher-kva.example");
  EXPECT_EQ(norm("bücher.example"), "xn--bcher-kva.example");
  EXPECT_EQ(norm("xn--bcher-kva.example"), "xn--bcher-kva.example");
  EXPECT_EQ(norm("XN--BCHER-KVA.EXAMPLE"), "xn--bcher-kva.example");
  // Non-transitional: ß keeps its own A-label rather than becoming "ss".
  EXPECT_EQ(norm("faß.de"), "xn--fa-hia.de");
  // Transitional fallback for names IDNA2008 disallows but resolvers still serve.
  EXPECT_EQ(norm("\xf0\x9f\x92\xa9.la"), "xn--ls8h.la");
  EXPECT_EQ(norm("xn--ls8h.la"), "xn--ls8h.la");
  // IDNA full stops separate labels too, and mixed ASCII/IDN names keep their ASCII labels.
  EXPECT_EQ(norm("b\xc3\xbc"
                 "cher\xe3\x80\x82"
                 "example"),
            "xn--bcher-kva.example");
  EXPECT_EQ(norm("example\xef\xbc\x8e"
                 "com"),
            "example.com");
  EXPECT_EQ(norm("b\xc3\xbc"
                 "cher.r3---sn-abc.example"),
            "xn--bcher-kva.r3---sn-abc.example");
  EXPECT_EQ(norm("b\xc3\xbc"
                 "cher.example."),
            "xn--bcher-kva.example");
}

TEST(ProxyHostName, InvalidIdnaRefused) {
  EXPECT_TRUE(refused("xn--zz.example"));
  EXPECT_TRUE(refused("xn--.example"));
  EXPECT_TRUE(refused("ab\xff.com"));        // invalid UTF-8
  EXPECT_TRUE(refused("ab\xc0\xaf.com"));    // overlong '/'
  EXPECT_TRUE(refused("\xe2\x80\x8d.com"));  // lone ZWJ maps to an empty label
  EXPECT_TRUE(
      refused("a\xe2\x80\x8d"
              "b..com"));  // still empty label afterwards
}

TEST(ProxyHostName, LdhRules) {
  EXPECT_EQ(norm("r3---sn-4g5e6nzz.googlevideo.com"), "r3---sn-4g5e6nzz.googlevideo.com");
  EXPECT_EQ(norm("_acme-challenge.example.com"), "_acme-challenge.example.com");
  EXPECT_EQ(norm("my_host.example.com"), "my_host.example.com");
  EXPECT_TRUE(refused("example.c_m"));
  EXPECT_TRUE(refused("-a.example.com"));
  EXPECT_TRUE(refused("a-.example.com"));
  EXPECT_TRUE(refused("a b.com"));
  EXPECT_TRUE(refused("a\tb.com"));
  EXPECT_TRUE(refused(std::string("a\0b.com", 7)));
  EXPECT_TRUE(refused("exa$mple.com"));
  EXPECT_TRUE(refused("*.example.com"));
  EXPECT_TRUE(refused("example.com:80"));  // the caller splits the port off
  EXPECT_TRUE(refused("user@example.com"));
  EXPECT_TRUE(refused("example.com/path"));
}

TEST(ProxyHostName, Lengths) {
  const std::string l63(63, 'a');
  EXPECT_EQ(norm(l63 + ".com"), l63 + ".com");
  EXPECT_TRUE(refused(std::string(64, 'a') + ".com"));
  const std::string n253 = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
  ASSERT_EQ(n253.size(), 253u);
  EXPECT_EQ(norm(n253), n253);
  EXPECT_EQ(norm(n253 + "."), n253);
  EXPECT_TRUE(refused(n253 + "b"));
  EXPECT_TRUE(refused(std::string(5000, 'a')));
}

TEST(ProxyHostName, StrictIpv4) {
  auto h = normalise_host("192.0.2.1");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->kind, Host::IPv4);
  EXPECT_EQ(h->text, "192.0.2.1");
  EXPECT_EQ(h->ip, IpAddress::v4(192, 0, 2, 1));
  EXPECT_EQ(norm("0.0.0.0"), "0.0.0.0");
  EXPECT_EQ(norm("255.255.255.255"), "255.255.255.255");
  EXPECT_EQ(norm("1.2.3.4."), "1.2.3.4");
  // Full-width digits map to ASCII under IDNA and then read as IPv4.
  EXPECT_EQ(kind_of("\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.0.0.1"), Host::IPv4);
}

TEST(ProxyHostName, AmbiguousNumericFormsRefused) {
  for (const char* s : {"127.1", "0x7f.1", "0x7f000001", "2130706433", "0177.0.0.1", "127.0.0.01",
                        "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "1.2.3", "example.0x1f", "a.123",
                        "0x", "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.1"}) {
    EXPECT_TRUE(refused(s)) << s;
  }
  // A numeric label that is not the last one is an ordinary name.
  EXPECT_EQ(norm("123.example.com"), "123.example.com");
  EXPECT_EQ(norm("1.2.3.4.example"), "1.2.3.4.example");
  EXPECT_EQ(norm("0xdead.example"), "0xdead.example");
}

TEST(ProxyHostName, Ipv6Literals) {
  auto h = normalise_host("[2001:DB8:0:0::1]");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->kind, Host::IPv6);
  EXPECT_EQ(h->text, "2001:db8::1");
  EXPECT_EQ(h->display(), "[2001:db8::1]");
  EXPECT_EQ(norm("2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(norm("::1"), "::1");
  EXPECT_EQ(kind_of("[::1]"), Host::IPv6);
  EXPECT_TRUE(refused("[::1"));
  EXPECT_TRUE(refused("[1.2.3.4]"));
  EXPECT_TRUE(refused("[example.com]"));
  EXPECT_TRUE(refused("fe80::1%eth0"));
  EXPECT_TRUE(refused("[fe80::1%25eth0]"));
  EXPECT_TRUE(refused("1:2:3:4:5:6:7:8:9"));
}

TEST(ProxyHostName, Ipv4MappedBecomesIpv4) {
  auto h = normalise_host("[::ffff:127.0.0.1]");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->kind, Host::IPv4);
  EXPECT_EQ(h->text, "127.0.0.1");
  EXPECT_EQ(norm("::ffff:7f00:1"), "127.0.0.1");
  EXPECT_EQ(norm("::FFFF:192.0.2.1"), "192.0.2.1");
  // Other embeddings stay IPv6 here (the address filter sees through them).
  EXPECT_EQ(kind_of("::127.0.0.1"), Host::IPv6);
  EXPECT_EQ(kind_of("64:ff9b::7f00:1"), Host::IPv6);
}

TEST(ProxyHostName, ParseIpLiteral) {
  EXPECT_EQ(parse_ip_literal("10.1.2.3"), IpAddress::v4(10, 1, 2, 3));
  EXPECT_EQ(parse_ip_literal("[::ffff:10.1.2.3]"), IpAddress::v4(10, 1, 2, 3));
  ASSERT_TRUE(parse_ip_literal("[2001:db8::1]").has_value());
  EXPECT_EQ(parse_ip_literal("2001:db8::1")->to_string(), "2001:db8::1");
  EXPECT_FALSE(parse_ip_literal("10.1.2"));
  EXPECT_FALSE(parse_ip_literal("010.1.2.3"));
  EXPECT_FALSE(parse_ip_literal("[10.1.2.3]"));
  EXPECT_FALSE(parse_ip_literal("example.com"));
  EXPECT_FALSE(parse_ip_literal(""));
  EXPECT_FALSE(parse_ip_literal(std::string("::1\0", 4)));
}

TEST(ProxyHostName, SockaddrRoundTrip) {
  socklen_t len = 0;
  const IpAddress v4 = IpAddress::v4(192, 0, 2, 9);
  sockaddr_storage ss = v4.to_sockaddr(443, &len);
  EXPECT_EQ(len, sizeof(sockaddr_in));
  EXPECT_EQ(IpAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len), v4);
  const IpAddress v6 = *parse_ipv6("2001:db8::7");
  ss = v6.to_sockaddr(443, &len);
  EXPECT_EQ(len, sizeof(sockaddr_in6));
  EXPECT_EQ(IpAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len), v6);
  EXPECT_FALSE(IpAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), 4));
  EXPECT_EQ(v6.to_host_string(), "[2001:db8::7]");
}

TEST(ProxyHostName, ErrorsNameTheInputPrintably) {
  auto h = normalise_host("bad\x01host");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().op, "host name");
  EXPECT_EQ(h.error().path, "bad\\x01host");
  EXPECT_FALSE(h.error().detail.empty());
  EXPECT_EQ(printable("b\xc3\xbc"
                      "cher"),
            "b\xc3\xbc"
            "cher");
  EXPECT_EQ(printable("a\xff"), "a\\xff");
  EXPECT_EQ(printable(std::string(300, 'x')).size(), 203u);
}

}  // namespace
}  // namespace paddock::proxy
