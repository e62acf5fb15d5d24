// The small pure pieces around the proxy server: error replies, audit lines, the denial tally,
// and the relay channel over socket pairs.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "base/unique_fd.h"
#include "proxy/decide/audit_log.h"
#include "proxy/decide/denial_tally.h"
#include "proxy/io/dialer.h"
#include "proxy/io/relay.h"
#include "proxy/parse/replies.h"

namespace paddock::proxy {
namespace {

TEST(ProxyReplies, DenialNamesRuleAndReasonOnOneLine) {
  const std::string r =
      http_denial_response("evil.test:80 matches no rule\r\nX-Injected: 1", "default-deny");
  EXPECT_EQ(r.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u);
  EXPECT_NE(r.find("\r\nX-Proxy-Error: blocked-by-paddock\r\n"), std::string::npos);
  EXPECT_NE(r.find("\r\nX-Paddock-Rule: default-deny\r\n"), std::string::npos);
  EXPECT_NE(r.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_EQ(r.find("\r\nX-Injected"), std::string::npos);
  const std::size_t body = r.find("\r\n\r\n") + 4;
  const std::string b = r.substr(body);
  EXPECT_EQ(b, "paddock: evil.test:80 matches no rule??X-Injected: 1 (rule: default-deny)\n");
  EXPECT_NE(r.find("Content-Length: " + std::to_string(b.size()) + "\r\n"), std::string::npos);
}

TEST(ProxyReplies, RuleQuotedInTheReasonIsNotRepeated) {
  const std::string r =
      http_denial_response("a.test:80 is denied by deniedDomains rule \"a.test\"", "a.test");
  EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4),
            "paddock: a.test:80 is denied by deniedDomains rule \"a.test\"\n");
}

TEST(ProxyReplies, ErrorStatusTexts) {
  EXPECT_EQ(http_error_response(400, kBadRequestToken, "x").rfind("HTTP/1.1 400 Bad Request", 0),
            0u);
  EXPECT_EQ(
      http_error_response(502, kUpstreamFailedToken, "x").rfind("HTTP/1.1 502 Bad Gateway", 0), 0u);
  EXPECT_EQ(http_error_response(504, kUpstreamTimeoutToken, "x").find("X-Paddock-Rule"),
            std::string::npos);
}

TEST(ProxyAudit, Rfc3339) {
  using namespace std::chrono;
  const system_clock::time_point t{milliseconds(1700000000123)};
  EXPECT_EQ(rfc3339_utc(t), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(rfc3339_utc(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
}

TEST(ProxyAudit, LineHasEveryFieldAndParses) {
  AuditRecord r;
  r.time = std::chrono::system_clock::time_point{std::chrono::milliseconds(1700000000123)};
  r.protocol = Protocol::Connect;
  r.host = "example.com";
  r.port = 443;
  r.address = parse_ip_literal("192.0.2.7");
  r.allowed = true;
  r.rule = "example.com";
  r.reason = "allowed";
  r.bytes_up = 10;
  r.bytes_down = 20;
  r.duration_ms = 30;
  const std::string line = format_audit_line(r);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["time"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(j["protocol"], "connect");
  EXPECT_EQ(j["host"], "example.com");
  EXPECT_EQ(j["port"], 443);
  EXPECT_EQ(j["address"], "192.0.2.7");
  EXPECT_EQ(j["decision"], "allow");
  EXPECT_EQ(j["rule"], "example.com");
  EXPECT_EQ(j["reason"], "allowed");
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_EQ(j["bytes_up"], 10);
  EXPECT_EQ(j["bytes_down"], 20);
  EXPECT_EQ(j["duration_ms"], 30);
}

TEST(ProxyAudit, HostileStringsStayOneValidLine) {
  AuditRecord r;
  r.host = "a\"b\n\xff\xfe";
  r.reason = "line1\nline2";
  r.error = "e";
  const std::string line = format_audit_line(r);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["decision"], "deny");
  EXPECT_TRUE(j["address"].is_null());
  EXPECT_EQ(j["error"], "e");
  EXPECT_EQ(j["reason"], "line1\nline2");
}

TEST(ProxyDenialTally, DeduplicatesAndKeepsOrder) {
  DenialTally t;
  t.add("http", "a.test", 80, "default-deny", "r1");
  t.add("connect", "b.test", 443, "default-deny", "r2");
  t.add("http", "a.test", 80, "default-deny", "r3");
  t.add("http", "a.test", 81, "default-deny", "r4");
  const auto s = t.snapshot();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].host, "a.test");
  EXPECT_EQ(s[0].count, 2u);
  EXPECT_EQ(s[0].reason, "r1");
  EXPECT_EQ(s[1].protocol, "connect");
  EXPECT_EQ(s[2].port, 81);
}

TEST(ProxyDenialTally, BoundedUnderASpray) {
  DenialTally t;
  for (std::size_t i = 0; i < kMaxDistinctDenials + 50; ++i) {
    t.add("http", "h" + std::to_string(i) + ".test", 80, "default-deny", "r");
  }
  const auto s = t.snapshot();
  ASSERT_EQ(s.size(), kMaxDistinctDenials + 1);
  EXPECT_EQ(s.back().host, "*");
  EXPECT_EQ(s.back().count, 50u);
}

// Two socket pairs: [src_peer, src] and [dst, dst_peer]; the channel reads src, writes dst.
struct Pairs {
  int src_peer, src, dst, dst_peer;
  Pairs() {
    int a[2], b[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, a), 0);
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, b), 0);
    src_peer = a[0];
    src = a[1];
    dst = b[0];
    dst_peer = b[1];
  }
  ~Pairs() {
    for (int fd : {src_peer, src, dst, dst_peer}) close(fd);
  }
  std::string drain() {
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = read(dst_peer, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
};

TEST(ProxyRelay, QueuedThenLengthBodyStopsAtTheEnd) {
  Pairs p;
  Channel ch;
  ch.attach(p.src, p.dst);
  ch.queue("HEAD\r\n");
  ch.start_body(BodyMode::Length, 10);
  EXPECT_EQ(ch.feed("0123"), 4u);
  ASSERT_EQ(write(p.src_peer, "456789NEXT", 10), 10);
  EXPECT_EQ(ch.pump(), PumpResult::Done);
  EXPECT_EQ(p.drain(), "HEAD\r\n0123456789");
  EXPECT_EQ(ch.delivered(), 16u);
  char rest[8] = {};
  ASSERT_EQ(read(p.src, rest, sizeof rest), 4);  // the next message stays unread
  EXPECT_EQ(std::string(rest, 4), "NEXT");
}

TEST(ProxyRelay, ChunkedKeepsOverflow) {
  Pairs p;
  Channel ch;
  ch.attach(p.src, p.dst);
  ch.start_body(BodyMode::Chunked);
  EXPECT_EQ(ch.feed("3\r\nab"), 5u);
  const std::string more = "c\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
  ASSERT_EQ(write(p.src_peer, more.data(), more.size()), static_cast<ssize_t>(more.size()));
  EXPECT_EQ(ch.pump(), PumpResult::Done);
  EXPECT_EQ(p.drain(), "3\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(ch.take_overflow(), "GET / HTTP/1.1\r\n");
}

TEST(ProxyRelay, ChunkedErrorIsReported) {
  Pairs p;
  Channel ch;
  ch.attach(p.src, p.dst);
  ch.start_body(BodyMode::Chunked);
  ASSERT_EQ(write(p.src_peer, "zz\r\n", 4), 4);
  EXPECT_EQ(ch.pump(), PumpResult::BadFraming);
  EXPECT_FALSE(ch.error().empty());
}

TEST(ProxyRelay, EarlyEofIsASourceError) {
  Pairs p;
  Channel ch;
  ch.attach(p.src, p.dst);
  ch.start_body(BodyMode::Length, 100);
  ASSERT_EQ(write(p.src_peer, "abc", 3), 3);
  shutdown(p.src_peer, SHUT_WR);
  EXPECT_EQ(ch.pump(), PumpResult::SrcError);
  EXPECT_TRUE(ch.src_ended());
  EXPECT_EQ(p.drain(), "abc");
}

TEST(ProxyRelay, UntilEofMovesEverythingAndBlocksWhenTheDestinationIsFull) {
  Pairs p;
  Channel ch;
  ch.attach(p.src, p.dst);
  ch.start_body(BodyMode::UntilEof);
  EXPECT_EQ(ch.pump(), PumpResult::Blocked);  // nothing to read yet
  const std::string big(3 << 20, 'x');
  std::size_t written = 0, received = 0;
  bool eof_sent = false;
  char buf[65536];
  for (int rounds = 0; rounds < 100000; ++rounds) {
    if (written < big.size()) {
      const ssize_t n = write(p.src_peer, big.data() + written, big.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
    } else if (!eof_sent) {
      shutdown(p.src_peer, SHUT_WR);
      eof_sent = true;
    }
    const PumpResult r = ch.pump(256 * 1024);
    ASSERT_NE(r, PumpResult::SrcError);
    ASSERT_NE(r, PumpResult::DstError);
    ssize_t n;
    while ((n = read(p.dst_peer, buf, sizeof buf)) > 0) received += static_cast<std::size_t>(n);
    if (r == PumpResult::Eof) break;
  }
  EXPECT_EQ(received, big.size());
  EXPECT_EQ(ch.delivered(), big.size());
}

TEST(ProxyRelay, ReadsWaitForReadinessOnceTheSourceWasFoundEmpty) {
  Pairs p;
  Channel ch;
  Readiness ready;
  ch.attach(p.src, p.dst, &ready);
  ch.start_body(BodyMode::UntilEof);
  EXPECT_EQ(ch.pump(), PumpResult::Blocked);
  EXPECT_FALSE(ready.may_read());  // found empty
  ASSERT_EQ(write(p.src_peer, "abc", 3), 3);
  EXPECT_EQ(ch.pump(), PumpResult::Blocked);
  EXPECT_EQ(p.drain(), "");  // not told of the bytes: not looked for
  ready.on_events(EPOLLIN);
  EXPECT_EQ(ch.pump(), PumpResult::Blocked);
  EXPECT_EQ(p.drain(), "abc");
  EXPECT_FALSE(ready.may_read());
}

TEST(ProxyRelay, ShortChunkedReadMarksTheSourceEmpty) {
  Pairs p;
  Channel ch;
  Readiness ready;
  ch.attach(p.src, p.dst, &ready);
  ch.start_body(BodyMode::Chunked);
  ASSERT_EQ(write(p.src_peer, "3\r\nabc\r\n", 8), 8);
  EXPECT_EQ(ch.pump(), PumpResult::Blocked);
  EXPECT_FALSE(ready.may_read());  // one short read took it all; no second read for EAGAIN
  ASSERT_EQ(write(p.src_peer, "0\r\n\r\n", 5), 5);
  ready.on_events(EPOLLIN);
  EXPECT_EQ(ch.pump(), PumpResult::Done);
  EXPECT_EQ(p.drain(), "3\r\nabc\r\n0\r\n\r\n");
}

TEST(ProxyRelay, HangUpThatCameWithTheLastDataIsStillSeen) {
  // The peer's last bytes and its FIN arrive together: one event, and the short read that takes
  // the bytes stops before the EOF. The hang-up in that event keeps the source readable.
  Pairs p;
  Channel ch;
  Readiness ready;
  ch.attach(p.src, p.dst, &ready);
  ch.start_body(BodyMode::Chunked);
  ASSERT_EQ(write(p.src_peer, "3\r\nabc\r\n", 8), 8);
  shutdown(p.src_peer, SHUT_WR);
  ready.on_events(EPOLLIN | EPOLLRDHUP);
  EXPECT_EQ(ch.pump(), PumpResult::SrcError);  // ended before the body did
  EXPECT_TRUE(ch.src_ended());
  EXPECT_TRUE(ready.may_read());
}

TEST(ProxyRelay, LongLengthBodyArrivesWhole) {
  // Several MiB through one channel: the pipe grows on the way, nothing is lost or repeated.
  Pairs p;
  Channel ch;
  ch.attach(p.src, p.dst);
  std::string big(5 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>((i * 131 + i / 4099) & 0xff);
  ch.start_body(BodyMode::Length, big.size());
  std::size_t written = 0;
  std::string received;
  char buf[65536];
  PumpResult r = PumpResult::Blocked;
  for (int rounds = 0; rounds < 100000 && r != PumpResult::Done; ++rounds) {
    if (written < big.size()) {
      const ssize_t n = write(p.src_peer, big.data() + written, big.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
    }
    r = ch.pump();
    ASSERT_TRUE(r == PumpResult::Blocked || r == PumpResult::Yield || r == PumpResult::Done);
    ssize_t n;
    while ((n = read(p.dst_peer, buf, sizeof buf)) > 0)
      received.append(buf, static_cast<size_t>(n));
  }
  ASSERT_EQ(r, PumpResult::Done);
  EXPECT_EQ(received.size(), big.size());
  EXPECT_TRUE(received == big);
}

TEST(ProxyDialer, LoopbackPeers) {
  auto v4 = [](const char* a) {
    sockaddr_storage ss{};
    auto& in = reinterpret_cast<sockaddr_in&>(ss);
    in.sin_family = AF_INET;
    EXPECT_EQ(inet_pton(AF_INET, a, &in.sin_addr), 1);
    return ss;
  };
  auto v6 = [](const char* a) {
    sockaddr_storage ss{};
    auto& in6 = reinterpret_cast<sockaddr_in6&>(ss);
    in6.sin6_family = AF_INET6;
    EXPECT_EQ(inet_pton(AF_INET6, a, &in6.sin6_addr), 1);
    return ss;
  };
  EXPECT_TRUE(is_loopback_peer(v4("127.0.0.1")));
  EXPECT_TRUE(is_loopback_peer(v4("127.3.2.1")));
  EXPECT_FALSE(is_loopback_peer(v4("10.0.0.1")));
  EXPECT_TRUE(is_loopback_peer(v6("::1")));
  EXPECT_TRUE(is_loopback_peer(v6("::ffff:127.0.0.1")));
  EXPECT_FALSE(is_loopback_peer(v6("::ffff:10.0.0.1")));
  EXPECT_FALSE(is_loopback_peer(v6("fe80::1")));
  sockaddr_storage unix_peer{};
  unix_peer.ss_family = AF_UNIX;
  EXPECT_FALSE(is_loopback_peer(unix_peer));
}

TEST(ProxyDialer, UnpacedSocketsUseReno) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(fd.valid());
  ASSERT_TRUE(tune_socket(fd.get()).ok());
  ASSERT_TRUE(prefer_unpaced(fd.get()));
  char name[16] = {};
  socklen_t len = sizeof name;
  ASSERT_EQ(getsockopt(fd.get(), IPPROTO_TCP, TCP_CONGESTION, name, &len), 0);
  EXPECT_STREQ(name, "reno");
}

TEST(ProxyRelay, DestinationGoneIsADestinationError) {
  Pairs p;
  Channel ch;
  ch.attach(p.src, p.dst);
  close(p.dst_peer);
  p.dst_peer = -1;
  ch.queue("hello");
  EXPECT_EQ(ch.pump(), PumpResult::DstError);
}

}  // namespace
}  // namespace paddock::proxy
