#include <gtest/gtest.h>

#include <string>

#include "proxy/parse/http_response.h"

namespace paddock::proxy {
namespace {

ParseStatus parse(std::string_view buf, ResponseHead& out, std::string_view method = "GET") {
  return parse_response_head(buf, method, out);
}

TEST(ProxyResponse, ContentLength) {
  ResponseHead h;
  const std::string buf = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
  const ParseStatus st = parse(buf, h);
  ASSERT_TRUE(st.done()) << st.reason;
  EXPECT_EQ(st.consumed, buf.size() - 5);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.reason, "OK");
  EXPECT_EQ(h.version_minor, 1);
  EXPECT_EQ(h.framing, ResponseFraming::ContentLength);
  EXPECT_EQ(h.content_length, 5u);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_NE(h.find_header("x-a"), nullptr);
  EXPECT_EQ(h.find_header("x-a")->value, "b");
}

TEST(ProxyResponse, ZeroContentLengthHasNoBody) {
  ResponseHead h;
  ASSERT_TRUE(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", h).done());
  EXPECT_EQ(h.framing, ResponseFraming::None);
  EXPECT_TRUE(h.keep_alive);
}

TEST(ProxyResponse, Chunked) {
  ResponseHead h;
  ASSERT_TRUE(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", h).done());
  EXPECT_EQ(h.framing, ResponseFraming::Chunked);
  EXPECT_TRUE(h.keep_alive);
}

TEST(ProxyResponse, TransferEncodingNotEndingInChunkedRunsUntilClose) {
  ResponseHead h;
  ASSERT_TRUE(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", h).done());
  EXPECT_EQ(h.framing, ResponseFraming::UntilClose);
  EXPECT_FALSE(h.keep_alive);
}

TEST(ProxyResponse, TransferEncodingWinsOverContentLengthAndClosesAfter) {
  ResponseHead h;
  ASSERT_TRUE(
      parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n", h)
          .done());
  EXPECT_EQ(h.framing, ResponseFraming::Chunked);
  EXPECT_FALSE(h.keep_alive);
}

TEST(ProxyResponse, NoFramingMeansUntilClose) {
  ResponseHead h;
  ASSERT_TRUE(parse("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", h).done());
  EXPECT_EQ(h.framing, ResponseFraming::UntilClose);
  EXPECT_FALSE(h.keep_alive);
}

TEST(ProxyResponse, NoBodyForHeadAnd1xx204And304) {
  ResponseHead h;
  ASSERT_TRUE(parse("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", h, "HEAD").done());
  EXPECT_EQ(h.framing, ResponseFraming::None);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_TRUE(parse("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", h).done());
  EXPECT_EQ(h.framing, ResponseFraming::None);
  ASSERT_TRUE(parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n", h).done());
  EXPECT_EQ(h.framing, ResponseFraming::None);
  ASSERT_TRUE(parse("HTTP/1.1 100 Continue\r\n\r\n", h).done());
  EXPECT_TRUE(h.interim());
  EXPECT_EQ(h.framing, ResponseFraming::None);
  ASSERT_TRUE(parse("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n", h).done());
  EXPECT_TRUE(h.interim());
}

TEST(ProxyResponse, KeepAliveRules) {
  ResponseHead h;
  ASSERT_TRUE(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\n", h).done());
  EXPECT_FALSE(h.keep_alive);
  ASSERT_TRUE(parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", h).done());
  EXPECT_FALSE(h.keep_alive);
  ASSERT_TRUE(
      parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: Keep-Alive\r\n\r\n", h).done());
  EXPECT_TRUE(h.keep_alive);
}

TEST(ProxyResponse, ContentLengthLists) {
  ResponseHead h;
  ASSERT_TRUE(parse("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", h).done());
  EXPECT_EQ(h.content_length, 5u);
  ASSERT_TRUE(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", h).done());
  EXPECT_EQ(h.content_length, 5u);
  EXPECT_TRUE(parse("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", h).error());
  EXPECT_TRUE(
      parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", h).error());
  EXPECT_TRUE(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", h).error());
  EXPECT_TRUE(parse("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n", h).error());
  EXPECT_TRUE(parse("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", h).error());
  EXPECT_TRUE(parse("HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n", h).error());
}

TEST(ProxyResponse, ErrorsAre502) {
  ResponseHead h;
  const ParseStatus st = parse("HTTP/2 200 OK\r\n\r\n", h);
  ASSERT_TRUE(st.error());
  EXPECT_EQ(st.http_status, 502);
  EXPECT_FALSE(st.reason.empty());
}

TEST(ProxyResponse, MalformedHeads) {
  ResponseHead h;
  for (const char* bad : {
           "HTTP/1.1 20 OK\r\n\r\n",
           "HTTP/1.1 2000 OK\r\n\r\n",
           "HTTP/1.1 099 Low\r\n\r\n",
           "HTTP/1.1  200 OK\r\n\r\n",
           "HTTP/1.1 200OK\r\n\r\n",
           "HTTP/2.0 200 OK\r\n\r\n",
           "HTTP/1.2 200 OK\r\n\r\n",
           "http/1.1 200 OK\r\n\r\n",
           "ICY 200 OK\r\n\r\n",
           "\r\nHTTP/1.1 200 OK\r\n\r\n",
           "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
           "HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n",
           "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
           "HTTP/1.1 200 OK\r\nX: a\r\n continued\r\n\r\n",
           "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
           "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
           "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
           "HTTP/1.1 200 O\x7fK\r\n\r\n",
       }) {
    EXPECT_TRUE(parse(bad, h).error()) << bad;
  }
}

TEST(ProxyResponse, BareLfAccepted) {
  ResponseHead h;
  const std::string buf = "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi";
  const ParseStatus st = parse(buf, h);
  ASSERT_TRUE(st.done()) << st.reason;
  EXPECT_EQ(st.consumed, buf.size() - 2);
  EXPECT_EQ(h.content_length, 2u);
}

TEST(ProxyResponse, EmptyReasonPhrase) {
  ResponseHead h;
  ASSERT_TRUE(parse("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", h).done());
  EXPECT_EQ(h.status, 404);
  EXPECT_EQ(h.reason, "");
  ASSERT_TRUE(parse("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", h).done());
  EXPECT_EQ(h.reason, "");
}

TEST(ProxyResponse, IncrementalWithCursorGivesTheSameAnswer) {
  const std::string full =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc";
  ParseCursor cur;
  ResponseHead h;
  std::string buf;
  for (std::size_t i = 0; i < full.size(); ++i) {
    buf += full[i];
    const ParseStatus st = parse_response_head(buf, "GET", h, &cur);
    ASSERT_FALSE(st.error()) << i;
    if (st.done()) {
      EXPECT_EQ(st.consumed, full.size() - 3);
      EXPECT_EQ(h.content_length, 3u);
      return;
    }
  }
  FAIL() << "never finished";
}

TEST(ProxyResponse, TooLargeHead) {
  ResponseHead h;
  std::string buf = "HTTP/1.1 200 OK\r\n";
  while (buf.size() < kMaxResponseHeadBytes + 10) buf += "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaa\r\n";
  EXPECT_TRUE(parse(buf, h).error());
  std::string many = "HTTP/1.1 200 OK\r\n";
  for (std::size_t i = 0; i <= kMaxHeaderCount; ++i) many += "A: b\r\n";
  many += "\r\n";
  EXPECT_TRUE(parse(many, h).error());
}

TEST(ProxyResponse, SerializeDropsHopByHopAndSetsConnection) {
  ResponseHead h;
  ASSERT_TRUE(parse("HTTP/1.0 200 Fine\r\nConnection: keep-alive, X-Secret\r\nKeep-Alive: t=5\r\n"
                    "X-Secret: 1\r\nTransfer-Encoding: chunked\r\nUpgrade: h2c\r\n"
                    "Proxy-Authenticate: Basic\r\nX-Kept: yes\r\n\r\n",
                    h)
                  .done());
  const std::string out = serialize_response_head(h, false);
  EXPECT_EQ(out,
            "HTTP/1.1 200 Fine\r\nTransfer-Encoding: chunked\r\nX-Kept: yes\r\n"
            "Connection: close\r\n\r\n");
  const std::string ka = serialize_response_head(h, true);
  EXPECT_NE(ka.find("Connection: keep-alive\r\n\r\n"), std::string::npos);
}

TEST(ProxyResponse, SerializeInterimHasNoConnectionHeader) {
  ResponseHead h;
  ASSERT_TRUE(parse("HTTP/1.1 100 Continue\r\n\r\n", h).done());
  EXPECT_EQ(serialize_response_head(h, true), "HTTP/1.1 100 Continue\r\n\r\n");
}

TEST(ProxyResponse, SerializedHeadReparsesToTheSameFraming) {
  ResponseHead h;
  ASSERT_TRUE(parse("HTTP/1.1 201 Created\nContent-Length: 12\nX: y\n\n", h).done());
  const std::string out = serialize_response_head(h, true);
  ResponseHead again;
  const ParseStatus st = parse(out, again);
  ASSERT_TRUE(st.done());
  EXPECT_EQ(st.consumed, out.size());
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.framing, ResponseFraming::ContentLength);
  EXPECT_EQ(again.content_length, 12u);
}

}  // namespace
}  // namespace paddock::proxy
