#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "proxy/decide/domain_rules.h"

namespace paddock::proxy {
namespace {

NetworkRules rules(const std::vector<std::string>& allowed,
                   const std::vector<std::string>& denied = {}) {
  auto r = NetworkRules::compile(allowed, denied, {}, {});
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(*r) : NetworkRules{};
}

Host host(std::string_view raw) {
  auto h = normalise_host(raw);
  EXPECT_TRUE(h.ok()) << raw;
  return h.ok() ? *h : Host{};
}

bool allows(const NetworkRules& r, std::string_view h, uint16_t port = 443) {
  return r.decide(host(h), port).allowed;
}

Error allow_error(std::string_view pattern) {
  auto p = parse_domain_pattern(pattern, RuleList::Allowed);
  EXPECT_FALSE(p.ok()) << pattern << " was accepted";
  return p.ok() ? Error{} : p.error();
}

TEST(ProxyRules, PatternForms) {
  auto p = parse_domain_pattern("Example.COM.", RuleList::Allowed);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, DomainPattern::Kind::Exact);
  EXPECT_EQ(p->name, "example.com");
  EXPECT_EQ(p->port, 0);
  EXPECT_EQ(p->pattern, "Example.COM.");

  p = parse_domain_pattern("*.example.com:8443", RuleList::Allowed);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, DomainPattern::Kind::Wildcard);
  EXPECT_EQ(p->name, "example.com");
  EXPECT_EQ(p->port, 8443);

  p = parse_domain_pattern("1.2.3.4:80", RuleList::Allowed);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, DomainPattern::Kind::IpLiteral);
  EXPECT_EQ(p->name, "1.2.3.4");
  EXPECT_EQ(p->port, 80);

  p = parse_domain_pattern("[::1]:443", RuleList::Allowed);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, DomainPattern::Kind::IpLiteral);
  EXPECT_EQ(p->name, "::1");
  EXPECT_EQ(p->port, 443);

  p = parse_domain_pattern("[::ffff:1.2.3.4]", RuleList::Allowed);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->name, "1.2.3.4");

  p = parse_domain_pattern("*", RuleList::Denied);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, DomainPattern::Kind::Any);
  p = parse_domain_pattern("*:25", RuleList::Denied);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->port, 25);

  p = parse_domain_pattern("BÜCHER.example", RuleList::Allowed);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->name, "xn--bcher-kva.example");
  p = parse_domain_pattern("*.bücher.example", RuleList::Allowed);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->name, "xn--bcher-kva.example");
}

TEST(ProxyRules, GarbageRefusedNamingThePattern) {
  for (const char* s : {"",
                        " example.com",
                        "exa mple.com",
                        "example..com",
                        ".example.com",
                        "**.example.com",
                        "*x.example.com",
                        "a.*.example.com",
                        "*.*.example.com",
                        "example.*",
                        "*.",
                        "*..com",
                        "https://example.com",
                        "example.com/",
                        "example.com/path",
                        "example.com?q",
                        "u@example.com",
                        "example.com:",
                        "example.com:0",
                        "example.com:65536",
                        "example.com:http",
                        "example.com:+1",
                        "example.com:08",
                        ":443",
                        "::1",
                        "2001:db8::1:443",
                        "[::1",
                        "[::1]443",
                        "[::1]:",
                        "[example.com]",
                        "127.1",
                        "0x7f.1",
                        "*.1.2.3.4",
                        "*.[::1]",
                        "-bad.com",
                        "bad\x01.com",
                        "xn--zz.example"}) {
    for (RuleList list : {RuleList::Allowed, RuleList::Denied}) {
      auto p = parse_domain_pattern(s, list);
      ASSERT_FALSE(p.ok()) << "accepted: \"" << s << "\"";
      EXPECT_EQ(p.error().op, rule_list_key(list));
      EXPECT_EQ(p.error().path, printable(s));
      EXPECT_FALSE(p.error().detail.empty());
    }
  }
  EXPECT_NE(allow_error("https://example.com").detail.find("scheme"), std::string::npos);
  EXPECT_NE(allow_error("example.com/x").detail.find("path"), std::string::npos);
  EXPECT_NE(allow_error("::1").detail.find("brackets"), std::string::npos);
  EXPECT_NE(allow_error("example.com:99999").detail.find("1 to 65535"), std::string::npos);
}

TEST(ProxyRules, PublicSuffixWildcardsRefusedInAllowedOnly) {
  Error e = allow_error("*.co.uk");
  EXPECT_EQ(e.op, "network.allowedDomains");
  EXPECT_EQ(e.path, "*.co.uk");
  EXPECT_NE(e.detail.find("*.co.uk would allow every domain under the public suffix co.uk"),
            std::string::npos)
      << e.detail;
  EXPECT_NE(e.message().find("network.allowedDomains *.co.uk: "), std::string::npos);

  for (const char* s :
       {"*", "*:443", "*.com", "*.COM.", "*.co.uk", "*.github.io", "*.s3.amazonaws.com",
        "*.xn--p1ai", "*.рф", "*.foo.ck", "*.corp", "*.localhost"}) {
    EXPECT_FALSE(parse_domain_pattern(s, RuleList::Allowed).ok()) << s;
    EXPECT_TRUE(parse_domain_pattern(s, RuleList::Denied).ok()) << s;
  }
  EXPECT_NE(allow_error("*").detail.find("deniedDomains"), std::string::npos);
  EXPECT_NE(allow_error("*.github.io").detail.find("public suffix github.io"), std::string::npos);

  for (const char* s : {"*.example.com", "*.example.co.uk", "*.user.github.io",
                        "*.svc.cluster.local", "*.www.ck", "*.amazonaws.com"}) {
    EXPECT_TRUE(parse_domain_pattern(s, RuleList::Allowed).ok()) << s;
  }
}

TEST(ProxyRules, ExactPublicSuffixRefused) {
  for (const char* s : {"com", "co.uk", "uk", "xn--p1ai", "COM."}) {
    Error e = allow_error(s);
    EXPECT_NE(e.detail.find("public suffix"), std::string::npos) << s;
    EXPECT_TRUE(parse_domain_pattern(s, RuleList::Denied).ok()) << s;
  }
  // Private-list suffixes and names the list does not know are single hosts.
  for (const char* s : {"github.io", "s3.amazonaws.com", "localhost", "intranet"}) {
    EXPECT_TRUE(parse_domain_pattern(s, RuleList::Allowed).ok()) << s;
  }
}

TEST(ProxyRules, CompileReportsTheFirstBadPattern) {
  auto r = NetworkRules::compile({"example.com", "*.co.uk"}, {}, {}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().op, "network.allowedDomains");
  EXPECT_EQ(r.error().path, "*.co.uk");
  r = NetworkRules::compile({}, {"bad pattern"}, {}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().op, "network.deniedDomains");
  r = NetworkRules::compile({}, {}, {"10.0.0.1/8"}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().op, "network.deniedResolvedAddresses");
  r = NetworkRules::compile({}, {}, {}, {{"a.example", "nope"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().op, "network.resolve");
}

TEST(ProxyRules, ExactMatch) {
  const NetworkRules r = rules({"example.com"});
  EXPECT_TRUE(allows(r, "example.com"));
  EXPECT_TRUE(allows(r, "EXAMPLE.com"));
  EXPECT_TRUE(allows(r, "example.com."));
  EXPECT_TRUE(allows(r, "example.com", 80));
  EXPECT_FALSE(allows(r, "www.example.com"));
  EXPECT_FALSE(allows(r, "example.org"));
  const Decision d = r.decide(host("example.com"), 443);
  EXPECT_EQ(d.rule, "example.com");
  EXPECT_NE(d.reason.find("allowedDomains"), std::string::npos);
}

TEST(ProxyRules, WildcardIsStrictSubdomainsOnly) {
  const NetworkRules r = rules({"*.example.com"});
  EXPECT_TRUE(allows(r, "a.example.com"));
  EXPECT_TRUE(allows(r, "a.b.c.example.com"));
  EXPECT_TRUE(allows(r, "WWW.Example.Com."));
  EXPECT_FALSE(allows(r, "example.com"));
  EXPECT_FALSE(allows(r, "example.com."));
}

TEST(ProxyRules, SuffixTricksDoNotMatch) {
  const NetworkRules r = rules({"example.com", "*.example.com"});
  EXPECT_FALSE(allows(r, "evilexample.com"));
  EXPECT_FALSE(allows(r, "www.evilexample.com"));
  EXPECT_FALSE(allows(r, "example.com.evil.net"));
  EXPECT_FALSE(allows(r, "a.example.com.evil.net"));
  EXPECT_FALSE(allows(r, "example.co"));
  EXPECT_FALSE(allows(r, "xample.com"));
  EXPECT_FALSE(allows(r, "com"));
  EXPECT_FALSE(allows(r, "example-com.net"));
}

TEST(ProxyRules, Ports) {
  const NetworkRules r = rules({"example.com:443", "*.example.org:8080", "[2001:db8::1]:22"});
  EXPECT_TRUE(allows(r, "example.com", 443));
  EXPECT_FALSE(allows(r, "example.com", 80));
  EXPECT_TRUE(allows(r, "a.example.org", 8080));
  EXPECT_FALSE(allows(r, "a.example.org", 443));
  EXPECT_TRUE(allows(r, "[2001:db8::1]", 22));
  EXPECT_FALSE(allows(r, "2001:db8::1", 23));
  // The same name with and without a port: any port wins where it applies.
  const NetworkRules r2 = rules({"example.com:443", "example.com"});
  EXPECT_TRUE(allows(r2, "example.com", 22));
}

TEST(ProxyRules, DenyWinsOverAllow) {
  const NetworkRules r =
      rules({"*.example.com", "example.com"}, {"secret.example.com", "*.internal.example.com"});
  EXPECT_TRUE(allows(r, "www.example.com"));
  EXPECT_TRUE(allows(r, "example.com"));
  EXPECT_FALSE(allows(r, "secret.example.com"));
  EXPECT_FALSE(allows(r, "a.internal.example.com"));
  EXPECT_TRUE(allows(r, "internal.example.com"));  // the deny wildcard excludes its apex too
  const Decision d = r.decide(host("Secret.Example.com."), 443);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "secret.example.com");
  EXPECT_NE(d.reason.find("deniedDomains"), std::string::npos);

  const NetworkRules ports = rules({"example.com"}, {"example.com:25"});
  EXPECT_TRUE(allows(ports, "example.com", 443));
  EXPECT_FALSE(allows(ports, "example.com", 25));
}

TEST(ProxyRules, DenyAll) {
  const NetworkRules r = rules({"example.com", "1.2.3.4"}, {"*"});
  EXPECT_FALSE(allows(r, "example.com"));
  EXPECT_FALSE(allows(r, "1.2.3.4"));
  EXPECT_EQ(r.decide(host("example.com"), 443).rule, "*");
  const NetworkRules smtp = rules({"example.com"}, {"*:25"});
  EXPECT_TRUE(allows(smtp, "example.com", 443));
  EXPECT_FALSE(allows(smtp, "example.com", 25));
}

TEST(ProxyRules, DefaultDeny) {
  const NetworkRules none;
  Decision d = none.decide(host("example.com"), 443);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "default-deny");
  EXPECT_NE(d.reason.find("example.com:443"), std::string::npos);
  d = none.decide(host("[::1]"), 8080);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "default-deny");
  EXPECT_NE(d.reason.find("[::1]:8080"), std::string::npos);
}

TEST(ProxyRules, IpLiteralHostsNeedIpLiteralRules) {
  const NetworkRules r = rules({"*.example.com", "example.com", "192.0.2.10", "[2001:db8::5]"});
  EXPECT_TRUE(allows(r, "192.0.2.10"));
  EXPECT_TRUE(allows(r, "[::ffff:192.0.2.10]"));  // IPv4-mapped IPv6 is the IPv4 address
  EXPECT_TRUE(allows(r, "::ffff:c000:20a"));
  EXPECT_TRUE(allows(r, "[2001:DB8:0::5]"));
  EXPECT_TRUE(allows(r, "2001:db8::5"));
  EXPECT_FALSE(allows(r, "192.0.2.11"));
  EXPECT_FALSE(allows(r, "[2001:db8::6]"));
  EXPECT_FALSE(allows(r, "93.184.216.34"));  // whatever example.com resolves to: still an IP host
  const Decision d = r.decide(host("198.51.100.1"), 443);
  EXPECT_NE(d.reason.find("IP-literal rule"), std::string::npos);

  const NetworkRules mapped_rule = rules({"[::ffff:192.0.2.77]:443"});
  EXPECT_TRUE(allows(mapped_rule, "192.0.2.77", 443));
  EXPECT_FALSE(allows(mapped_rule, "192.0.2.77", 80));
}

TEST(ProxyRules, IdnaRulesMeetIdnaHosts) {
  const NetworkRules r = rules({"BÜCHER.example", "*.xn--fa-hia.de"});
  EXPECT_TRUE(allows(r, "xn--bcher-kva.example"));
  EXPECT_TRUE(allows(r, "bücher.example"));
  EXPECT_TRUE(allows(r, "www.faß.de"));
  EXPECT_FALSE(allows(r, "www.fass.de"));
  const NetworkRules a = rules({"xn--bcher-kva.example"});
  EXPECT_TRUE(allows(a, "BÜCHER.example"));
}

TEST(ProxyRules, ThousandRulesCompileAndMatchFast) {
  std::vector<std::string> allowed;
  std::vector<std::string> denied;
  for (int i = 0; i < 1000; ++i) {
    allowed.push_back("host" + std::to_string(i) + ".example" + std::to_string(i % 50) + ".com");
    allowed.push_back("*.svc" + std::to_string(i) + ".example.net:443");
    denied.push_back("blocked" + std::to_string(i) + ".svc" + std::to_string(i) + ".example.net");
  }
  for (int i = 0; i < 200; ++i) allowed.push_back("10.0." + std::to_string(i) + ".1");
  auto compiled = NetworkRules::compile(allowed, denied, {}, {});
  ASSERT_TRUE(compiled.ok()) << compiled.error().message();
  const NetworkRules& r = *compiled;
  EXPECT_EQ(r.allowed_count(), 2200u);
  EXPECT_EQ(r.denied_count(), 1000u);

  EXPECT_TRUE(allows(r, "host999.example49.com"));
  EXPECT_FALSE(allows(r, "host999.example48.com"));
  EXPECT_TRUE(allows(r, "a.b.svc512.example.net", 443));
  EXPECT_FALSE(allows(r, "a.b.svc512.example.net", 80));
  EXPECT_FALSE(allows(r, "svc512.example.net", 443));
  EXPECT_FALSE(allows(r, "blocked512.svc512.example.net", 443));
  EXPECT_TRUE(allows(r, "blocked512.svc513.example.net", 443));
  EXPECT_TRUE(allows(r, "10.0.199.1"));
  EXPECT_FALSE(allows(r, "10.0.200.1"));

  const Host deep = host("x.y.z.w.v.u.t.s.r.q.p.svc777.example.net");
  const Host miss = host("nothing.here.example.org");
  const auto start = std::chrono::steady_clock::now();
  size_t allowed_n = 0;
  for (int i = 0; i < 100000; ++i) {
    allowed_n += r.decide(deep, 443).allowed;
    allowed_n += r.decide(miss, 443).allowed;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  EXPECT_EQ(allowed_n, 100000u);
  // Hash probes per label: 200k decisions take a few tens of ms; a linear scan would not.
  EXPECT_LT(ms, 5000);
}

}  // namespace
}  // namespace paddock::proxy
