#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/decide/decision.h"

namespace paddock::proxy {
namespace {

constexpr Protocol kAll[] = {Protocol::Http, Protocol::Connect, Protocol::Socks5,
                             Protocol::Captured};

NetworkRules compile(const std::vector<std::string>& allowed,
                     const std::vector<std::string>& denied = {},
                     const std::vector<std::string>& denied_addresses = {},
                     const std::vector<std::pair<std::string, std::string>>& pins = {}) {
  auto r = NetworkRules::compile(allowed, denied, denied_addresses, pins,
                                 {*parse_ip_literal("192.168.1.23")});
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(*r) : NetworkRules{};
}

IpAddress ip(std::string_view s) {
  return *parse_ip_literal(s);
}

TEST(ProxyDecision, AllowedNameNeedsResolution) {
  const NetworkRules r = compile({"*.example.com"});
  const Verdict v = decide(r, {Protocol::Connect, "WWW.Example.COM.", 443});
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.rule, "*.example.com");
  EXPECT_EQ(v.host.text, "www.example.com");
  EXPECT_EQ(v.host.kind, Host::Name);
  EXPECT_EQ(v.port, 443);
  EXPECT_EQ(v.protocol, Protocol::Connect);
  EXPECT_FALSE(v.pinned);
  EXPECT_FALSE(v.dial_address().has_value());
}

TEST(ProxyDecision, SameAnswerWhicheverFrontEndAsks) {
  const NetworkRules r = compile({"example.com", "*.example.org:443", "192.0.2.1"},
                                 {"bad.example.org"}, {}, {{"example.com", "10.9.8.7"}});
  const std::vector<std::pair<std::string, uint16_t>> cases = {
      {"example.com", 443},     {"example.com", 80},
      {"a.example.org", 443},   {"a.example.org", 80},
      {"bad.example.org", 443}, {"example.org", 443},
      {"192.0.2.1", 22},        {"[::ffff:192.0.2.1]", 22},
      {"192.0.2.2", 22},        {"127.1", 80},
      {"exa mple.com", 80},     {"bücher.example", 443},
      {"example.com:443", 443}, {"example.com", 0}};
  for (const auto& [h, port] : cases) {
    const Verdict first = decide(r, {Protocol::Http, h, port});
    for (Protocol p : kAll) {
      const Verdict v = decide(r, {p, h, port});
      EXPECT_EQ(v.allowed, first.allowed) << h << ":" << port;
      EXPECT_EQ(v.rule, first.rule) << h;
      EXPECT_EQ(v.reason, first.reason) << h;
      EXPECT_EQ(v.host.text, first.host.text) << h;
      EXPECT_EQ(v.pinned_address, first.pinned_address) << h;
      EXPECT_EQ(v.dial_address(), first.dial_address()) << h;
      EXPECT_EQ(v.protocol, p);
    }
  }
  EXPECT_EQ(protocol_name(Protocol::Socks5), "socks5");
  EXPECT_EQ(protocol_name(Protocol::Captured), "captured");
}

TEST(ProxyDecision, GarbageHostIsDenied) {
  const NetworkRules r = compile({"example.com"});
  for (const char* h : {"", "exa mple.com", "0x7f.1", "127.1", "example.com:443", "a..b",
                        "example.com\r\nX-Evil: 1", "[::1", "\xff\xfe"}) {
    const Verdict v = decide(r, {Protocol::Http, h, 80});
    EXPECT_FALSE(v.allowed) << h;
    EXPECT_EQ(v.rule, "invalid-host") << h;
    EXPECT_EQ(v.reason.rfind("invalid host name", 0), 0u) << v.reason;
    EXPECT_EQ(v.reason.find('\r'), std::string::npos);
    EXPECT_EQ(v.reason.find('\n'), std::string::npos);
    EXPECT_TRUE(v.host.text.empty());
  }
}

TEST(ProxyDecision, PortZeroIsDenied) {
  const NetworkRules r = compile({"example.com"});
  const Verdict v = decide(r, {Protocol::Socks5, "example.com", 0});
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.rule, "invalid-port");
}

TEST(ProxyDecision, IpLiteralDialledAsIs) {
  const NetworkRules r = compile({"[2001:db8::1]:443", "127.0.0.1:8080"});
  Verdict v = decide(r, {Protocol::Connect, "2001:db8::1", 443});
  ASSERT_TRUE(v.allowed) << v.reason;
  EXPECT_EQ(v.host.kind, Host::IPv6);
  EXPECT_EQ(v.dial_address(), ip("2001:db8::1"));
  // An explicit IP-literal rule is the user's choice, even for loopback: no address filter.
  v = decide(r, {Protocol::Http, "127.0.0.1", 8080});
  ASSERT_TRUE(v.allowed) << v.reason;
  EXPECT_EQ(v.dial_address(), ip("127.0.0.1"));
  v = decide(r, {Protocol::Http, "127.0.0.1", 8081});
  EXPECT_FALSE(v.allowed);
  EXPECT_FALSE(v.dial_address().has_value());
}

TEST(ProxyDecision, PinsNeedAnAllowRuleAndSkipTheFilter) {
  const NetworkRules r = compile({"registry.example.com", "dev.example.com"}, {}, {},
                                 {{"Registry.Example.com.", "10.1.2.3"},
                                  {"dev.example.com", "127.0.0.1"},
                                  {"other.example.net", "[2001:db8::9]"}});
  Verdict v = decide(r, {Protocol::Connect, "registry.example.com", 443});
  ASSERT_TRUE(v.allowed);
  EXPECT_TRUE(v.pinned);
  EXPECT_EQ(v.pinned_address, ip("10.1.2.3"));
  EXPECT_EQ(v.dial_address(), ip("10.1.2.3"));
  EXPECT_NE(v.reason.find("pinned to 10.1.2.3"), std::string::npos);

  EXPECT_TRUE(v.pinned_fallbacks.empty());

  v = decide(r, {Protocol::Http, "DEV.example.com", 80});
  ASSERT_TRUE(v.allowed);
  EXPECT_EQ(v.dial_address(), ip("127.0.0.1"));

  // Several addresses: the first is dialled, the others are the fallbacks, in order.
  const NetworkRules m =
      compile({"dual.example.com"}, {}, {}, {{"dual.example.com", "::1,127.0.0.2,127.0.0.1"}});
  v = decide(m, {Protocol::Captured, "dual.example.com", 8080});
  ASSERT_TRUE(v.allowed);
  EXPECT_EQ(v.dial_address(), ip("::1"));
  EXPECT_EQ(v.pinned_fallbacks, (std::vector<IpAddress>{ip("127.0.0.2"), ip("127.0.0.1")}));
  EXPECT_NE(v.reason.find("pinned to ::1,127.0.0.2,127.0.0.1"), std::string::npos);
  // Allowed by an answer to --ask: the same note.
  v = decide(m, {Protocol::Captured, "unlisted.example.com", 8080});
  v.pinned = true;
  v.pinned_address = ip("::1");
  v.pinned_fallbacks = {ip("127.0.0.1")};
  v.allow_asked("asked", "allowed for this run");
  EXPECT_EQ(v.reason, "allowed for this run (pinned to ::1,127.0.0.1)");

  // Pinned but not allowed: denied, and nothing to dial.
  v = decide(r, {Protocol::Socks5, "other.example.net", 443});
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.rule, "default-deny");
  EXPECT_TRUE(v.pinned);
  EXPECT_FALSE(v.dial_address().has_value());

  // A pin never allows the IP it points at.
  v = decide(r, {Protocol::Connect, "10.1.2.3", 443});
  EXPECT_FALSE(v.allowed);
}

TEST(ProxyDecision, FilterResolvedPicksFirstSurvivor) {
  const NetworkRules r = compile({"example.com"}, {}, {"203.0.113.0/24"});
  AddressChoice c =
      filter_resolved(r, {ip("127.0.0.1"), ip("::ffff:169.254.169.254"), ip("203.0.113.5"),
                          ip("192.168.1.23"), ip("2606:4700::1"), ip("93.184.216.34")});
  ASSERT_TRUE(c.allowed) << c.reason;
  EXPECT_EQ(c.address, ip("2606:4700::1"));

  c = filter_resolved(r, {ip("93.184.216.34")});
  ASSERT_TRUE(c.allowed);
  EXPECT_EQ(c.address, ip("93.184.216.34"));

  c = filter_resolved(r, {ip("127.0.0.1"), ip("192.168.1.23"), ip("203.0.113.9")});
  EXPECT_FALSE(c.allowed);
  EXPECT_NE(c.reason.find("loopback"), std::string::npos) << c.reason;
  EXPECT_NE(c.reason.find("this host"), std::string::npos) << c.reason;
  EXPECT_NE(c.reason.find("deniedResolvedAddresses"), std::string::npos) << c.reason;

  c = filter_resolved(r, {});
  EXPECT_FALSE(c.allowed);
  EXPECT_FALSE(c.reason.empty());

  std::vector<IpAddress> many(10, ip("127.0.0.1"));
  c = filter_resolved(r, many);
  EXPECT_FALSE(c.allowed);
  EXPECT_NE(c.reason.find("6 more"), std::string::npos) << c.reason;
}

TEST(ProxyDecision, NameResolvingIntoAPrivateNetworkRefusedUnlessOptedIn) {
  // DNS rebinding into the LAN or tailnet: the name is allowed, its answer is not.
  const NetworkRules r = compile({"app.example.com"});
  const Verdict v = decide(r, {Protocol::Connect, "app.example.com", 443});
  ASSERT_TRUE(v.allowed);
  ASSERT_FALSE(v.dial_address().has_value());  // resolved, then filtered
  for (const char* s : {"10.0.0.5", "172.16.0.1", "192.168.0.10", "100.100.1.1", "fd7a:115c::1",
                        "fec0::1", "::ffff:192.168.0.10", "64:ff9b::a00:5"}) {
    const AddressChoice c = filter_resolved(r, {ip(s)});
    EXPECT_FALSE(c.allowed) << s;
    EXPECT_NE(c.reason.find("private address"), std::string::npos) << c.reason;
    EXPECT_NE(c.reason.find("network.allowPrivateAddresses"), std::string::npos) << c.reason;
  }
  // A public answer next to a private one: the public one is dialled.
  AddressChoice c = filter_resolved(r, {ip("10.0.0.5"), ip("93.184.216.34")});
  ASSERT_TRUE(c.allowed);
  EXPECT_EQ(c.address, ip("93.184.216.34"));

  auto opened =
      NetworkRules::compile({"app.example.com"}, {}, {}, {}, {*parse_ip_literal("192.168.1.23")},
                            PrivateAddresses::kAllowed);
  ASSERT_TRUE(opened.ok());
  c = filter_resolved(*opened, {ip("10.0.0.5"), ip("93.184.216.34")});
  ASSERT_TRUE(c.allowed);
  EXPECT_EQ(c.address, ip("10.0.0.5"));
  // The host's own private address stays refused even then.
  c = filter_resolved(*opened, {ip("192.168.1.23")});
  EXPECT_FALSE(c.allowed);
  EXPECT_NE(c.reason.find("this host"), std::string::npos) << c.reason;
}

TEST(ProxyDecision, PinsAndLiteralsToPrivateAddressesAreTheUsersChoice) {
  const NetworkRules r = compile({"registry.corp.example", "10.9.8.7", "[fd00::7]:443"}, {}, {},
                                 {{"registry.corp.example", "192.168.50.5"}});
  Verdict v = decide(r, {Protocol::Http, "registry.corp.example", 80});
  ASSERT_TRUE(v.allowed);
  EXPECT_EQ(v.dial_address(), ip("192.168.50.5"));
  v = decide(r, {Protocol::Socks5, "10.9.8.7", 22});
  ASSERT_TRUE(v.allowed);
  EXPECT_EQ(v.dial_address(), ip("10.9.8.7"));
  v = decide(r, {Protocol::Connect, "[fd00::7]", 443});
  ASSERT_TRUE(v.allowed);
  EXPECT_EQ(v.dial_address(), ip("fd00::7"));
  // Another private literal is not allowed by them.
  EXPECT_FALSE(decide(r, {Protocol::Http, "10.9.8.8", 80}).allowed);
}

TEST(ProxyDecision, ResolveFlagParsing) {
  auto p = parse_resolve_flag("registry.example.com=10.1.2.3");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->first, "registry.example.com");
  EXPECT_EQ(p->second, "10.1.2.3");
  p = parse_resolve_flag("h.example=[2001:db8::1]");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->second, "[2001:db8::1]");
  for (const char* s : {"", "registry.example.com", "=10.1.2.3", "registry.example.com="}) {
    auto e = parse_resolve_flag(s);
    ASSERT_FALSE(e.ok()) << s;
    EXPECT_EQ(e.error().op, "--resolve");
  }
}

TEST(ProxyDecision, ResolvePinsCompile) {
  auto pins = ResolvePins::compile({{"A.example", "10.0.0.1"},
                                    {"b.example", "2001:db8::1"},
                                    {"c.example", "[2001:db8::2]"},
                                    {"d.example", "::ffff:10.0.0.4"},
                                    {"bücher.example", "10.0.0.5"},
                                    {"a.example.", "10.0.0.1"}});
  ASSERT_TRUE(pins.ok()) << pins.error().message();
  EXPECT_EQ(pins->size(), 5u);
  using V = std::vector<IpAddress>;
  EXPECT_EQ(pins->lookup("a.example"), V{ip("10.0.0.1")});
  EXPECT_EQ(pins->lookup("c.example"), V{ip("2001:db8::2")});
  EXPECT_EQ(pins->lookup("d.example"), V{ip("10.0.0.4")});
  EXPECT_EQ(pins->lookup("xn--bcher-kva.example"), V{ip("10.0.0.5")});
  EXPECT_TRUE(pins->lookup("e.example").empty());

  // Several addresses, dialled in the order given; a repeat within one pin counts once.
  auto multi = ResolvePins::compile({{"m.example", "::1,127.0.0.1,[2001:db8::3],::1"},
                                     {"m.example", "::1,127.0.0.1,2001:db8::3"}});
  ASSERT_TRUE(multi.ok()) << multi.error().message();
  EXPECT_EQ(multi->lookup("m.example"), (V{ip("::1"), ip("127.0.0.1"), ip("2001:db8::3")}));
  EXPECT_EQ(join_addresses(multi->lookup("m.example")), "::1,127.0.0.1,2001:db8::3");

  const std::vector<std::pair<std::string, std::string>> bad[] = {
      {{"a.example", "10.0.0"}},
      {{"a.example", "010.0.0.1"}},
      {{"a.example", "example.com"}},
      {{"a.example", "10.0.0.1:80"}},
      {{"a.example", "[10.0.0.1]"}},
      {{"a.example", "fe80::1%eth0"}},
      {{"a.example", ""}},
      {{"*.example", "10.0.0.1"}},
      {{"10.0.0.9", "10.0.0.1"}},
      {{"bad name", "10.0.0.1"}},
      {{"127.1", "10.0.0.1"}},
      {{"a.example", "10.0.0.1"}, {"A.EXAMPLE.", "10.0.0.2"}},
      {{"a.example", "10.0.0.1,"}},
      {{"a.example", ",10.0.0.1"}},
      {{"a.example", "10.0.0.1,,10.0.0.2"}},
      {{"a.example", "10.0.0.1, 10.0.0.2"}},
      {{"a.example", "10.0.0.1,example.com"}},
      {{"a.example",
        "10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4,10.0.0.5,10.0.0.6,10.0.0.7,10.0.0.8,"
        "10.0.0.9"}},
      {{"a.example", "10.0.0.1"}, {"a.example", "10.0.0.1,10.0.0.2"}},
  };
  for (const auto& set : bad) {
    auto r = ResolvePins::compile(set, "--resolve");
    ASSERT_FALSE(r.ok()) << set.back().first << "=" << set.back().second;
    EXPECT_EQ(r.error().op, "--resolve");
    EXPECT_FALSE(r.error().detail.empty());
  }
  EXPECT_NE(ResolvePins::compile({{"a.example", "10.0.0.1"}, {"a.example", "10.0.0.2"}})
                .error()
                .detail.find("pinned twice"),
            std::string::npos);
}

}  // namespace
}  // namespace paddock::proxy

namespace paddock::proxy {
namespace {

// --ask asks only about what no rule matched; what a rule or the address filter refuses stays
// refused, on every front end.
TEST(ProxyDecisionAskable, OnlyWhatNoRuleMatched) {
  const NetworkRules r = compile({"allowed.example"}, {"denied.example", "*.bad.example:443"});
  for (Protocol p : kAll) {
    EXPECT_TRUE(decide(r, {p, "unlisted.example", 443}).askable);
    EXPECT_TRUE(decide(r, {p, "x.bad.example", 80}).askable);  // the deny rule names 443 only
    EXPECT_FALSE(decide(r, {p, "x.bad.example", 443}).askable);
    EXPECT_FALSE(decide(r, {p, "denied.example", 443}).askable);
    EXPECT_FALSE(decide(r, {p, "allowed.example", 443}).askable);  // allowed: nothing to ask
    EXPECT_FALSE(decide(r, {p, "bad host!", 443}).askable);
    EXPECT_FALSE(decide(r, {p, "unlisted.example", 0}).askable);
    EXPECT_TRUE(decide(r, {p, "93.184.216.34", 443}).askable);
    for (const char* refused :
         {"127.0.0.1", "10.1.2.3", "169.254.169.254", "192.168.1.23", "[::1]", "[fe80::1]"})
      EXPECT_FALSE(decide(r, {p, refused, 443}).askable) << refused;
  }
}

TEST(ProxyDecisionAskable, AnAllowingAnswerDialsThePin) {
  const NetworkRules r = compile({}, {}, {}, {{"pinned.example", "127.0.0.1"}});
  Verdict v = decide(r, {Protocol::Http, "pinned.example", 80});
  ASSERT_TRUE(v.askable);
  EXPECT_FALSE(v.dial_address().has_value());
  v.allow_asked("ask:allow_once", "allowed when asked");
  EXPECT_TRUE(v.allowed);
  EXPECT_FALSE(v.askable);
  EXPECT_EQ(v.dial_address(), ip("127.0.0.1"));
  EXPECT_NE(v.reason.find("pinned to 127.0.0.1"), std::string::npos) << v.reason;
}

}  // namespace
}  // namespace paddock::proxy
