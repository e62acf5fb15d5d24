// The sandbox's resolver: the DNS message parser and encoder (untrusted bytes), the fake-address
// table, the answers it gives, the pending-capture table, and the server over real sockets.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "dns/answer.h"
#include "dns/capture.h"
#include "dns/fake_ips.h"
#include "dns/message.h"
#include "dns/server.h"

namespace paddock::dns {
namespace {

std::string query(std::string_view name, uint16_t type = 1, uint16_t id = 0x1234) {
  auto q = encode_query(id, name, type);
  EXPECT_TRUE(q.has_value());
  return q.value_or("");
}

uint16_t be16(const std::string& m, size_t at) {
  return uint16_t((uint8_t(m[at]) << 8) | uint8_t(m[at + 1]));
}

uint8_t rcode(const std::string& m) {
  return uint8_t(m[3]) & 0xF;
}

NameJudge allow_only(std::string allowed, std::vector<std::string>* asked = nullptr) {
  return [allowed, asked](std::string_view name, uint16_t) -> std::optional<std::string> {
    if (asked) asked->emplace_back(name);
    std::string lower(name);
    for (auto& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (lower == allowed) return lower;
    return std::nullopt;
  };
}

TEST(DnsMessage, ParsesAQuery) {
  auto p = parse_query(query("Example.COM", 1, 0xBEEF));
  ASSERT_EQ(p.outcome, ParseOutcome::Ok);
  EXPECT_EQ(p.question.id, 0xBEEF);
  EXPECT_EQ(p.question.name, "Example.COM");
  EXPECT_EQ(p.question.qtype, 1);
  EXPECT_EQ(p.question.qclass, kClassIn);
}

TEST(DnsMessage, RejectsRunts) {
  EXPECT_EQ(parse_query("").outcome, ParseOutcome::Drop);
  EXPECT_EQ(parse_query(std::string(11, '\0')).outcome, ParseOutcome::Drop);
  std::string q = query("a.example");
  for (size_t n = kHeaderBytes; n < q.size(); ++n)
    EXPECT_EQ(parse_query(q.substr(0, n)).outcome, ParseOutcome::FormErr) << n;
}

TEST(DnsMessage, ResponsesAreDroppedOtherOpcodesNotImplemented) {
  std::string q = query("a.example");
  q[2] = char(uint8_t(q[2]) | 0x80);  // QR
  EXPECT_EQ(parse_query(q).outcome, ParseOutcome::Drop);
  q = query("a.example");
  q[2] = char((uint8_t(q[2]) & 0x87) | (5 << 3));  // opcode UPDATE
  EXPECT_EQ(parse_query(q).outcome, ParseOutcome::NotImp);
}

TEST(DnsMessage, QuestionCountMustBeOne) {
  std::string q = query("a.example");
  q[5] = 2;
  EXPECT_EQ(parse_query(q).outcome, ParseOutcome::FormErr);
  q[5] = 0;
  EXPECT_EQ(parse_query(q).outcome, ParseOutcome::FormErr);
}

TEST(DnsMessage, CompressionPointersOnlyBackwards) {
  // A question whose name is a pointer to itself, and one pointing forwards.
  std::string h = query("x").substr(0, kHeaderBytes);
  std::string self = h + std::string("\xC0\x0C", 2) + std::string("\x00\x01\x00\x01", 4);
  EXPECT_EQ(parse_query(self).outcome, ParseOutcome::FormErr);
  std::string fwd = h + std::string("\xC0\x20", 2) + std::string("\x00\x01\x00\x01", 4);
  EXPECT_EQ(parse_query(fwd).outcome, ParseOutcome::FormErr);
  // read_name on a backwards chain: a name at 0 and a pointer to it later.
  std::string msg = std::string(
                        "\x01"
                        "a\x00",
                        3) +
                    std::string(
                        "\x01"
                        "b\xC0\x00",
                        4);
  size_t next = 0;
  std::string wire;
  auto n = read_name(msg, 3, next, &wire);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, "b.a");
  EXPECT_EQ(next, msg.size());
  EXPECT_EQ(wire, std::string("\x01"
                              "b\x01"
                              "a\x00",
                              5));
}

TEST(DnsMessage, PointerChainsAreBounded) {
  // kMaxPointers + 2 pointers each to the previous one, ending at a root name.
  std::string msg(1, '\0');
  for (int i = 0; i < kMaxPointers + 2; ++i) {
    const size_t prev = i == 0 ? 0 : msg.size() - 2;
    msg.push_back(char(0xC0 | (prev >> 8)));
    msg.push_back(char(prev & 0xFF));
  }
  size_t next = 0;
  EXPECT_FALSE(read_name(msg, msg.size() - 2, next));
  EXPECT_TRUE(read_name(msg, 1 + 2 * (kMaxPointers - 1), next));
}

TEST(DnsMessage, NamesAreBounded) {
  EXPECT_FALSE(encode_query(1, std::string(64, 'a') + ".example", 1));
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += std::string(60, 'a') + ".";
  EXPECT_FALSE(encode_query(1, long_name + "x", 1));
  // Hand-made: 5 labels of 60 bytes exceed 255 in wire form.
  std::string q = query("x").substr(0, kHeaderBytes);
  for (int i = 0; i < 5; ++i) q += char(60) + std::string(60, 'a');
  q += std::string("\x00\x00\x01\x00\x01", 5);
  EXPECT_EQ(parse_query(q).outcome, ParseOutcome::FormErr);
  // Extended label types (0x40, 0x80) are refused.
  std::string ext = query("x").substr(0, kHeaderBytes) + std::string("\x41\x00\x00\x01\x00\x01", 6);
  EXPECT_EQ(parse_query(ext).outcome, ParseOutcome::FormErr);
}

TEST(DnsMessage, LabelsWithDotsOrControlBytesAreRefused) {
  std::string h = query("x").substr(0, kHeaderBytes);
  EXPECT_EQ(parse_query(h + std::string("\x03"
                                        "a.b\x00\x00\x01\x00\x01",
                                        9))
                .outcome,
            ParseOutcome::FormErr);
  EXPECT_EQ(parse_query(h + std::string("\x03"
                                        "a\nb\x00\x00\x01\x00\x01",
                                        9))
                .outcome,
            ParseOutcome::FormErr);
}

TEST(DnsMessage, AnswerEncodesOneARecord) {
  auto p = parse_query(query("a.example", 1, 7));
  ASSERT_EQ(p.outcome, ParseOutcome::Ok);
  std::string a = encode_answer(p.question, Rcode::NoError, 0xC6120005, 60);
  EXPECT_EQ(be16(a, 0), 7);
  EXPECT_TRUE(uint8_t(a[2]) & 0x80);  // QR
  EXPECT_TRUE(uint8_t(a[2]) & 0x01);  // RD copied
  EXPECT_EQ(be16(a, 4), 1);
  EXPECT_EQ(be16(a, 6), 1);
  EXPECT_EQ(rcode(a), 0);
  ASSERT_GE(a.size(), 4u);
  EXPECT_EQ(a.substr(a.size() - 4), std::string("\xC6\x12\x00\x05", 4));
  // The answer parses back as a message (question intact); its record's name points at it.
  size_t next = 0;
  auto n = read_name(a, kHeaderBytes, next);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, "a.example");
  auto rn = read_name(a, next + 4, next);
  ASSERT_TRUE(rn);
  EXPECT_EQ(*rn, "a.example");
  // NXDOMAIN carries no record.
  std::string nx = encode_answer(p.question, Rcode::NxDomain, 0xC6120005, 60);
  EXPECT_EQ(rcode(nx), 3);
  EXPECT_EQ(be16(nx, 6), 0);
}

TEST(FakeIps, OnePerNameStableBothWays) {
  FakeIpTable t;
  auto a = t.address_for("a.example");
  auto b = t.address_for("b.example");
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(t.address_for("a.example"), a);
  EXPECT_TRUE(is_fake_ipv4(*a) && is_fake_ipv4(*b));
  EXPECT_EQ(*a, 0xC6120001u);  // 198.18.0.1: the network address is never handed out
  EXPECT_EQ(t.name_for(*a), "a.example");
  EXPECT_EQ(t.name_for(*b), "b.example");
  EXPECT_FALSE(t.name_for(*b + 1));
  EXPECT_FALSE(t.name_for(0xC6120000));
  EXPECT_FALSE(t.name_for(0x7F000001));
  EXPECT_TRUE(is_fake_ipv4(0xC613FFFF));   // 198.19.255.255
  EXPECT_FALSE(is_fake_ipv4(0xC6140000));  // 198.20.0.0
  EXPECT_EQ(t.size(), 2u);
}

TEST(FakeIps, ExhaustionIsAnAnswerNotAWrap) {
  FakeIpTable t(2);
  EXPECT_TRUE(t.address_for("a"));
  EXPECT_TRUE(t.address_for("b"));
  EXPECT_FALSE(t.address_for("c"));
  EXPECT_TRUE(t.address_for("a"));
}

TEST(FakeIps, ThreadSafe) {
  FakeIpTable t;
  std::vector<std::thread> ts;
  for (int k = 0; k < 4; ++k)
    ts.emplace_back([&t] {
      for (int i = 0; i < 500; ++i) t.address_for("n" + std::to_string(i));
    });
  for (auto& th : ts) th.join();
  EXPECT_EQ(t.size(), 500u);
  for (int i = 0; i < 500; ++i)
    EXPECT_EQ(t.name_for(*t.address_for("n" + std::to_string(i))), "n" + std::to_string(i));
}

TEST(DnsAnswer, AllowedNameGetsItsAddressOnlyForA) {
  FakeIpTable t;
  auto judge = allow_only("ok.example");
  auto a = answer_query(query("OK.example", 1), judge, t);
  ASSERT_TRUE(a);
  EXPECT_EQ(rcode(*a), 0);
  EXPECT_EQ(be16(*a, 6), 1);
  EXPECT_EQ(t.name_for(0xC6120001), "ok.example");
  for (uint16_t type : {28, 16, 255, 15, 33}) {  // AAAA, TXT, ANY, MX, SRV
    auto e = answer_query(query("ok.example", type), judge, t);
    ASSERT_TRUE(e);
    EXPECT_EQ(rcode(*e), 0) << type;
    EXPECT_EQ(be16(*e, 6), 0) << type;
  }
}

TEST(DnsAnswer, DeniedNameIsNxdomainWhateverTheType) {
  FakeIpTable t;
  std::vector<std::string> asked;
  auto judge = allow_only("ok.example", &asked);
  for (uint16_t type : {1, 28, 16, 255}) {
    auto a = answer_query(query("secret.attacker.example", type), judge, t);
    ASSERT_TRUE(a);
    EXPECT_EQ(rcode(*a), 3) << type;
    EXPECT_EQ(be16(*a, 6), 0);
  }
  EXPECT_EQ(asked.size(), 4u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(DnsAnswer, ErrorsAndNonQueries) {
  FakeIpTable t;
  auto judge = allow_only("ok.example");
  EXPECT_FALSE(answer_query("", judge, t));
  std::string q = query("ok.example");
  q[5] = 2;
  auto fe = answer_query(q, judge, t);
  ASSERT_TRUE(fe);
  EXPECT_EQ(rcode(*fe), 1);
  q = query("ok.example");
  q[2] = char((uint8_t(q[2]) & 0x87) | (2 << 3));  // STATUS
  auto ni = answer_query(q, judge, t);
  ASSERT_TRUE(ni);
  EXPECT_EQ(rcode(*ni), 4);
  // A class other than IN: empty, and the policy is not asked.
  std::vector<std::string> asked;
  auto judge2 = allow_only("ok.example", &asked);
  q = query("version.bind", 16);
  q[q.size() - 1] = 3;  // CHAOS
  auto ch = answer_query(q, judge2, t);
  ASSERT_TRUE(ch);
  EXPECT_EQ(rcode(*ch), 0);
  EXPECT_TRUE(asked.empty());
}

TEST(DnsAnswer, ExhaustedRangeIsServfail) {
  FakeIpTable t(0);
  auto a = answer_query(query("ok.example"), allow_only("ok.example"), t);
  ASSERT_TRUE(a);
  EXPECT_EQ(rcode(*a), 2);
}

TEST(PendingCaptures, TakenOnce) {
  PendingCaptures p;
  p.expect(40000, {"a.example", 443});
  p.expect(40000, {"b.example", 22});  // a stale entry is replaced
  auto d = p.take(40000);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->name, "b.example");
  EXPECT_EQ(d->port, 22);
  EXPECT_FALSE(p.take(40000));
  EXPECT_EQ(p.size(), 0u);
}

// The server over real loopback sockets (UDP and TCP), in this process's namespace.
TEST(DnsServer, AnswersUdpAndTcp) {
  int u = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(u, 0);
  ASSERT_GE(l, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(l, 8), 0);
  sockaddr_in ua{}, ta{};
  socklen_t len = sizeof ua;
  ::getsockname(u, reinterpret_cast<sockaddr*>(&ua), &len);
  len = sizeof ta;
  ::getsockname(l, reinterpret_cast<sockaddr*>(&ta), &len);
  auto table = std::make_shared<FakeIpTable>();
  auto s = DnsServer::start(UniqueFd(u), UniqueFd(l), allow_only("ok.example"), table);
  ASSERT_TRUE(s);

  int c = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  timeval tv{2, 0};
  ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string q = query("ok.example", 1, 99);
  ASSERT_EQ(::sendto(c, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&ua), sizeof ua),
            ssize_t(q.size()));
  char buf[512];
  ssize_t n = ::recv(c, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  std::string r(buf, size_t(n));
  EXPECT_EQ(be16(r, 0), 99);
  EXPECT_EQ(be16(r, 6), 1);
  ::close(c);

  int t = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ::setsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ASSERT_EQ(::connect(t, reinterpret_cast<sockaddr*>(&ta), sizeof ta), 0);
  // Two queries in one write, the second for a denied name.
  std::string both;
  for (const std::string& m : {query("ok.example", 1, 1), query("no.example", 1, 2)}) {
    both.push_back(char(m.size() >> 8));
    both.push_back(char(m.size() & 0xFF));
    both += m;
  }
  ASSERT_EQ(::send(t, both.data(), both.size(), 0), ssize_t(both.size()));
  std::string got;
  while (got.size() < 4) {
    n = ::recv(t, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    got.append(buf, size_t(n));
    // both answers: lengths + bodies
    if (got.size() >= 2) {
      size_t l1 = be16(got, 0);
      if (got.size() >= 2 + l1 + 2 && got.size() >= 2 + l1 + 2 + be16(got, 2 + l1)) break;
    }
  }
  const size_t l1 = be16(got, 0);
  std::string r1 = got.substr(2, l1);
  std::string r2 = got.substr(2 + l1 + 2);
  EXPECT_EQ(be16(r1, 0), 1);
  EXPECT_EQ(rcode(r1), 0);
  EXPECT_EQ(be16(r2, 0), 2);
  EXPECT_EQ(rcode(r2), 3);
  ::close(t);
  (*s)->stop();
  EXPECT_EQ((*s)->answered(), 3u);
}

}  // namespace
}  // namespace paddock::dns
