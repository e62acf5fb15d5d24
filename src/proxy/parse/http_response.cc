#include "proxy/parse/http_response.h"

#include <algorithm>
#include <cstring>

#include "base/ascii.h"

namespace paddock::proxy {
namespace {

constexpr std::size_t kMaxContentLengthDigits = 18;  // < 2^63: no overflow

bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}

bool is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(c); });
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ParseStatus fail(std::string reason) {
  ParseStatus st;
  st.state = ParseState::Error;
  st.http_status = 502;
  st.reason = "upstream response: " + std::move(reason);
  return st;
}

// Text (reason phrase, header value): HT, SP, VCHAR and obs-text; no other control character.
bool is_field_text(std::string_view s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

ParseStatus parse_status_line(std::string_view line, ResponseHead& out) {
  // HTTP/1.x SP 3DIGIT [SP reason]
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/" || !is_digit(line[5]) || line[6] != '.' ||
      !is_digit(line[7]) || line[8] != ' ') {
    return fail("malformed status line");
  }
  if (line[5] != '1' || (line[7] != '0' && line[7] != '1')) {
    return fail("unsupported HTTP version");
  }
  out.version_minor = line[7] - '0';
  if (!is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11])) {
    return fail("malformed status code");
  }
  out.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (out.status < 100) return fail("status code out of range");
  std::string_view rest = line.substr(12);
  if (!rest.empty()) {
    if (rest.front() != ' ') return fail("malformed status line");
    rest.remove_prefix(1);
  }
  if (!is_field_text(rest)) return fail("control character in reason phrase");
  out.reason = std::string(rest);
  return {};
}

ParseStatus parse_header_line(std::string_view line, ResponseHead& out) {
  if (line.front() == ' ' || line.front() == '\t') return fail("obsolete line folding (obs-fold)");
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return fail("header line without ':'");
  const std::string_view name = line.substr(0, colon);
  if (!is_token(name)) return fail("invalid header name");
  const std::string_view value = trim_ows(line.substr(colon + 1));
  if (!is_field_text(value)) return fail("control character in header value");
  if (out.headers.size() >= kMaxHeaderCount) return fail("too many header fields");
  out.headers.push_back(Header{std::string(name), std::string(value)});
  return {};
}

// Content-Length: one value, or a list of identical values (RFC 9110 section 8.6).
ParseStatus parse_content_length(const ResponseHead& head, bool& present, std::uint64_t& value) {
  present = false;
  for (const Header& h : head.headers) {
    if (!equal_ascii_ci(h.name, "Content-Length")) continue;
    std::string_view v = h.value;
    std::size_t pos = 0;
    while (true) {
      const std::size_t comma = v.find(',', pos);
      const std::string_view elem =
          trim_ows(v.substr(pos, comma == std::string_view::npos ? v.npos : comma - pos));
      if (elem.empty() || elem.size() > kMaxContentLengthDigits) {
        return fail("invalid Content-Length");
      }
      std::uint64_t n = 0;
      for (unsigned char c : elem) {
        if (!is_digit(c)) return fail("invalid Content-Length");
        n = n * 10 + (c - '0');
      }
      if (present && n != value) return fail("conflicting Content-Length values");
      present = true;
      value = n;
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
  }
  return {};
}

ParseStatus decide_framing(std::string_view request_method, ResponseHead& out) {
  const std::vector<std::string> connection = header_tokens(out.headers, "Connection");
  const bool close = std::find(connection.begin(), connection.end(), "close") != connection.end();
  const bool keep =
      std::find(connection.begin(), connection.end(), "keep-alive") != connection.end();
  out.keep_alive = !close && (out.version_minor >= 1 || keep);

  bool has_cl = false;
  std::uint64_t cl = 0;
  if (ParseStatus st = parse_content_length(out, has_cl, cl); st.error()) return st;
  const std::vector<std::string> codings = header_tokens(out.headers, "Transfer-Encoding");
  bool has_te = false;
  for (const Header& h : out.headers)
    has_te = has_te || equal_ascii_ci(h.name, "Transfer-Encoding");

  if (request_method == "HEAD" || out.interim() || out.status == 204 || out.status == 304) {
    out.framing = ResponseFraming::None;
    return {};
  }
  if (has_te) {
    // Both present: Transfer-Encoding wins and the connection must not be reused
    // (RFC 9112 section 6.3, item 3).
    if (has_cl) out.keep_alive = false;
    if (!codings.empty() && codings.back() == "chunked") {
      out.framing = ResponseFraming::Chunked;
    } else {
      out.framing = ResponseFraming::UntilClose;
      out.keep_alive = false;
    }
    return {};
  }
  if (has_cl) {
    out.framing = cl == 0 ? ResponseFraming::None : ResponseFraming::ContentLength;
    out.content_length = cl;
    return {};
  }
  out.framing = ResponseFraming::UntilClose;
  out.keep_alive = false;
  return {};
}

}  // namespace

const Header* ResponseHead::find_header(std::string_view name) const {
  for (const Header& h : headers) {
    if (equal_ascii_ci(h.name, name)) return &h;
  }
  return nullptr;
}

ParseStatus parse_response_head(std::string_view buf, std::string_view request_method,
                                ResponseHead& out, ParseCursor* cursor) {
  ParseCursor local;
  ParseCursor& cur = cursor != nullptr ? *cursor : local;
  if (cur.scanned > buf.size()) cur.scanned = 0;  // a cursor from another buffer: start over

  // The head ends at the first empty line: LF followed by LF or by CRLF. cur.scanned is where the
  // search for the next LF resumes.
  const std::size_t window = std::min(buf.size(), kMaxResponseHeadBytes);
  std::size_t head_end = 0;
  std::size_t pos = cur.scanned;
  while (true) {
    const void* p = pos < window ? std::memchr(buf.data() + pos, '\n', window - pos) : nullptr;
    if (p == nullptr) {
      cur.scanned = pos;
      if (buf.size() >= kMaxResponseHeadBytes) return fail("head too large");
      return {};
    }
    const std::size_t nl = static_cast<const char*>(p) - buf.data();
    if (nl + 1 < buf.size() && buf[nl + 1] == '\n') {
      head_end = nl + 2;
      break;
    }
    if (nl + 2 < buf.size() && buf[nl + 1] == '\r' && buf[nl + 2] == '\n') {
      head_end = nl + 3;
      break;
    }
    if (nl + 1 >= buf.size() || (nl + 2 >= buf.size() && buf[nl + 1] == '\r')) {
      cur.scanned = nl;  // cannot tell yet whether an empty line follows
      if (buf.size() >= kMaxResponseHeadBytes) return fail("head too large");
      return {};
    }
    pos = nl + 1;
  }
  if (head_end > kMaxResponseHeadBytes) return fail("head too large");
  cur.scanned = 0;

  out = ResponseHead{};
  std::size_t line_start = 0;
  bool first = true;
  while (true) {
    const std::size_t nl = buf.find('\n', line_start);
    std::string_view line = buf.substr(line_start, nl - line_start);
    line_start = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (first) return fail("empty status line");
      break;
    }
    if (line.find('\r') != std::string_view::npos) return fail("bare CR in head");
    ParseStatus st = first ? parse_status_line(line, out) : parse_header_line(line, out);
    if (st.error()) return st;
    first = false;
  }
  if (ParseStatus st = decide_framing(request_method, out); st.error()) return st;

  ParseStatus done;
  done.state = ParseState::Done;
  done.consumed = head_end;
  return done;
}

std::string serialize_response_head(const ResponseHead& head, bool keep_alive) {
  const std::vector<std::string> tokens = header_tokens(head.headers, "Connection");
  std::string r;
  r.reserve(256);
  r += "HTTP/1.1 ";
  r += std::to_string(head.status);
  r += ' ';
  r += head.reason;
  r += "\r\n";
  for (const Header& h : head.headers) {
    if (is_hop_by_hop(h.name, tokens) || equal_ascii_ci(h.name, "Proxy-Authenticate")) continue;
    r += h.name;
    r += ": ";
    r += h.value;
    r += "\r\n";
  }
  if (!head.interim()) r += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  r += "\r\n";
  return r;
}

}  // namespace paddock::proxy
