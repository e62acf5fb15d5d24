// Chunked body framer: where a chunked body ends, whatever way its bytes arrive.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/parse/chunked.h"

namespace paddock::proxy {
namespace {

using namespace std::string_literals;

struct Outcome {
  std::size_t consumed = 0;
  bool done = false;
  bool error = false;
  std::string reason;
};

// Feeds `s` in pieces of at most `piece` bytes, stopping at done or error.
Outcome feed_in_pieces(std::string_view s, std::size_t piece) {
  ChunkedFramer f;
  Outcome o;
  for (std::size_t pos = 0; pos < s.size() && !o.done && !o.error;) {
    std::size_t n = std::min(piece, s.size() - pos);
    ChunkedFramer::Step st = f.feed(s.substr(pos, n));
    EXPECT_LE(st.consumed, n);
    o.consumed += st.consumed;
    o.done = st.done;
    o.error = st.error;
    o.reason = st.reason;
    if (!st.done && !st.error) {
      EXPECT_EQ(st.consumed, n) << "a framer that is not finished consumes everything";
    }
    pos += n;
  }
  EXPECT_EQ(f.done(), o.done);
  EXPECT_EQ(f.failed(), o.error);
  if (o.done) {
    EXPECT_EQ(f.total_consumed(), o.consumed);
  }
  return o;
}

Outcome feed_all(std::string_view s) {
  return feed_in_pieces(s, s.size() + 1);
}

void expect_body(const std::string& body, const std::string& after = {}) {
  for (std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7},
                            body.size() + after.size() + 1}) {
    Outcome o = feed_in_pieces(body + after, piece);
    EXPECT_TRUE(o.done) << "piece " << piece << ": " << o.reason;
    EXPECT_FALSE(o.error);
    EXPECT_EQ(o.consumed, body.size()) << "piece " << piece;
  }
}

void expect_error(const std::string& body, std::string_view what = {}) {
  for (std::size_t piece : {std::size_t{1}, std::size_t{5}, body.size() + 1}) {
    Outcome o = feed_in_pieces(body, piece);
    EXPECT_TRUE(o.error) << "piece " << piece << " body: " << body;
    EXPECT_FALSE(o.done);
    EXPECT_NE(o.reason.find(what), std::string::npos) << o.reason;
  }
}

void expect_incomplete(const std::string& body) {
  Outcome o = feed_all(body);
  EXPECT_FALSE(o.done) << body;
  EXPECT_FALSE(o.error) << o.reason;
  EXPECT_EQ(o.consumed, body.size());
}

TEST(ProxyChunked, SimpleBody) {
  expect_body("5\r\nhello\r\n0\r\n\r\n");
  expect_body("0\r\n\r\n");
  expect_body("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  expect_body("a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n");
  expect_body("000\r\n\r\n");
  expect_body("0005\r\nhello\r\n0\r\n\r\n");
}

TEST(ProxyChunked, StopsAtEndOfBody) {
  expect_body("4\r\nwiki\r\n0\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  expect_body("0\r\n\r\n", "0\r\n\r\n");
}

TEST(ProxyChunked, DataMayContainAnything) {
  expect_body("8\r\n\r\n0\r\n\r\n\0\r\n0\r\n\r\n"s);
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  expect_body("100\r\n" + binary + "\r\n0\r\n\r\n");
}

TEST(ProxyChunked, CountsBytes) {
  ChunkedFramer f;
  ChunkedFramer::Step s = f.feed("5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\n\r\nrest");
  EXPECT_TRUE(s.done);
  EXPECT_EQ(f.data_bytes(), 8u);
  EXPECT_EQ(f.total_consumed(), s.consumed);
  EXPECT_EQ(s.consumed, 27u);
}

TEST(ProxyChunked, LargeChunkInPieces) {
  ChunkedFramer f;
  ChunkedFramer::Step s = f.feed("100000\r\n");  // 1 MiB
  EXPECT_EQ(s.consumed, 8u);
  std::string piece(4096, 'x');
  for (int i = 0; i < 256; ++i) {
    s = f.feed(piece);
    ASSERT_EQ(s.consumed, piece.size());
    ASSERT_FALSE(s.done || s.error);
  }
  s = f.feed("\r\n0\r\n\r\n");
  EXPECT_TRUE(s.done);
  EXPECT_EQ(f.data_bytes(), 1u << 20);
}

TEST(ProxyChunked, ChunkSizeLimits) {
  // 16 hex digits is the most; the largest value does not overflow (the body is just long).
  expect_incomplete("ffffffffffffffff\r\nabc");
  expect_incomplete("0000000000000001\r\n");
  expect_error("10000000000000000\r\n", "too long");
  expect_error("00000000000000000\r\n", "too long");
}

TEST(ProxyChunked, ChunkSizeSyntax) {
  expect_error("\r\n", "invalid chunk size");
  expect_error(";ext\r\n", "invalid chunk size");
  expect_error(" 5\r\nhello\r\n0\r\n\r\n", "invalid chunk size");
  expect_error("+5\r\nhello\r\n0\r\n\r\n", "invalid chunk size");
  expect_error("-5\r\nhello\r\n0\r\n\r\n", "invalid chunk size");
  expect_error("0x5\r\nhello\r\n0\r\n\r\n", "invalid chunk size");
  expect_error("5g\r\nhello\r\n0\r\n\r\n", "invalid chunk size");
  expect_error("5 \r\nhello\r\n0\r\n\r\n", "chunk size line");
  expect_error("5 x\r\nhello\r\n0\r\n\r\n", "chunk size line");
}

TEST(ProxyChunked, Extensions) {
  expect_body("5;name=value\r\nhello\r\n0;last\r\n\r\n");
  expect_body("5 ; name = \"quoted value\"\r\nhello\r\n0\r\n\r\n");
  expect_body("5\t;a;b=c\r\nhello\r\n0\r\n\r\n");
  expect_error("5;a\x01\r\nhello\r\n0\r\n\r\n", "chunk extension");
  expect_error("5;a\0b\r\nhello\r\n0\r\n\r\n"s, "chunk extension");
  expect_error("5;a\nhello\r\n0\r\n\r\n", "chunk extension");
  expect_error("5;" + std::string(kMaxChunkExtensionBytes, 'a') + "\r\nhello\r\n0\r\n\r\n",
               "too long");
  expect_body("5;" + std::string(kMaxChunkExtensionBytes - 1, 'a') + "\r\nhello\r\n0\r\n\r\n");
  // The bound is per chunk line, not cumulative.
  std::string many;
  for (int i = 0; i < 8; ++i) {
    many += "1;" + std::string(kMaxChunkExtensionBytes - 1, 'e') + "\r\nx\r\n";
  }
  expect_body(many + "0\r\n\r\n");
}

TEST(ProxyChunked, StrictCrlf) {
  expect_error("5\nhello\r\n0\r\n\r\n", "CRLF");
  expect_error("5\rhello\r\n0\r\n\r\n", "CRLF");
  expect_error("5\r\nhello\n0\r\n\r\n", "CRLF");
  expect_error("5\r\nhelloX\r\n0\r\n\r\n", "CRLF");
  expect_error("5\r\nhello\r0\r\n\r\n", "CRLF");
  expect_error("5\r\nhello\r\n0\n\r\n", "CRLF");
  expect_error("0\r\n\n");
  expect_error("0\r\n\r\r", "CRLF");
  // A smuggling shape: the declared size is shorter than the data that "looks" like a chunk.
  expect_error("3\r\nhello\r\n0\r\n\r\n", "CRLF");
}

TEST(ProxyChunked, Trailers) {
  expect_body("0\r\nX-Checksum: abc\r\n\r\n");
  expect_body("5\r\nhello\r\n0\r\nA: 1\r\nB:2\r\nC:\r\n\r\n", "next");
  expect_error("0\r\n folded\r\n\r\n", "obs-fold");
  expect_error("0\r\n\tfolded\r\n\r\n", "obs-fold");
  expect_error("0\r\nNoColon\r\n\r\n", "trailer field name");
  expect_error("0\r\n: empty-name\r\n\r\n", "trailer field name");
  expect_error("0\r\nX Y: 1\r\n\r\n", "trailer field name");
  expect_error("0\r\nX: a\x01\r\n\r\n", "trailer field");
  expect_error("0\r\nX: a\nb\r\n\r\n", "trailer field");
  expect_error("0\r\nX: a\r\r\n\r\n", "CRLF");
  expect_error("0\r\nX: " + std::string(kMaxTrailerBytes, 'v') + "\r\n\r\n", "too large");
  std::string lots;
  for (int i = 0; i < 2000; ++i) lots += "X-" + std::to_string(i) + ": value\r\n";
  expect_error("0\r\n" + lots + "\r\n", "too large");
}

TEST(ProxyChunked, Incomplete) {
  expect_incomplete("");
  expect_incomplete("5");
  expect_incomplete("5\r");
  expect_incomplete("5\r\nhel");
  expect_incomplete("5\r\nhello");
  expect_incomplete("5\r\nhello\r");
  expect_incomplete("5\r\nhello\r\n0\r\n");
  expect_incomplete("5\r\nhello\r\n0\r\nX: 1\r\n");
  expect_incomplete("5\r\nhello\r\n0\r\n\r");
}

TEST(ProxyChunked, FinalStateIsSticky) {
  ChunkedFramer f;
  ChunkedFramer::Step s = f.feed("0\r\n\r\n");
  EXPECT_TRUE(s.done);
  s = f.feed("5\r\nhello\r\n");
  EXPECT_TRUE(s.done);
  EXPECT_EQ(s.consumed, 0u);

  ChunkedFramer g;
  s = g.feed("zz");
  EXPECT_TRUE(s.error);
  EXPECT_EQ(s.consumed, 0u);
  s = g.feed("0\r\n\r\n");
  EXPECT_TRUE(s.error);
  EXPECT_EQ(s.consumed, 0u);
  EXPECT_FALSE(s.reason.empty());
  EXPECT_EQ(g.error_reason(), s.reason);
}

TEST(ProxyChunked, EverySplitAgrees) {
  const std::vector<std::string> inputs = {
      "5;e=1\r\nhello\r\n0\r\nT: v\r\n\r\nNEXT",
      "1\r\nx\r\n2\r\nyy\r\n0\r\n\r\n",
      "5\r\nhello\r\n0\r\nX: a\x01\r\n\r\n",
      "5\r\nhelloX",
  };
  for (const std::string& in : inputs) {
    Outcome whole = feed_all(in);
    for (std::size_t cut = 0; cut <= in.size(); ++cut) {
      ChunkedFramer f;
      ChunkedFramer::Step a = f.feed(std::string_view(in).substr(0, cut));
      std::size_t consumed = a.consumed;
      if (!a.done && !a.error) {
        ChunkedFramer::Step b = f.feed(std::string_view(in).substr(cut));
        consumed += b.consumed;
        a = b;
      }
      EXPECT_EQ(a.done, whole.done) << in << " cut " << cut;
      EXPECT_EQ(a.error, whole.error) << in << " cut " << cut;
      if (whole.done) {
        EXPECT_EQ(consumed, whole.consumed) << in << " cut " << cut;
      }
    }
  }
}

}  // namespace
}  // namespace paddock::proxy
