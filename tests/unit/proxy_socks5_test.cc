// SOCKS5 greeting and request parsers, and the reply builders.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "proxy/parse/socks5.h"

namespace paddock::proxy {
namespace {

std::string bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

// ---- Greeting ----

TEST(ProxySocks5, GreetingNoAuth) {
  SocksGreetingResult r = parse_socks5_greeting(bytes({5, 1, 0}));
  ASSERT_EQ(r.state, SocksState::Done);
  EXPECT_EQ(r.consumed, 3u);
  EXPECT_TRUE(r.greeting.offers_no_auth);
  EXPECT_EQ(r.greeting.methods, (std::vector<std::uint8_t>{0}));
}

TEST(ProxySocks5, GreetingSeveralMethods) {
  SocksGreetingResult r = parse_socks5_greeting(bytes({5, 3, 2, 1, 0, 5, 1, 0}));
  ASSERT_EQ(r.state, SocksState::Done);
  EXPECT_EQ(r.consumed, 5u);  // the request that follows is not part of it
  EXPECT_TRUE(r.greeting.offers_no_auth);
  EXPECT_EQ(r.greeting.methods, (std::vector<std::uint8_t>{2, 1, 0}));
}

TEST(ProxySocks5, GreetingWithoutNoAuth) {
  SocksGreetingResult r = parse_socks5_greeting(bytes({5, 2, 1, 2}));
  ASSERT_EQ(r.state, SocksState::Done);
  EXPECT_FALSE(r.greeting.offers_no_auth);
  std::string all = bytes({5, 255});
  for (int i = 1; i <= 255; ++i) all.push_back(static_cast<char>(i));
  r = parse_socks5_greeting(all);
  ASSERT_EQ(r.state, SocksState::Done);
  EXPECT_EQ(r.consumed, 257u);
  EXPECT_FALSE(r.greeting.offers_no_auth);
}

TEST(ProxySocks5, GreetingIncomplete) {
  const std::string g = bytes({5, 3, 2, 1, 0});
  for (std::size_t n = 0; n < g.size(); ++n) {
    EXPECT_EQ(parse_socks5_greeting(g.substr(0, n)).state, SocksState::NeedMore) << n;
  }
  EXPECT_EQ(parse_socks5_greeting(g).state, SocksState::Done);
}

TEST(ProxySocks5, GreetingErrors) {
  SocksGreetingResult r = parse_socks5_greeting(bytes({4}));
  EXPECT_EQ(r.state, SocksState::Error);
  EXPECT_EQ(r.error, SocksError::Socks4);
  EXPECT_NE(r.reason.find("socks4"), std::string::npos);
  // A full SOCKS4 CONNECT request to 1.2.3.4:80.
  r = parse_socks5_greeting(bytes({4, 1, 0, 80, 1, 2, 3, 4, 'u', 0}));
  EXPECT_EQ(r.error, SocksError::Socks4);
  r = parse_socks5_greeting(bytes({5, 0}));
  EXPECT_EQ(r.state, SocksState::Error);
  EXPECT_EQ(r.error, SocksError::NoMethods);
  for (int v : {0, 1, 3, 6, int{'G'}, 0x16, 255}) {
    r = parse_socks5_greeting(bytes({v, 1, 0}));
    EXPECT_EQ(r.state, SocksState::Error) << v;
    EXPECT_EQ(r.error, SocksError::BadVersion) << v;
  }
  // An HTTP client that was pointed at the SOCKS port.
  EXPECT_EQ(parse_socks5_greeting("GET / HTTP/1.1\r\n").error, SocksError::BadVersion);
}

// ---- Request ----

TEST(ProxySocks5, RequestIpv4) {
  SocksRequestResult r = parse_socks5_request(bytes({5, 1, 0, 1, 127, 0, 0, 1, 0, 80}));
  ASSERT_EQ(r.state, SocksState::Done) << r.reason;
  EXPECT_EQ(r.consumed, 10u);
  EXPECT_EQ(r.request.command, SocksCommand::Connect);
  EXPECT_EQ(r.request.address.type, SocksAddressType::IPv4);
  EXPECT_EQ(r.request.address.host(), "127.0.0.1");
  EXPECT_EQ(r.request.address.port, 80);
}

TEST(ProxySocks5, RequestDomain) {
  std::string req = bytes({5, 1, 0, 3, 11}) + "Example.COM" + bytes({0x01, 0xbb});
  SocksRequestResult r = parse_socks5_request(req + "trailing");
  ASSERT_EQ(r.state, SocksState::Done) << r.reason;
  EXPECT_EQ(r.consumed, req.size());
  EXPECT_EQ(r.request.address.type, SocksAddressType::Domain);
  EXPECT_EQ(r.request.address.domain, "example.com");
  EXPECT_EQ(r.request.address.host(), "example.com");
  EXPECT_EQ(r.request.address.port, 443);
}

TEST(ProxySocks5, RequestDomainLengths) {
  std::string name(255, 'a');
  std::string req = bytes({5, 1, 0, 3, 255}) + name + bytes({0, 22});
  SocksRequestResult r = parse_socks5_request(req);
  ASSERT_EQ(r.state, SocksState::Done);
  EXPECT_EQ(r.request.address.domain, name);
  EXPECT_EQ(r.request.address.port, 22);
  r = parse_socks5_request(bytes({5, 1, 0, 3, 1, 'x', 0, 1}));
  ASSERT_EQ(r.state, SocksState::Done);
  EXPECT_EQ(r.request.address.domain, "x");
}

TEST(ProxySocks5, RequestIpv6) {
  std::string req =
      bytes({5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1f, 0x90});
  SocksRequestResult r = parse_socks5_request(req);
  ASSERT_EQ(r.state, SocksState::Done);
  EXPECT_EQ(r.consumed, 22u);
  EXPECT_EQ(r.request.address.type, SocksAddressType::IPv6);
  EXPECT_EQ(r.request.address.host(), "2001:db8::1");
  EXPECT_EQ(r.request.address.port, 8080);
}

TEST(ProxySocks5, RequestBindAndUdpAssociateParse) {
  SocksRequestResult r = parse_socks5_request(bytes({5, 2, 0, 1, 0, 0, 0, 0, 0, 0}));
  ASSERT_EQ(r.state, SocksState::Done);
  EXPECT_EQ(r.request.command, SocksCommand::Bind);
  r = parse_socks5_request(bytes({5, 3, 0, 1, 0, 0, 0, 0, 0, 0}));
  ASSERT_EQ(r.state, SocksState::Done);
  EXPECT_EQ(r.request.command, SocksCommand::UdpAssociate);
}

TEST(ProxySocks5, RequestByteByByte) {
  const std::vector<std::string> reqs = {
      bytes({5, 1, 0, 1, 10, 0, 0, 1, 0, 80}),
      bytes({5, 1, 0, 3, 3, 'a', '.', 'b', 0, 80}),
      bytes({5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80}),
  };
  for (const std::string& req : reqs) {
    for (std::size_t n = 0; n < req.size(); ++n) {
      SocksRequestResult r = parse_socks5_request(req.substr(0, n));
      EXPECT_EQ(r.state, SocksState::NeedMore) << n;
      EXPECT_EQ(r.consumed, 0u);
    }
    SocksRequestResult r = parse_socks5_request(req);
    EXPECT_EQ(r.state, SocksState::Done);
    EXPECT_EQ(r.consumed, req.size());
  }
}

TEST(ProxySocks5, RequestErrors) {
  struct Case {
    std::string in;
    SocksError error;
    SocksReply reply;
  };
  const std::vector<Case> cases = {
      {bytes({4, 1, 0, 1}), SocksError::BadVersion, SocksReply::GeneralFailure},
      {bytes({0}), SocksError::BadVersion, SocksReply::GeneralFailure},
      {bytes({5, 0}), SocksError::BadCommand, SocksReply::CommandNotSupported},
      {bytes({5, 4, 0, 1}), SocksError::BadCommand, SocksReply::CommandNotSupported},
      {bytes({5, 0xff}), SocksError::BadCommand, SocksReply::CommandNotSupported},
      {bytes({5, 1, 1}), SocksError::BadReserved, SocksReply::GeneralFailure},
      {bytes({5, 1, 0, 0}), SocksError::BadAddressType, SocksReply::AddressTypeNotSupported},
      {bytes({5, 1, 0, 2, 1, 2, 3, 4, 0, 80}), SocksError::BadAddressType,
       SocksReply::AddressTypeNotSupported},
      {bytes({5, 1, 0, 5}), SocksError::BadAddressType, SocksReply::AddressTypeNotSupported},
      {bytes({5, 1, 0, 3, 0, 0, 80}), SocksError::BadDomain, SocksReply::GeneralFailure},
      {bytes({5, 1, 0, 3, 0}), SocksError::BadDomain, SocksReply::GeneralFailure},
      // NUL inside the name: refused as soon as it arrives, before the rest of the request.
      {bytes({5, 1, 0, 3, 11, 'a', 0}), SocksError::BadDomain, SocksReply::GeneralFailure},
      {bytes({5, 1, 0, 3, 4, 'a', 'b', 'c', 0, 0, 80}), SocksError::BadDomain,
       SocksReply::GeneralFailure},
      {bytes({5, 1, 0, 3, 3, 'a', '\n', 'b', 0, 80}), SocksError::BadDomain,
       SocksReply::GeneralFailure},
  };
  for (const Case& c : cases) {
    SocksRequestResult r = parse_socks5_request(c.in);
    EXPECT_EQ(r.state, SocksState::Error) << testing::PrintToString(c.in);
    EXPECT_EQ(r.error, c.error) << testing::PrintToString(c.in);
    EXPECT_EQ(r.reply, c.reply) << testing::PrintToString(c.in);
    EXPECT_FALSE(r.reason.empty());
  }
}

// ---- Replies ----

TEST(ProxySocks5, MethodReply) {
  EXPECT_EQ(socks5_method_reply(kSocksMethodNoAuth), bytes({5, 0}));
  EXPECT_EQ(socks5_method_reply(kSocksMethodNoAcceptable), bytes({5, 0xff}));
}

TEST(ProxySocks5, Replies) {
  EXPECT_EQ(socks5_reply(SocksReply::NotAllowed), bytes({5, 2, 0, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(socks5_reply(SocksReply::GeneralFailure), bytes({5, 1, 0, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(socks5_reply(SocksReply::HostUnreachable), bytes({5, 4, 0, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(socks5_reply(SocksReply::ConnectionRefused), bytes({5, 5, 0, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(socks5_reply(SocksReply::CommandNotSupported), bytes({5, 7, 0, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(socks5_reply(SocksReply::AddressTypeNotSupported),
            bytes({5, 8, 0, 1, 0, 0, 0, 0, 0, 0}));

  SocksAddress v4;
  v4.type = SocksAddressType::IPv4;
  v4.ip = {10, 0, 0, 1};
  v4.port = 8080;
  EXPECT_EQ(socks5_reply(SocksReply::Succeeded, v4), bytes({5, 0, 0, 1, 10, 0, 0, 1, 0x1f, 0x90}));

  SocksAddress v6;
  v6.type = SocksAddressType::IPv6;
  v6.ip[15] = 1;
  v6.port = 443;
  std::string r6 = socks5_reply(SocksReply::Succeeded, v6);
  ASSERT_EQ(r6.size(), 22u);
  EXPECT_EQ(r6.substr(0, 4), bytes({5, 0, 0, 4}));
  EXPECT_EQ(r6[19], 1);
  EXPECT_EQ(r6.substr(20), bytes({1, 0xbb}));

  SocksAddress dn;
  dn.type = SocksAddressType::Domain;
  dn.domain = "proxy.local";
  dn.port = 1080;
  EXPECT_EQ(socks5_reply(SocksReply::Succeeded, dn),
            bytes({5, 0, 0, 3, 11}) + "proxy.local" + bytes({0x04, 0x38}));
  dn.domain = std::string(300, 'x');  // cannot be encoded: falls back to 0.0.0.0
  EXPECT_EQ(socks5_reply(SocksReply::Succeeded, dn).size(), 10u);
}

TEST(ProxySocks5, ReplyParsesAsRequestShape) {
  // A reply has the request's layout (REP in CMD's place): check the builder with the parser.
  SocksAddress a;
  a.type = SocksAddressType::Domain;
  a.domain = "example.org";
  a.port = 65535;
  SocksRequestResult r = parse_socks5_request(socks5_reply(SocksReply::GeneralFailure, a));
  ASSERT_EQ(r.state, SocksState::Done);
  EXPECT_EQ(r.request.address.domain, "example.org");
  EXPECT_EQ(r.request.address.port, 65535);
}

TEST(ProxySocks5, Socks4Reject) {
  EXPECT_EQ(socks4_reject_reply(), bytes({0, 91, 0, 0, 0, 0, 0, 0}));
}

}  // namespace
}  // namespace paddock::proxy
