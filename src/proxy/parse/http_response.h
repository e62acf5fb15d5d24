#pragma once
// Parser of an HTTP/1.x response head (status line + header section) received by the forward
// proxy from an upstream server, and the head the proxy sends on to its client. Pure: no sockets,
// no exceptions; any byte string is a valid input and yields NeedMore, Done or Error.
//
// The proxy needs the response head for one reason: to know where the response ends, so the next
// request on a keep-alive client connection starts at the right byte (RFC 9112 section 6.3):
//   - no body: responses to HEAD, 1xx, 204 and 304, whatever their headers say;
//   - Transfer-Encoding whose final coding is chunked: chunked (use ChunkedFramer);
//     any other Transfer-Encoding: the body runs until the server closes;
//   - Content-Length: that many bytes ("5, 5" accepted, differing values refused);
//   - otherwise: until the server closes.
// The proxy re-serialises the head (serialize_response_head), so what the client reads is always
// CRLF-terminated with our own Connection header, whatever the server sent.
//
// Leniency, on purpose narrower than for requests: a bare LF line ending is accepted (some servers
// still send them, and the head is re-serialised anyway); a bare CR, obs-fold, control characters
// in values, malformed or conflicting Content-Length, versions other than HTTP/1.0 and HTTP/1.1
// are errors (the proxy answers its client 502).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/parse/http_request.h"

namespace paddock::proxy {

inline constexpr std::size_t kMaxResponseHeadBytes = 64 * 1024;

enum class ResponseFraming {
  None,           // no body follows the head
  ContentLength,  // exactly content_length bytes follow
  Chunked,        // chunked body; ChunkedFramer finds its end
  UntilClose,     // the body ends when the server closes the connection
};

struct ResponseHead {
  int version_minor = 1;  // HTTP/1.<version_minor>
  int status = 0;         // 100..999
  std::string reason;     // reason phrase, may be empty
  std::vector<Header> headers;

  ResponseFraming framing = ResponseFraming::UntilClose;
  std::uint64_t content_length = 0;  // for ContentLength
  bool keep_alive = false;           // the server keeps the connection open after this response

  bool interim() const { return status >= 100 && status < 200; }
  const Header* find_header(std::string_view name) const;
};

// Parses the response head at the start of buf, answering a request made with request_method
// ("HEAD" means no body). ParseStatus::http_status is 502 on Error. On Done, out holds the head
// and consumed is its length; on NeedMore or Error, out is unspecified. The cursor works as for
// parse_request_head.
ParseStatus parse_response_head(std::string_view buf, std::string_view request_method,
                                ResponseHead& out, ParseCursor* cursor = nullptr);

// The head the proxy sends to its client: "HTTP/1.1 <status> <reason>", the received headers
// minus hop-by-hop ones (Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade, and
// those Connection names), then "Connection: keep-alive" or "Connection: close" (not for interim
// 1xx responses), then the empty line. Transfer-Encoding and Content-Length are kept: the body
// is relayed byte for byte.
std::string serialize_response_head(const ResponseHead& head, bool keep_alive);

}  // namespace paddock::proxy
