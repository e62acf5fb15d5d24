// Capture by name, the proxy's part: the name-level decision the resolver asks for, and the Host
// check of a captured connection's first plain HTTP request.
#include <gtest/gtest.h>

#include "proxy/decide/captured_check.h"
#include "proxy/decide/domain_rules.h"

namespace paddock::proxy {
namespace {

Host host(std::string_view n) {
  auto h = normalise_host(n);
  EXPECT_TRUE(bool(h));
  return *h;
}

TEST(DecideName, AllowedOnAnyPortDeniedOnlyWithoutPort) {
  auto r = NetworkRules::compile({"api.example.com:443", "*.example.org", "both.example"},
                                 {"bad.example.org", "both.example:22"}, {}, {});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->decide_name(host("api.example.com")).allowed);  // its one port is judged later
  EXPECT_FALSE(r->decide(host("api.example.com"), 80).allowed);
  EXPECT_TRUE(r->decide_name(host("a.example.org")).allowed);
  EXPECT_FALSE(r->decide_name(host("example.org")).allowed);  // the wildcard misses the apex
  EXPECT_FALSE(r->decide_name(host("bad.example.org")).allowed);
  EXPECT_EQ(r->decide_name(host("bad.example.org")).rule, "bad.example.org");
  EXPECT_TRUE(r->decide_name(host("both.example")).allowed);  // denied on 22 only
  EXPECT_FALSE(r->decide_name(host("other.example")).allowed);
  EXPECT_EQ(r->decide_name(host("other.example")).rule, "default-deny");
}

TEST(CapturedPlain, HoldsOnlyWhatCanStillBeARequestLine) {
  const Host h = host("a.example");
  EXPECT_EQ(check_captured_plain("", h).kind, PlainKind::NeedMore);
  EXPECT_EQ(check_captured_plain("GE", h).kind, PlainKind::NeedMore);
  EXPECT_EQ(check_captured_plain("GET /x HTTP/1", h).kind, PlainKind::NeedMore);
  EXPECT_EQ(check_captured_plain("SSH-2.0-OpenSSH_9.6\r\n", h).kind, PlainKind::NotHttp);
  EXPECT_EQ(check_captured_plain("EHLO me\r\n", h).kind, PlainKind::NotHttp);
  EXPECT_EQ(check_captured_plain("GET / HTTP/2.0\r\n", h).kind, PlainKind::NotHttp);
  EXPECT_EQ(check_captured_plain(std::string("\x00\x00\x00\x08", 4), h).kind, PlainKind::NotHttp);
  EXPECT_EQ(check_captured_plain("get / HTTP/1.1\r\n", h).kind, PlainKind::NotHttp);
}

TEST(CapturedPlain, HostMustBeTheCapturedName) {
  const Host h = host("a.example");
  EXPECT_EQ(check_captured_plain("GET / HTTP/1.1\r\nHost: a.example\r\n", h).kind,
            PlainKind::NeedMore);
  EXPECT_EQ(check_captured_plain("GET / HTTP/1.1\r\nHost: A.Example:8080\r\n\r\n", h).kind,
            PlainKind::Match);
  const PlainCheck m = check_captured_plain("GET / HTTP/1.1\r\nHost: b.example\r\n\r\n", h);
  EXPECT_EQ(m.kind, PlainKind::Refuse);
  EXPECT_EQ(m.rule, "host-mismatch");
  EXPECT_EQ(
      check_captured_plain("GET http://b.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n", h).kind,
      PlainKind::Refuse);
  const PlainCheck bad = check_captured_plain("GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", h);
  EXPECT_EQ(bad.kind, PlainKind::Refuse);
  EXPECT_EQ(bad.rule, "http-request");
}

}  // namespace
}  // namespace paddock::proxy
