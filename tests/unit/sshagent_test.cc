#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/sha256.h"
#include "sshagent/agent_filter.h"
#include "sshagent/agent_protocol.h"

namespace paddock::sshagent {
namespace {

// A key generated with ssh-keygen -t ed25519, and its fingerprint as ssh-keygen -l printed it.
constexpr const char* kPub =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOLdc9q7FQYszDvRSzFtilfvZnL4Apd5UvdaZzWb22Vm test";
constexpr const char* kFingerprint = "SHA256:RDfqv/1ybr5bhMdLZcS1BLf5uSMfNr8Lv2rRnFrJk5M";

std::string u32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}
std::string str(std::string_view s) {
  return u32(uint32_t(s.size())) + std::string(s);
}
std::string key_blob(std::string_view type = "ssh-ed25519", char fill = 'k') {
  return str(type) + str(std::string(32, fill));
}
std::string sign_body(const std::string& blob, uint32_t flags = 0) {
  return std::string(1, char(kSignRequest)) + str(blob) + str("to be signed") + u32(flags);
}
std::string body(const std::string& framed) {
  EXPECT_EQ(frame_size(framed), framed.size());
  return framed.substr(4);
}

TEST(Sha256, KnownVectors) {
  auto hex = [](std::string_view in) {
    std::string out;
    for (uint8_t b : sha256(in)) {
      const char* d = "0123456789abcdef";
      out += d[b >> 4];
      out += d[b & 15];
    }
    return out;
  };
  EXPECT_EQ(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(hex(std::string(55, 'x')).size(), 64u);  // the one- and two-block padding edges
  EXPECT_NE(hex(std::string(55, 'x')), hex(std::string(56, 'x')));
}

TEST(AgentProtocol, Framing) {
  EXPECT_EQ(frame_size(""), size_t{0});
  EXPECT_EQ(frame_size(std::string("\0\0\0", 3)), size_t{0});
  EXPECT_EQ(frame_size(u32(1)), size_t{0});
  EXPECT_EQ(frame_size(u32(1) + "\x0b"), size_t{5});
  EXPECT_EQ(frame_size(u32(1) + "\x0b" + "more"), size_t{5});
  EXPECT_EQ(frame_size(u32(0)), std::nullopt);
  EXPECT_EQ(frame_size(u32(kMaxMessage + 1)), std::nullopt);
  EXPECT_EQ(frame_size(u32(kMaxMessage)), size_t{0});
}

TEST(AgentProtocol, RequestsParsedStrictly) {
  auto list = parse_request("\x0b");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->kind, Request::Kind::kListIdentities);
  EXPECT_FALSE(parse_request("\x0bx"));  // trailing byte
  EXPECT_FALSE(parse_request(""));
  auto sign = parse_request(sign_body(key_blob(), 4));
  ASSERT_TRUE(sign);
  EXPECT_EQ(sign->kind, Request::Kind::kSign);
  EXPECT_EQ(sign->key_blob, key_blob());
  EXPECT_EQ(sign->data, "to be signed");
  EXPECT_EQ(sign->flags, 4u);
  EXPECT_FALSE(parse_request(sign_body(key_blob(), 1)));     // unknown flag bit
  EXPECT_FALSE(parse_request(sign_body(key_blob(), 0x80)));  // unknown flag bit
  EXPECT_FALSE(parse_request(sign_body(key_blob()) + "x"));  // trailing
  std::string full = sign_body(key_blob());
  for (size_t n = 1; n < full.size(); ++n) EXPECT_FALSE(parse_request(full.substr(0, n))) << n;
  EXPECT_FALSE(parse_request(sign_body(str("") + "x")));              // empty key type
  EXPECT_FALSE(parse_request(sign_body(str("ssh ed25519") + "x")));   // space in type
  EXPECT_FALSE(parse_request(sign_body(str(std::string(65, 'a')))));  // type too long
  EXPECT_FALSE(parse_request(sign_body("\xff\xff\xff\xff")));         // length past the end
  // Every other type parses as "other", whatever follows it (it is never forwarded).
  for (uint8_t t : {1, 17, 18, 19, 20, 21, 22, 23, 25, 26, 27, 200}) {
    auto r = parse_request(std::string(1, char(t)) + "anything");
    ASSERT_TRUE(r) << int(t);
    EXPECT_EQ(r->kind, Request::Kind::kOther) << int(t);
  }
}

TEST(AgentFilter, OnlyListingAndSigningReachTheAgent) {
  KeyAllowlist all;
  EXPECT_EQ(decide("\x0b", all).action, Decision::Action::kForward);
  Decision s = decide(sign_body(key_blob()), all);
  EXPECT_EQ(s.action, Decision::Action::kForward);
  EXPECT_EQ(s.forward, frame(sign_body(key_blob())));
  const std::string refused[] = {
      std::string(1, char(kAddIdentity)) + str("ssh-ed25519"),
      std::string(1, char(kAddIdConstrained)) + str("ssh-ed25519"),
      std::string(1, char(kRemoveIdentity)) + str(key_blob()),
      std::string(1, char(kRemoveAllIdentities)),
      std::string(1, char(kAddSmartcardKey)) + str("/usr/lib/pkcs11.so") + str(""),
      std::string(1, char(kRemoveSmartcardKey)) + str("/usr/lib/pkcs11.so") + str(""),
      std::string(1, char(kLock)) + str("pw"),
      std::string(1, char(kUnlock)) + str("pw"),
      std::string(1, char(kExtension)) + str("session-bind@openssh.com"),
      std::string(1, char(kExtension)) + str("query"),
      std::string(1, char(1)),  // SSH1 RSA identities
      sign_body(key_blob(), 1),
  };
  for (const auto& r : refused) EXPECT_EQ(decide(r, all).action, Decision::Action::kRefuse);
}

TEST(AgentFilter, AllowlistLimitsListingAndSigning) {
  KeyAllowlist allow;
  ASSERT_EQ(allow.add_public_keys(std::string("# comment\n\n") + kPub + "\nnot a key\n"), 1u);
  EXPECT_EQ(allow.add_public_keys("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOLd x\n"), 0u);  // type differs
  std::vector<Identity> ids = {{key_blob("ssh-ed25519", 'a'), "other"}};
  std::string answer = body(identities_message(ids));
  auto none =
      parse_identities_answer(body(filter_answer(Request::Kind::kListIdentities, answer, allow)));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(decide(sign_body(key_blob("ssh-ed25519", 'a')), allow).action,
            Decision::Action::kRefuse);
  KeyAllowlist fp;
  EXPECT_FALSE(fp.add_fingerprint("SHA256:short"));
  EXPECT_FALSE(fp.add_fingerprint("MD5:aa:bb"));
  EXPECT_TRUE(fp.empty());
}

TEST(AgentFilter, FingerprintMatchesSshKeygen) {
  KeyAllowlist pub;
  ASSERT_EQ(pub.add_public_keys(kPub), 1u);
  KeyAllowlist fp;
  ASSERT_TRUE(fp.add_fingerprint(kFingerprint));
  std::string line = kPub;
  std::string b64 = line.substr(line.find(' ') + 1);
  b64 = b64.substr(0, b64.find(' '));
  Identity other{key_blob(), "other"};
  // The .pub line's blob, decoded here independently of the allowlist.
  static const std::string kB64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string blob;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : b64) {
    if (c == '=') break;
    acc = (acc << 6) | uint32_t(kB64.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      blob.push_back(char((acc >> bits) & 0xff));
    }
  }
  EXPECT_EQ(fingerprint(blob), kFingerprint);
  EXPECT_TRUE(pub.allows(blob));
  EXPECT_TRUE(fp.allows(blob));
  EXPECT_FALSE(pub.allows(other.key_blob));
  EXPECT_FALSE(fp.allows(other.key_blob));
  std::string answer = body(identities_message({other, {blob, "mine"}}));
  for (const KeyAllowlist* a : {&pub, &fp}) {
    auto kept =
        parse_identities_answer(body(filter_answer(Request::Kind::kListIdentities, answer, *a)));
    ASSERT_TRUE(kept);
    ASSERT_EQ(kept->size(), 1u);
    EXPECT_EQ((*kept)[0].key_blob, blob);
    EXPECT_EQ((*kept)[0].comment, "mine");
    EXPECT_EQ(decide(sign_body(blob), *a).action, Decision::Action::kForward);
    EXPECT_EQ(decide(sign_body(other.key_blob), *a).action, Decision::Action::kRefuse);
  }
}

TEST(AgentFilter, AgentAnswersChecked) {
  KeyAllowlist all;
  std::vector<Identity> ids = {{key_blob(), "a"}, {key_blob("ecdsa-sha2-nistp256", 'e'), "b"}};
  std::string answer = body(identities_message(ids));
  EXPECT_EQ(filter_answer(Request::Kind::kListIdentities, answer, all), frame(answer));
  // Truncated, trailing, a count larger than the bytes, a bad blob: failure.
  for (size_t n = 0; n < answer.size(); ++n)
    EXPECT_EQ(filter_answer(Request::Kind::kListIdentities, answer.substr(0, n), all),
              failure_message())
        << n;
  EXPECT_EQ(filter_answer(Request::Kind::kListIdentities, answer + "x", all), failure_message());
  std::string huge = std::string(1, char(kIdentitiesAnswer)) + u32(0xffffffff);
  EXPECT_EQ(filter_answer(Request::Kind::kListIdentities, huge, all), failure_message());
  std::string bad_blob = std::string(1, char(kIdentitiesAnswer)) + u32(1) + str("xx") + str("c");
  EXPECT_EQ(filter_answer(Request::Kind::kListIdentities, bad_blob, all), failure_message());
  // Sign answers: a signature or a failure pass; anything else becomes a failure.
  std::string sig = std::string(1, char(kSignResponse)) + str(str("ssh-ed25519") + str("sig"));
  EXPECT_EQ(filter_answer(Request::Kind::kSign, sig, all), frame(sig));
  EXPECT_EQ(filter_answer(Request::Kind::kSign, std::string(1, char(kFailure)), all),
            failure_message());
  EXPECT_EQ(filter_answer(Request::Kind::kSign, sig + "x", all), failure_message());
  EXPECT_EQ(filter_answer(Request::Kind::kSign, std::string(1, char(kSuccess)), all),
            failure_message());
  EXPECT_EQ(filter_answer(Request::Kind::kSign, answer, all), failure_message());
}

}  // namespace
}  // namespace paddock::sshagent
