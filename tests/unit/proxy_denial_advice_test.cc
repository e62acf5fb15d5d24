#include <gtest/gtest.h>

#include "proxy/decide/denial_advice.h"

namespace paddock::proxy {
namespace {

DenialSummary denial(std::string host, uint16_t port, std::string rule) {
  DenialSummary d;
  d.protocol = "connect";
  d.host = std::move(host);
  d.port = port;
  d.rule = std::move(rule);
  return d;
}

TEST(DenialAdvice, UnmatchedNamesGetTheExactFlag) {
  EXPECT_EQ(denial_advice(denial("registry.npmjs.org", 443, "default-deny")),
            "--allow-domain registry.npmjs.org:443 allows it");
  EXPECT_EQ(denial_advice(denial("[2001:db8::1]", 8443, "default-deny")),
            "--allow-domain [2001:db8::1]:8443 allows it");
}

TEST(DenialAdvice, PrivateAddressesPointAtPinning) {
  std::string a = denial_advice(denial("intranet.example", 443, "resolved-address"));
  EXPECT_NE(a.find("--resolve intranet.example=ADDRESS"), std::string::npos) << a;
  EXPECT_NE(a.find("network.allowPrivateAddresses"), std::string::npos) << a;
}

TEST(DenialAdvice, NothingWhereNoFlagHelps) {
  EXPECT_EQ(denial_advice(denial("evil.example", 443, "*.evil.example")), "");  // denied by rule
  EXPECT_EQ(denial_advice(denial("api.example", 443, "sni-mismatch")), "");
  EXPECT_EQ(denial_advice(denial("", 0, "malformed")), "");
  // A host the parser kept raw: never echoed into a command line.
  EXPECT_EQ(denial_advice(denial("evil.test;rm -rf ~", 443, "default-deny")), "");
  EXPECT_EQ(denial_advice(denial("a\x1b[8m.test", 443, "default-deny")), "");
}

}  // namespace
}  // namespace paddock::proxy
