// Request-head parser of the filtering proxy: forms, Host agreement, framing, smuggling shapes,
// limits and incremental input.
#include <gtest/gtest.h>

#include <string>

#include "proxy/parse/chunked.h"
#include "proxy/parse/http_request.h"

namespace paddock::proxy {
namespace {

using namespace std::string_literals;

ParseStatus parse(std::string_view s, RequestHead& h) {
  return parse_request_head(s, h);
}

RequestHead parse_ok(const std::string& s) {
  RequestHead h;
  ParseStatus st = parse(s, h);
  EXPECT_TRUE(st.done()) << "reason: " << st.reason << "\ninput: " << s;
  if (st.done()) {
    EXPECT_EQ(st.consumed, s.size());
  }
  return h;
}

// Expects an error with this status whose reason contains `what`.
void expect_error(const std::string& s, int status, std::string_view what = {}) {
  RequestHead h;
  ParseStatus st = parse(s, h);
  ASSERT_TRUE(st.error()) << "input: " << s;
  EXPECT_EQ(st.http_status, status) << "reason: " << st.reason << "\ninput: " << s;
  EXPECT_NE(st.reason.find(what), std::string::npos) << "reason: " << st.reason;
  EXPECT_EQ(st.reason.find_first_of("\r\n"), std::string::npos);
}

std::string get(std::string_view target, std::string_view headers,
                std::string_view version = "HTTP/1.1") {
  return "GET " + std::string(target) + " " + std::string(version) + "\r\n" + std::string(headers) +
         "\r\n";
}

// ---- Request line and forms ----

TEST(ProxyHttp, AbsoluteFormGet) {
  RequestHead h = parse_ok(get("http://example.com/index.html?q=1&r=2",
                               "Host: example.com\r\nUser-Agent: curl/7.88\r\nAccept: */*\r\n"));
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "http://example.com/index.html?q=1&r=2");
  EXPECT_EQ(h.version_minor, 1);
  EXPECT_EQ(h.form, TargetForm::Absolute);
  EXPECT_EQ(h.host, "example.com");
  EXPECT_FALSE(h.host_is_ipv6);
  EXPECT_EQ(h.port, 80);
  EXPECT_FALSE(h.port_explicit);
  EXPECT_EQ(h.path, "/index.html?q=1&r=2");
  EXPECT_EQ(h.framing, BodyFraming::None);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(h.headers.size(), 3u);
  EXPECT_EQ(h.headers[1].name, "User-Agent");
  EXPECT_EQ(h.headers[1].value, "curl/7.88");
  ASSERT_NE(h.find_header("user-agent"), nullptr);
  EXPECT_EQ(h.find_header("ACCEPT")->value, "*/*");
  EXPECT_EQ(h.find_header("Cookie"), nullptr);
}

TEST(ProxyHttp, AbsoluteFormHostIsLowercasedAndPortParsed) {
  RequestHead h = parse_ok(get("HTTP://Example.COM:8080/A", "Host: EXAMPLE.com:8080\r\n"));
  EXPECT_EQ(h.host, "example.com");
  EXPECT_EQ(h.port, 8080);
  EXPECT_TRUE(h.port_explicit);
  EXPECT_EQ(h.path, "/A");  // the path keeps its case
  EXPECT_EQ(h.host_header_value(), "example.com:8080");
}

TEST(ProxyHttp, AbsoluteFormEmptyPathAndQueryOnly) {
  EXPECT_EQ(parse_ok(get("http://example.com", "Host: example.com\r\n")).path, "/");
  EXPECT_EQ(parse_ok(get("http://example.com?x=1", "Host: example.com\r\n")).path, "/?x=1");
  EXPECT_EQ(parse_ok(get("http://example.com/?x=/y", "Host: example.com\r\n")).path, "/?x=/y");
}

TEST(ProxyHttp, OriginFormTakesHostFromHostHeader) {
  RequestHead h = parse_ok(get("/a/b?c", "Host: Internal.Example:81\r\n"));
  EXPECT_EQ(h.form, TargetForm::Origin);
  EXPECT_EQ(h.host, "internal.example");
  EXPECT_EQ(h.port, 81);
  EXPECT_EQ(h.path, "/a/b?c");
  expect_error(get("/a", "", "HTTP/1.0"), 400, "no host");
}

TEST(ProxyHttp, AsteriskFormOnlyForOptions) {
  RequestHead h = parse_ok("OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n");
  EXPECT_EQ(h.form, TargetForm::Asterisk);
  EXPECT_EQ(h.path, "*");
  expect_error(get("*", "Host: example.com\r\n"), 400, "OPTIONS");
}

TEST(ProxyHttp, Connect) {
  RequestHead h = parse_ok("CONNECT Example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
  EXPECT_EQ(h.form, TargetForm::Authority);
  EXPECT_EQ(h.host, "example.com");
  EXPECT_EQ(h.port, 443);
  EXPECT_TRUE(h.port_explicit);
  EXPECT_TRUE(h.path.empty());
  EXPECT_EQ(h.framing, BodyFraming::None);
  // Some clients leave the port out of Host for CONNECT.
  EXPECT_EQ(parse_ok("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n").port, 443);
  // HTTP/1.0 clients may omit Host.
  EXPECT_EQ(parse_ok("CONNECT example.com:443 HTTP/1.0\r\n\r\n").host, "example.com");
  // "Content-Length: 0" is harmless.
  parse_ok("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n");
}

TEST(ProxyHttp, ConnectErrors) {
  expect_error("CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n", 400, "host:port");
  expect_error("CONNECT example.com: HTTP/1.1\r\nHost: example.com\r\n\r\n", 400, "port");
  expect_error("CONNECT example.com:0 HTTP/1.1\r\nHost: example.com\r\n\r\n", 400, "port");
  expect_error("CONNECT example.com:65536 HTTP/1.1\r\nHost: example.com\r\n\r\n", 400, "port");
  expect_error("CONNECT example.com:44x HTTP/1.1\r\nHost: example.com\r\n\r\n", 400, "port");
  expect_error("CONNECT http://example.com:443/ HTTP/1.1\r\nHost: example.com\r\n\r\n", 400);
  expect_error("CONNECT u:p@example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", 400,
               "userinfo");
  expect_error("CONNECT example.com:443 HTTP/1.1\r\nHost: evil.com:443\r\n\r\n", 400,
               "Host header does not match request target");
  expect_error("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:8443\r\n\r\n", 400,
               "does not match");
  expect_error("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\n",
               400, "body");
  expect_error(
      "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n",
      400, "CONNECT");
  expect_error("CONNECT example.com:443 HTTP/1.1\r\n\r\n", 400, "missing Host");
}

TEST(ProxyHttp, HttpsAbsoluteFormMustUseConnect) {
  expect_error(get("https://example.com/", "Host: example.com\r\n"), 400, "use CONNECT");
  expect_error(get("HTTPS://example.com/", "Host: example.com\r\n"), 400, "use CONNECT");
}

TEST(ProxyHttp, OtherSchemesAndMalformedTargets) {
  expect_error(get("ftp://example.com/", "Host: example.com\r\n"), 400, "scheme");
  expect_error(get("example.com/", "Host: example.com\r\n"), 400);
  expect_error(get("://example.com/", "Host: example.com\r\n"), 400);
  expect_error(get("1http://example.com/", "Host: example.com\r\n"), 400, "scheme");
  expect_error(get("http:///path", "Host: example.com\r\n"), 400, "empty host");
  expect_error(get("http://example.com/#frag", "Host: example.com\r\n"), 400, "fragment");
  expect_error(get("http://exa\x80mple.com/", "Host: example.com\r\n"), 400);
  expect_error(get("http://example.com/\x7f", "Host: example.com\r\n"), 400);
  expect_error(get("http://exa%6dple.com/", "Host: example.com\r\n"), 400, "character in host");
  expect_error(get("http://" + std::string(256, 'a') + "/", "Host: a\r\n"), 400, "too long");
}

TEST(ProxyHttp, UserinfoRefused) {
  expect_error(get("http://user:pass@example.com/", "Host: example.com\r\n"), 400, "userinfo");
  expect_error(get("http://user@example.com/", "Host: example.com\r\n"), 400, "userinfo");
  // The classic confusion: which host is it?
  expect_error(get("http://example.com@evil.com/", "Host: evil.com\r\n"), 400, "userinfo");
  expect_error(get("http://example.com:80@evil.com/", "Host: evil.com\r\n"), 400, "userinfo");
  // '@' after the authority is only part of the path.
  EXPECT_EQ(parse_ok(get("http://example.com/a@b", "Host: example.com\r\n")).path, "/a@b");
  expect_error(get("/", "Host: user@example.com\r\n"), 400, "userinfo");
}

TEST(ProxyHttp, Ipv6Literals) {
  RequestHead h = parse_ok(get("http://[2001:DB8::1]:8080/x", "Host: [2001:db8::1]:8080\r\n"));
  EXPECT_EQ(h.host, "2001:db8::1");
  EXPECT_TRUE(h.host_is_ipv6);
  EXPECT_EQ(h.port, 8080);
  EXPECT_EQ(h.path, "/x");
  EXPECT_EQ(h.host_header_value(), "[2001:db8::1]:8080");
  // Canonical comparison: different spellings of one address agree.
  h = parse_ok(get("http://[2001:db8:0:0::1]/", "Host: [2001:DB8::0:1]\r\n"));
  EXPECT_EQ(h.host, "2001:db8::1");
  EXPECT_EQ(h.port, 80);
  EXPECT_EQ(h.host_header_value(), "[2001:db8::1]");
  h = parse_ok("CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n");
  EXPECT_EQ(h.host, "::1");
  EXPECT_TRUE(h.host_is_ipv6);
  h = parse_ok(get("http://[::ffff:127.0.0.1]/", "Host: [::ffff:127.0.0.1]\r\n"));
  EXPECT_EQ(h.host, "::ffff:127.0.0.1");

  expect_error(get("http://2001:db8::1/", "Host: x\r\n"), 400, "IPv6 needs brackets");
  expect_error(get("http://[2001:db8::1/", "Host: x\r\n"), 400, "unterminated");
  expect_error(get("http://[zz::1]/", "Host: x\r\n"), 400, "invalid IPv6");
  expect_error(get("http://[]/", "Host: x\r\n"), 400, "invalid IPv6");
  expect_error(get("http://[1.2.3.4]/", "Host: x\r\n"), 400, "invalid IPv6");
  expect_error(get("http://[v1.fe]/", "Host: x\r\n"), 400, "invalid IPv6");
  expect_error(get("http://[fe80::1%25eth0]/", "Host: [fe80::1%25eth0]\r\n"), 400, "zone");
  expect_error(get("http://[::1]x/", "Host: [::1]\r\n"), 400, "after host");
  expect_error(get("http://[::1]/", "Host: [::2]\r\n"), 400, "does not match");
  expect_error(get("http://[::1]/", "Host: ::1\r\n"), 400);
}

TEST(ProxyHttp, HttpVersions) {
  RequestHead h = parse_ok(get("http://example.com/", "", "HTTP/1.0"));
  EXPECT_EQ(h.version_minor, 0);
  EXPECT_FALSE(h.keep_alive);
  expect_error(get("/", "Host: a\r\n", "HTTP/2.0"), 505);
  expect_error(get("/", "Host: a\r\n", "HTTP/0.9"), 505);
  expect_error(get("/", "Host: a\r\n", "HTTP/1.2"), 505);
  expect_error(get("/", "Host: a\r\n", "HTTP/3.1"), 505);
  expect_error(get("/", "Host: a\r\n", "HTTP/1.10"), 400, "version");
  expect_error(get("/", "Host: a\r\n", "http/1.1"), 400, "version");
  expect_error(get("/", "Host: a\r\n", "HTTP/1"), 400, "version");
  expect_error(get("/", "Host: a\r\n", "HTTP/1.1 "), 400);
  expect_error("GET /\r\nHost: a\r\n\r\n", 400, "request line");
  expect_error("GET\r\nHost: a\r\n\r\n", 400, "request line");
}

TEST(ProxyHttp, RequestLineSyntax) {
  expect_error("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "empty request target");
  expect_error(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "method");
  expect_error("G(ET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "method");
  expect_error("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  expect_error("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400, "request target");
  expect_error("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  // Methods are case-sensitive tokens; unknown ones are fine for the parser.
  EXPECT_EQ(parse_ok("PURGE /x HTTP/1.1\r\nHost: a\r\n\r\n").method, "PURGE");
  EXPECT_EQ(parse_ok("connect /x HTTP/1.1\r\nHost: a\r\n\r\n").form, TargetForm::Origin);
}

// ---- Line endings and header syntax ----

TEST(ProxyHttp, BareLfRefused) {
  expect_error("GET / HTTP/1.1\nHost: a\n\n", 400, "bare LF");
  expect_error("GET / HTTP/1.1\r\nHost: a\n\r\n", 400, "bare LF");
  expect_error("GET / HTTP/1.1\r\nHost: a\r\n\n", 400, "bare LF");
  expect_error("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bare LF");
  // Refused as soon as it is seen, before the head is complete.
  expect_error("GET / HTTP/1.1\n", 400, "bare LF");
}

TEST(ProxyHttp, BareCrRefused) {
  expect_error("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", 400);
  expect_error("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n\r\n", 400);
  expect_error("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(ProxyHttp, ObsFoldRefused) {
  expect_error(get("/", "Host: a\r\nX-A: one\r\n two\r\n"), 400, "obs-fold");
  expect_error(get("/", "Host: a\r\nX-A: one\r\n\ttwo\r\n"), 400, "obs-fold");
  expect_error(get("/", " Host: a\r\n"), 400, "obs-fold");
  // A folded Transfer-Encoding is the classic smuggling shape.
  expect_error(get("/", "Host: a\r\nTransfer-Encoding:\r\n chunked\r\n"), 400, "obs-fold");
}

TEST(ProxyHttp, HeaderNameSyntax) {
  expect_error(get("/", "Host: a\r\nTransfer-Encoding : chunked\r\n"), 400, "header name");
  expect_error(get("/", "Host: a\r\nContent-Length\t: 5\r\n"), 400, "header name");
  expect_error(get("/", "Host: a\r\nNoColon\r\n"), 400, "without ':'");
  expect_error(get("/", "Host: a\r\n: value\r\n"), 400, "header name");
  expect_error(get("/", "Host: a\r\nX(y): 1\r\n"), 400, "header name");
  expect_error(get("/", "Host: a\r\nX\x80: 1\r\n"), 400, "header name");
}

TEST(ProxyHttp, HeaderValues) {
  RequestHead h =
      parse_ok(get("/", "Host: a\r\nX-A:   spaced\tvalue \t \r\nX-B:\r\nX-C: caf\xc3\xa9\r\n"));
  EXPECT_EQ(h.find_header("X-A")->value, "spaced\tvalue");
  EXPECT_EQ(h.find_header("X-B")->value, "");
  EXPECT_EQ(h.find_header("X-C")->value, "caf\xc3\xa9");
  expect_error(get("/", "Host: a\r\nX: a\0b\r\n"s), 400, "control character");
  expect_error(get("/", "Host: a\r\nX: a\x01b\r\n"), 400, "control character");
  expect_error(get("/", "Host: a\r\nX: a\x7f\r\n"), 400, "control character");
  expect_error(get("/", "Host: a\r\nX: a\x1b[2J\r\n"), 400, "control character");
}

// ---- Host header ----

TEST(ProxyHttp, HostHeaderRequiredForHttp11) {
  expect_error(get("http://example.com/", ""), 400, "missing Host");
  expect_error(get("http://example.com/", "Host-Name: example.com\r\n"), 400, "missing Host");
}

TEST(ProxyHttp, HostHeaderMustMatchAbsoluteTarget) {
  expect_error(get("http://example.com/", "Host: evil.com\r\n"), 400,
               "Host header does not match request target");
  expect_error(get("http://example.com/", "Host: example.com:8080\r\n"), 400, "does not match");
  expect_error(get("http://example.com:8080/", "Host: example.com\r\n"), 400, "does not match");
  expect_error(get("http://example.com/", "Host: example.com.\r\n"), 400, "does not match");
  expect_error(get("http://example.com/", "Host: sub.example.com\r\n"), 400, "does not match");
  expect_error(get("http://example.com/", "Host: 93.184.216.34\r\n"), 400, "does not match");
  // HTTP/1.0 may omit Host, but one that is present must still agree.
  expect_error(get("http://example.com/", "Host: evil.com\r\n", "HTTP/1.0"), 400, "does not match");
}

TEST(ProxyHttp, HostHeaderDefaultPortNormalisation) {
  parse_ok(get("http://example.com:80/", "Host: example.com\r\n"));
  parse_ok(get("http://example.com/", "Host: example.com:80\r\n"));
  parse_ok(get("http://EXAMPLE.com/", "Host: example.COM\r\n"));
  parse_ok(get("http://example.com:00080/", "Host: example.com\r\n"));
}

TEST(ProxyHttp, HostHeaderErrors) {
  expect_error(get("http://example.com/", "Host: example.com\r\nHost: example.com\r\n"), 400,
               "multiple Host");
  expect_error(get("http://example.com/", "Host: example.com\r\nhost: evil.com\r\n"), 400,
               "multiple Host");
  expect_error(get("http://example.com/", "Host:\r\n"), 400, "Host header");
  expect_error(get("http://example.com/", "Host: example.com/\r\n"), 400, "Host header");
  expect_error(get("http://example.com/", "Host: example.com, evil.com\r\n"), 400, "Host header");
  expect_error(get("http://example.com/", "Host: example.com:\r\n"), 400, "Host header");
}

// ---- Body framing and smuggling shapes ----

TEST(ProxyHttp, ContentLength) {
  RequestHead h = parse_ok(get("/", "Host: a\r\nContent-Length: 10\r\n"));
  EXPECT_EQ(h.framing, BodyFraming::ContentLength);
  EXPECT_EQ(h.content_length, 10u);
  h = parse_ok(get("/", "Host: a\r\nContent-Length: 0\r\n"));
  EXPECT_EQ(h.framing, BodyFraming::None);
  h = parse_ok(get("/", "Host: a\r\nContent-Length: 007\r\n"));
  EXPECT_EQ(h.content_length, 7u);
  h = parse_ok(get("/", "Host: a\r\ncontent-length:  123456789012345678 \r\n"));
  EXPECT_EQ(h.content_length, 123456789012345678u);
}

TEST(ProxyHttp, ContentLengthStrict) {
  expect_error(get("/", "Host: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n"), 400,
               "multiple Content-Length");
  expect_error(get("/", "Host: a\r\nContent-Length: 5\r\ncontent-length: 6\r\n"), 400,
               "multiple Content-Length");
  expect_error(get("/", "Host: a\r\nContent-Length: 5, 5\r\n"), 400, "single value");
  expect_error(get("/", "Host: a\r\nContent-Length: 5,6\r\n"), 400, "single value");
  expect_error(get("/", "Host: a\r\nContent-Length: +5\r\n"), 400, "invalid Content-Length");
  expect_error(get("/", "Host: a\r\nContent-Length: -1\r\n"), 400, "invalid Content-Length");
  expect_error(get("/", "Host: a\r\nContent-Length: 0x10\r\n"), 400, "invalid Content-Length");
  expect_error(get("/", "Host: a\r\nContent-Length: 5 5\r\n"), 400, "invalid Content-Length");
  expect_error(get("/", "Host: a\r\nContent-Length: 5e3\r\n"), 400, "invalid Content-Length");
  expect_error(get("/", "Host: a\r\nContent-Length:\r\n"), 400, "empty Content-Length");
  expect_error(get("/", "Host: a\r\nContent-Length: 1234567890123456789\r\n"), 400, "too large");
  expect_error(get("/", "Host: a\r\nContent-Length: 99999999999999999999999\r\n"), 400,
               "too large");
}

TEST(ProxyHttp, TransferEncodingChunked) {
  RequestHead h = parse_ok(get("/", "Host: a\r\nTransfer-Encoding: chunked\r\n"));
  EXPECT_EQ(h.framing, BodyFraming::Chunked);
  EXPECT_EQ(parse_ok(get("/", "Host: a\r\nTransfer-Encoding: Chunked\r\n")).framing,
            BodyFraming::Chunked);
  EXPECT_EQ(parse_ok(get("/", "Host: a\r\ntransfer-encoding:\t chunked \r\n")).framing,
            BodyFraming::Chunked);
}

TEST(ProxyHttp, TransferEncodingStrict) {
  const std::string te = "Host: a\r\nTransfer-Encoding: ";
  expect_error(get("/", te + "chunked?\r\n"), 400, "Transfer-Encoding");
  expect_error(get("/", te + "xchunked\r\n"), 501, "only chunked");
  expect_error(get("/", te + "chunkedx\r\n"), 501, "only chunked");
  expect_error(get("/", te + "chunked\x01\r\n"), 400, "control character");
  expect_error(get("/", te + "\"chunked\"\r\n"), 400, "Transfer-Encoding");
  expect_error(get("/", te + "chunked;q=1\r\n"), 400, "Transfer-Encoding");
  expect_error(get("/", te + "gzip\r\n"), 501, "only chunked");
  expect_error(get("/", te + "identity\r\n"), 501, "only chunked");
  expect_error(get("/", te + "gzip, chunked\r\n"), 501, "only chunked");
  expect_error(get("/", te + "chunked, gzip\r\n"), 400, "final");
  expect_error(get("/", te + "chunked, chunked\r\n"), 400, "final");
  expect_error(get("/", te + "chunked,\r\n"), 400, "Transfer-Encoding");
  expect_error(get("/", te + ", chunked\r\n"), 400, "Transfer-Encoding");
  expect_error(get("/", te + "\r\n"), 400, "Transfer-Encoding");
  // Split over two headers: the codings combine ("gzip, chunked").
  expect_error(get("/", te + "gzip\r\nTransfer-Encoding: chunked\r\n"), 501);
  expect_error(get("/", te + "chunked\r\nTransfer-Encoding: chunked\r\n"), 400, "final");
  // HTTP/1.0 has no chunked coding: faulty framing.
  expect_error(get("http://a/", te + "chunked\r\n", "HTTP/1.0"), 400, "HTTP/1.0");
}

TEST(ProxyHttp, ContentLengthAndTransferEncodingIsSmuggling) {
  expect_error(get("/", "Host: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n"), 400,
               "smuggling");
  expect_error(get("/", "Host: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n"), 400,
               "smuggling");
  expect_error(get("/", "Host: a\r\ntransfer-encoding: chunked\r\ncontent-length: 0\r\n"), 400,
               "smuggling");
  expect_error(get("/", "Host: a\r\nTransfer-Encoding: xchunked\r\nContent-Length: 4\r\n"), 400,
               "smuggling");
}

TEST(ProxyHttp, ConnectionMayNotNominateFramingHeaders) {
  expect_error(get("/", "Host: a\r\nConnection: Content-Length\r\nContent-Length: 4\r\n"), 400,
               "end-to-end");
  expect_error(get("/", "Host: a\r\nConnection: close, transfer-encoding\r\n"), 400, "end-to-end");
  expect_error(get("/", "Host: a\r\nConnection: host\r\n"), 400, "end-to-end");
  expect_error(get("/", "Host: a\r\nConnection: close,\r\n"), 400, "Connection");
  expect_error(get("/", "Host: a\r\nConnection: a b\r\n"), 400, "Connection");
}

// ---- Keep-alive ----

TEST(ProxyHttp, KeepAlive) {
  EXPECT_TRUE(parse_ok(get("/", "Host: a\r\n")).keep_alive);
  EXPECT_FALSE(parse_ok(get("/", "Host: a\r\nConnection: close\r\n")).keep_alive);
  EXPECT_FALSE(parse_ok(get("/", "Host: a\r\nConnection: Upgrade, CLOSE\r\n")).keep_alive);
  EXPECT_FALSE(
      parse_ok(get("/", "Host: a\r\nConnection: keep-alive\r\nConnection: close\r\n")).keep_alive);
  EXPECT_TRUE(parse_ok(get("/", "Host: a\r\nConnection: keep-alive\r\n")).keep_alive);
  EXPECT_FALSE(parse_ok(get("/", "Host: a\r\n", "HTTP/1.0")).keep_alive);
  EXPECT_TRUE(parse_ok(get("/", "Host: a\r\nConnection: Keep-Alive\r\n", "HTTP/1.0")).keep_alive);
  EXPECT_FALSE(
      parse_ok(get("/", "Host: a\r\nConnection: keep-alive, close\r\n", "HTTP/1.0")).keep_alive);
  // Proxy-Connection is not a standard header and is ignored.
  EXPECT_FALSE(
      parse_ok(get("/", "Host: a\r\nProxy-Connection: keep-alive\r\n", "HTTP/1.0")).keep_alive);
  EXPECT_TRUE(parse_ok(get("/", "Host: a\r\nProxy-Connection: close\r\n")).keep_alive);
}

// ---- Limits ----

TEST(ProxyHttp, RequestLineLimit) {
  std::string path = "/" + std::string(kMaxRequestLineBytes - 16, 'a');  // line just under 8 KiB
  std::string ok = get(path, "Host: a\r\n");
  ASSERT_LE(ok.find("\r\n"), kMaxRequestLineBytes);
  parse_ok(ok);
  std::string longp = "/" + std::string(kMaxRequestLineBytes, 'a');
  expect_error(get(longp, "Host: a\r\n"), 414);
  // Refused before the line is complete.
  expect_error("GET " + longp, 414);
  RequestHead h;
  EXPECT_TRUE(parse("GET " + std::string(kMaxRequestLineBytes - 4, 'a'), h).need_more());
  EXPECT_TRUE(parse("GET " + std::string(kMaxRequestLineBytes - 4, 'a') + "\r", h).need_more());
  EXPECT_TRUE(parse("GET " + std::string(kMaxRequestLineBytes - 3, 'a'), h).error());
}

TEST(ProxyHttp, HeaderCountLimit) {
  std::string headers = "Host: a\r\n";
  for (std::size_t i = 1; i < kMaxHeaderCount; ++i) headers += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(parse_ok(get("/", headers)).headers.size(), kMaxHeaderCount);
  expect_error(get("/", headers + "X-Last: v\r\n"), 431, "too many");
}

TEST(ProxyHttp, HeadSizeLimit) {
  // One large header that keeps the head just within 64 KiB.
  std::string prefix = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ";
  std::size_t fill = kMaxRequestHeadBytes - prefix.size() - 4;
  std::string ok = prefix + std::string(fill, 'b') + "\r\n\r\n";
  ASSERT_EQ(ok.size(), kMaxRequestHeadBytes);
  parse_ok(ok);
  std::string big = prefix + std::string(fill + 1, 'b') + "\r\n\r\n";
  expect_error(big, 431, "too large");
  // Incomplete but already over the limit.
  expect_error(prefix + std::string(kMaxRequestHeadBytes, 'b'), 431, "too large");
  RequestHead h;
  EXPECT_TRUE(parse(prefix + std::string(fill, 'b'), h).need_more());
}

// ---- Incremental input ----

TEST(ProxyHttp, ByteByByte) {
  const std::string req =
      "POST http://example.com:8080/upload HTTP/1.1\r\nHost: example.com:8080\r\n"
      "Content-Length: 5\r\nConnection: keep-alive\r\n\r\n";
  const std::string wire = req + "hello";
  for (bool use_cursor : {false, true}) {
    ParseCursor cursor;
    RequestHead h;
    for (std::size_t n = 0; n < req.size(); ++n) {
      ParseStatus st = parse_request_head(std::string_view(wire).substr(0, n), h,
                                          use_cursor ? &cursor : nullptr);
      ASSERT_TRUE(st.need_more()) << "at " << n << ": " << st.reason;
    }
    for (std::size_t n = req.size(); n <= wire.size(); ++n) {
      ParseStatus st = parse_request_head(std::string_view(wire).substr(0, n), h,
                                          use_cursor ? &cursor : nullptr);
      ASSERT_TRUE(st.done()) << st.reason;
      EXPECT_EQ(st.consumed, req.size());
      cursor = {};
    }
    EXPECT_EQ(h.framing, BodyFraming::ContentLength);
    EXPECT_EQ(h.content_length, 5u);
    EXPECT_EQ(h.port, 8080);
  }
}

TEST(ProxyHttp, ByteByByteErrorsAreStable) {
  // Feeding a bad request one byte at a time never reports Done, and ends in the same error as
  // the whole input.
  const std::string bad =
      "GET http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n";
  RequestHead h;
  ParseCursor cursor;
  ParseStatus last;
  for (std::size_t n = 0; n <= bad.size(); ++n) {
    last = parse_request_head(std::string_view(bad).substr(0, n), h, &cursor);
    ASSERT_FALSE(last.done());
    if (last.error()) break;
  }
  ASSERT_TRUE(last.error());
  EXPECT_NE(last.reason.find("multiple Content-Length"), std::string::npos);
}

TEST(ProxyHttp, PipelinedRequests) {
  const std::string one = "GET http://a/1 HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string two = "GET http://b/2 HTTP/1.1\r\nHost: b\r\n\r\n";
  std::string wire = one + two;
  RequestHead h;
  ParseStatus st = parse(wire, h);
  ASSERT_TRUE(st.done());
  EXPECT_EQ(st.consumed, one.size());
  EXPECT_EQ(h.host, "a");
  st = parse(std::string_view(wire).substr(st.consumed), h);
  ASSERT_TRUE(st.done());
  EXPECT_EQ(h.host, "b");
  EXPECT_EQ(h.path, "/2");
}

TEST(ProxyHttp, LeadingEmptyLinesSkipped) {
  std::string req = "\r\n\r\nGET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n";
  RequestHead h;
  ParseStatus st = parse(req, h);
  ASSERT_TRUE(st.done()) << st.reason;
  EXPECT_EQ(st.consumed, req.size());
  std::string many;
  for (int i = 0; i < 9; ++i) many += "\r\n";
  expect_error(many + "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "empty lines");
  EXPECT_TRUE(parse("\r\n", h).need_more());
  EXPECT_TRUE(parse("\r", h).need_more());
  EXPECT_TRUE(parse("", h).need_more());
}

TEST(ProxyHttp, ChunkedBodyFollowsHead) {
  const std::string head =
      "POST http://a/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string body = "4\r\nwiki\r\n0\r\n\r\n";
  const std::string next = "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string wire = head + body + next;
  RequestHead h;
  ParseStatus st = parse(wire, h);
  ASSERT_TRUE(st.done());
  ASSERT_EQ(h.framing, BodyFraming::Chunked);
  ChunkedFramer f;
  ChunkedFramer::Step s = f.feed(std::string_view(wire).substr(st.consumed));
  EXPECT_TRUE(s.done);
  EXPECT_EQ(s.consumed, body.size());
  EXPECT_TRUE(parse(std::string_view(wire).substr(st.consumed + s.consumed), h).done());
}

// ---- Hop-by-hop removal and serialisation ----

TEST(ProxyHttp, RemoveHopByHop) {
  std::vector<Header> hs = {
      {"Connection", "keep-alive, X-Secret, Content-Length"},
      {"Keep-Alive", "timeout=5"},
      {"Proxy-Connection", "keep-alive"},
      {"Proxy-Authorization", "Basic Zm9vOmJhcg=="},
      {"TE", "trailers"},
      {"Trailer", "X-Checksum"},
      {"Upgrade", "websocket"},
      {"x-secret", "1"},
      {"Transfer-Encoding", "chunked"},
      {"Content-Length", "4"},
      {"Host", "a"},
      {"Accept", "*/*"},
  };
  remove_hop_by_hop(hs);
  std::vector<std::string> names;
  for (const Header& h : hs) names.push_back(h.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"Transfer-Encoding", "Content-Length", "Host", "Accept"}));
  EXPECT_TRUE(is_hop_by_hop("PROXY-AUTHORIZATION", {}));
  EXPECT_TRUE(is_hop_by_hop("X-Foo", {"x-foo"}));
  EXPECT_FALSE(is_hop_by_hop("X-Foo", {}));
  EXPECT_FALSE(is_hop_by_hop("Transfer-Encoding", {"transfer-encoding"}));
}

TEST(ProxyHttp, HeaderTokens) {
  std::vector<Header> hs = {{"Connection", " Keep-Alive ,, Upgrade"}, {"connection", "X-A"}};
  EXPECT_EQ(header_tokens(hs, "Connection"),
            (std::vector<std::string>{"keep-alive", "upgrade", "x-a"}));
  EXPECT_TRUE(header_tokens(hs, "Upgrade").empty());
}

TEST(ProxyHttp, SerializeForUpstream) {
  RequestHead h = parse_ok(
      "GET http://Example.com/a/b?c=d HTTP/1.1\r\nUser-Agent: curl/7.88\r\nHost: example.com\r\n"
      "Proxy-Authorization: Basic eDp5\r\nProxy-Connection: Keep-Alive\r\n"
      "Connection: X-Hop\r\nX-Hop: 1\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(serialize_request_head(h, true),
            "GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/7.88\r\n"
            "Accept: */*\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(serialize_request_head(h, false),
            "GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/7.88\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n");
}

TEST(ProxyHttp, SerializeKeepsFramingAndSetsHost) {
  RequestHead h = parse_ok(
      "POST http://[2001:db8::1]:8080 HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n"
      "Transfer-Encoding: chunked\r\nTE: trailers\r\n\r\n");
  std::string up = serialize_request_head(h, true);
  EXPECT_EQ(up,
            "POST / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\nTransfer-Encoding: chunked\r\n"
            "Connection: keep-alive\r\n\r\n");
  // What we send parses back to the same destination.
  RequestHead back = parse_ok(up);
  EXPECT_EQ(back.form, TargetForm::Origin);
  EXPECT_EQ(back.host, h.host);
  EXPECT_EQ(back.port, h.port);
  EXPECT_EQ(back.framing, BodyFraming::Chunked);
}

TEST(ProxyHttp, SerializeHttp10WithoutHostAddsHost) {
  RequestHead h = parse_ok("GET http://example.com:81/x HTTP/1.0\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(serialize_request_head(h, h.keep_alive),
            "GET /x HTTP/1.1\r\nHost: example.com:81\r\nAccept: */*\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace paddock::proxy
