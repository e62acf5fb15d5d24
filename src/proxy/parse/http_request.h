#pragma once
// Parser of an HTTP/1.1 request head (request line + header section) received by the filtering
// proxy from an untrusted client. Pure: no sockets, no I/O, no exceptions; any byte string is a
// valid input and yields NeedMore, Done or Error.
//
// Incremental use: the event loop appends received bytes to one buffer and calls
// parse_request_head(buffer, head) after every read. NeedMore means "read more and call again with
// the whole buffer"; pass a ParseCursor to avoid rescanning bytes already looked at. Done reports
// how many bytes the head took (the body, if any, starts right after). Error carries a reason and
// the status code to answer with; the connection must then be closed.
//
// Strictness (we are a security boundary in front of servers that parse differently):
//  - Every line ends in CRLF. A bare LF or a bare CR anywhere in the head is an error (400): a
//    lenient parser here next to a strict one upstream (or the reverse) is a smuggling vector.
//  - obs-fold (a header line starting with SP or HT) is an error (400).
//  - Exactly one SP between the three parts of the request line; no whitespace before ':'.
//  - Header values may not contain NUL, CR, LF or other control characters except HT.
//  - Transfer-Encoding: only the single coding "chunked" (501 for any other coding, 400 for
//    syntax errors). Content-Length: digits only, one header, no comma list (even "5, 5").
//    Both present: 400. Transfer-Encoding in an HTTP/1.0 request: 400.
//  - Connection may not nominate Host, Content-Length or Transfer-Encoding (a hop-by-hop removal
//    of those would change how upstream frames the message).
//  - Leading empty lines (CRLF) before the request line are skipped (RFC 9112 section 2.2).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace paddock::proxy {

inline constexpr std::size_t kMaxRequestHeadBytes = 64 * 1024;
inline constexpr std::size_t kMaxRequestLineBytes = 8 * 1024;
inline constexpr std::size_t kMaxHeaderCount = 200;

enum class TargetForm {
  Origin,     // "/path?query"; host and port come from the Host header
  Absolute,   // "http://host[:port]/path?query" (what a forward proxy normally receives)
  Authority,  // "host:port", CONNECT only
  Asterisk,   // "*", OPTIONS only
};

enum class BodyFraming {
  None,           // no body (requests without Content-Length or Transfer-Encoding)
  ContentLength,  // exactly content_length bytes follow
  Chunked,        // Transfer-Encoding: chunked; use ChunkedFramer (chunked.h) to find the end
};

struct Header {
  std::string name;   // as received (case preserved)
  std::string value;  // leading/trailing SP/HT removed
};

struct RequestHead {
  std::string method;     // case-sensitive token, e.g. "GET", "CONNECT"
  std::string target;     // request-target exactly as received
  int version_minor = 1;  // HTTP/1.<version_minor>: 0 or 1
  std::vector<Header> headers;

  TargetForm form = TargetForm::Origin;
  std::string host;  // lower-case; IPv6 literal without brackets
  bool host_is_ipv6 = false;
  std::uint16_t port = 80;
  bool port_explicit = false;  // the target (or Host header for origin-form) named a port
  std::string path;            // what to send upstream in origin-form: "/path?query" ("/" if empty)

  BodyFraming framing = BodyFraming::None;
  std::uint64_t content_length = 0;  // for ContentLength
  bool keep_alive = false;  // the client wants the connection kept open (see wants_keep_alive)

  // "host", "host:port" or "[v6]:port": the authority for a Host header; the port is omitted
  // when it is 80.
  std::string host_header_value() const;
  // First header with this name (case-insensitive), or nullptr.
  const Header* find_header(std::string_view name) const;
};

enum class ParseState { NeedMore, Done, Error };

struct ParseStatus {
  ParseState state = ParseState::NeedMore;
  std::size_t consumed = 0;  // Done: bytes of the head, including the final empty line
  int http_status = 0;       // Error: 400, 414, 431, 501 or 505
  std::string reason;        // Error: one line, safe to put in X-Proxy-Error

  bool need_more() const { return state == ParseState::NeedMore; }
  bool done() const { return state == ParseState::Done; }
  bool error() const { return state == ParseState::Error; }
};

// Optional state to keep between calls on a growing buffer so that each byte is scanned for the
// end of the head once (otherwise a client trickling one byte per read costs quadratic time).
// Reset it (= {}) after each Done or when the buffer is discarded.
struct ParseCursor {
  std::size_t scanned = 0;
};

// Parses the request head at the start of buf. On Done, out holds the request; on NeedMore or
// Error, out is unspecified.
ParseStatus parse_request_head(std::string_view buf, RequestHead& out,
                               ParseCursor* cursor = nullptr);

// Whether the client asked for a persistent connection: HTTP/1.1 unless "Connection: close";
// HTTP/1.0 only with "Connection: keep-alive". Proxy-Connection is ignored. parse_request_head
// stores this in RequestHead::keep_alive.
bool wants_keep_alive(const RequestHead& head);

// Hop-by-hop headers are for this connection only and must not be forwarded: Connection,
// Keep-Alive, Proxy-Connection, Proxy-Authorization, TE, Trailer, Upgrade and every header named
// in Connection. Transfer-Encoding is kept on purpose: the proxy relays a chunked body byte for
// byte, so upstream must see the same framing. Host, Content-Length and Transfer-Encoding are
// never removed because Connection named them (the parser refuses such requests anyway).
bool is_hop_by_hop(std::string_view name, const std::vector<std::string>& connection_tokens);
void remove_hop_by_hop(std::vector<Header>& headers);

// The request head to send upstream: "<method> <path> HTTP/1.1", then "Host: <host_header_value>"
// first, then the received headers minus hop-by-hop ones and any Host header, then
// "Connection: keep-alive" or "Connection: close", then the empty line. Meant for non-CONNECT
// requests; the request-target is head.path (origin-form), or "*" for the asterisk form.
std::string serialize_request_head(const RequestHead& head, bool keep_alive);

// Lower-case comma-separated tokens of all headers called `name` (empty elements dropped).
std::vector<std::string> header_tokens(const std::vector<Header>& headers, std::string_view name);

}  // namespace paddock::proxy
