#include "proxy/parse/http_request.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace paddock::proxy {
namespace {

constexpr std::size_t kMaxLeadingEmptyLines = 8;
constexpr std::size_t kMaxHostLength = 255;
constexpr std::size_t kMaxContentLengthDigits = 18;  // < 2^63, no overflow possible

bool is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string to_lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = lower(c);
  return r;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ParseStatus fail(int status, std::string reason) {
  ParseStatus st;
  st.state = ParseState::Error;
  st.http_status = status;
  st.reason = std::move(reason);
  return st;
}

// Host and optional port of an authority ("host", "host:port", "[v6]", "[v6]:port").
struct Authority {
  std::string host;  // lower-case; canonical IPv6 text without brackets
  bool ipv6 = false;
  std::uint16_t port = 0;
  bool has_port = false;
};

// Returns an empty string on success, else the reason.
std::string parse_port(std::string_view s, std::uint16_t& port) {
  if (s.empty()) return "empty port";
  if (s.size() > 5) return "invalid port";
  unsigned v = 0;
  for (unsigned char c : s) {
    if (!is_digit(c)) return "invalid port";
    v = v * 10 + (c - '0');
  }
  if (v == 0 || v > 65535) return "port out of range";
  port = static_cast<std::uint16_t>(v);
  return {};
}

std::string parse_authority(std::string_view s, Authority& out) {
  out = Authority{};
  if (s.empty()) return "empty host";
  if (s.find('@') != std::string_view::npos) return "userinfo in URL refused";
  std::string_view host;
  std::string_view rest;  // ":port" or empty
  if (s.front() == '[') {
    std::size_t close = s.find(']');
    if (close == std::string_view::npos) return "unterminated IPv6 literal";
    std::string_view lit = s.substr(1, close - 1);
    rest = s.substr(close + 1);
    if (lit.find('%') != std::string_view::npos) return "IPv6 zone identifiers are not allowed";
    if (lit.empty() || lit.size() >= INET6_ADDRSTRLEN) return "invalid IPv6 literal";
    char text[INET6_ADDRSTRLEN] = {};
    std::memcpy(text, lit.data(), lit.size());
    unsigned char addr[16];
    if (inet_pton(AF_INET6, text, addr) != 1) return "invalid IPv6 literal";
    char canon[INET6_ADDRSTRLEN] = {};
    if (inet_ntop(AF_INET6, addr, canon, sizeof canon) == nullptr) return "invalid IPv6 literal";
    out.host = canon;
    out.ipv6 = true;
  } else {
    std::size_t colon = s.find(':');
    if (colon != std::string_view::npos && s.find(':', colon + 1) != std::string_view::npos) {
      return "invalid host (IPv6 needs brackets)";
    }
    host = s.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : s.substr(colon);
    if (host.empty()) return "empty host";
    if (host.size() > kMaxHostLength) return "host name too long";
    for (unsigned char c : host) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
                c == '.' || c == '_';
      if (!ok) {
        if (c == ':' || c == '[' || c == ']') return "invalid host (IPv6 needs brackets)";
        return "invalid character in host";
      }
    }
    out.host = to_lower(host);
  }
  if (!rest.empty()) {
    if (rest.front() != ':') return "invalid characters after host";
    if (std::string why = parse_port(rest.substr(1), out.port); !why.empty()) return why;
    out.has_port = true;
  }
  return {};
}

// Splits a comma-separated list; trims OWS around elements. Returns false on an empty element.
bool split_list(std::string_view v, std::vector<std::string_view>& out) {
  std::size_t pos = 0;
  while (true) {
    std::size_t comma = v.find(',', pos);
    std::string_view elem = trim_ows(
        v.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    if (elem.empty()) return false;
    out.push_back(elem);
    if (comma == std::string_view::npos) return true;
    pos = comma + 1;
  }
}

ParseStatus parse_request_line(std::string_view line, RequestHead& out) {
  std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return fail(400, "malformed request line");
  std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return fail(400, "malformed request line (no HTTP version)");
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return fail(400, "invalid method");
  if (target.empty()) return fail(400, "empty request target");
  for (unsigned char c : target) {
    if (c <= 0x20 || c >= 0x7f) return fail(400, "invalid character in request target");
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !is_digit(version[5]) ||
      version[6] != '.' || !is_digit(version[7])) {
    return fail(400, "malformed HTTP version");
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    return fail(505, "HTTP version not supported (only HTTP/1.0 and HTTP/1.1)");
  }
  out.method = std::string(method);
  out.target = std::string(target);
  out.version_minor = version[7] - '0';
  return {};
}

ParseStatus parse_header_line(std::string_view line, RequestHead& out) {
  if (line.front() == ' ' || line.front() == '\t') {
    return fail(400, "obsolete line folding (obs-fold) is not allowed");
  }
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return fail(400, "header line without ':'");
  std::string_view name = line.substr(0, colon);
  if (!is_token(name)) return fail(400, "invalid header name");
  std::string_view value = trim_ows(line.substr(colon + 1));
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return fail(400, "control character in header value");
    }
  }
  if (out.headers.size() >= kMaxHeaderCount) return fail(431, "too many header fields");
  out.headers.push_back(Header{std::string(name), std::string(value)});
  return {};
}

// Target form, host, port and path from the request-target.
ParseStatus parse_target(RequestHead& out) {
  std::string_view t = out.target;
  if (t.find('#') != std::string_view::npos) return fail(400, "fragment in request target");
  if (out.method == "CONNECT") {
    out.form = TargetForm::Authority;
    Authority a;
    if (std::string why = parse_authority(t, a); !why.empty()) {
      return fail(400, "CONNECT target: " + why);
    }
    if (!a.has_port) return fail(400, "CONNECT target needs host:port");
    out.host = a.host;
    out.host_is_ipv6 = a.ipv6;
    out.port = a.port;
    out.port_explicit = true;
    out.path.clear();
    return {};
  }
  if (t.front() == '/') {
    out.form = TargetForm::Origin;
    out.path = std::string(t);
    return {};
  }
  if (t == "*") {
    if (out.method != "OPTIONS") return fail(400, "asterisk-form is only for OPTIONS");
    out.form = TargetForm::Asterisk;
    out.path = "*";
    return {};
  }
  out.form = TargetForm::Absolute;
  std::size_t sep = t.find("://");
  if (sep == std::string_view::npos || sep == 0) return fail(400, "malformed request target");
  std::string_view scheme = t.substr(0, sep);
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    unsigned char c = scheme[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!(alpha || (i > 0 && (is_digit(c) || c == '+' || c == '-' || c == '.')))) {
      return fail(400, "malformed URL scheme");
    }
  }
  if (iequals(scheme, "https")) return fail(400, "https:// in absolute-form: use CONNECT");
  if (!iequals(scheme, "http")) return fail(400, "unsupported URL scheme (only http)");
  std::string_view rest = t.substr(sep + 3);
  std::size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  std::string_view path = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  Authority a;
  if (std::string why = parse_authority(authority, a); !why.empty()) {
    return fail(400, "request target: " + why);
  }
  out.host = a.host;
  out.host_is_ipv6 = a.ipv6;
  out.port = a.has_port ? a.port : 80;
  out.port_explicit = a.has_port;
  if (path.empty()) {
    out.path = "/";
  } else if (path.front() == '?') {
    out.path = "/" + std::string(path);
  } else {
    out.path = std::string(path);
  }
  return {};
}

ParseStatus check_host_header(RequestHead& out) {
  const Header* host_header = nullptr;
  for (const Header& h : out.headers) {
    if (!iequals(h.name, "Host")) continue;
    if (host_header != nullptr) return fail(400, "multiple Host headers");
    host_header = &h;
  }
  if (host_header == nullptr) {
    if (out.version_minor == 1) return fail(400, "missing Host header");
    if (out.form == TargetForm::Origin || out.form == TargetForm::Asterisk) {
      return fail(400, "request has no host (no Host header, no absolute-form target)");
    }
    return {};
  }
  Authority a;
  if (std::string why = parse_authority(host_header->value, a); !why.empty()) {
    return fail(400, "Host header: " + why);
  }
  switch (out.form) {
    case TargetForm::Origin:
    case TargetForm::Asterisk:
      out.host = a.host;
      out.host_is_ipv6 = a.ipv6;
      out.port = a.has_port ? a.port : 80;
      out.port_explicit = a.has_port;
      return {};
    case TargetForm::Absolute:
      if (a.host != out.host || a.ipv6 != out.host_is_ipv6 ||
          (a.has_port ? a.port : 80) != out.port) {
        return fail(400, "Host header does not match request target");
      }
      return {};
    case TargetForm::Authority:
      // Clients differ on whether they put the port in Host for CONNECT; when they do, it must
      // be the target's.
      if (a.host != out.host || a.ipv6 != out.host_is_ipv6 || (a.has_port && a.port != out.port)) {
        return fail(400, "Host header does not match request target");
      }
      return {};
  }
  return {};
}

ParseStatus check_framing(RequestHead& out) {
  const Header* cl = nullptr;
  std::vector<std::string_view> codings;
  bool has_te = false;
  for (const Header& h : out.headers) {
    if (iequals(h.name, "Content-Length")) {
      if (cl != nullptr) return fail(400, "multiple Content-Length headers");
      cl = &h;
    } else if (iequals(h.name, "Transfer-Encoding")) {
      has_te = true;
      if (!split_list(h.value, codings)) return fail(400, "malformed Transfer-Encoding");
    }
  }
  if (has_te && cl != nullptr) {
    return fail(400, "both Transfer-Encoding and Content-Length (request smuggling)");
  }
  if (has_te) {
    if (out.version_minor == 0) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (out.form == TargetForm::Authority) return fail(400, "Transfer-Encoding on CONNECT");
    for (std::size_t i = 0; i < codings.size(); ++i) {
      if (!is_token(codings[i])) return fail(400, "malformed Transfer-Encoding");
      if (iequals(codings[i], "chunked") && i + 1 != codings.size()) {
        return fail(400, "chunked is not the final transfer coding");
      }
    }
    if (codings.size() != 1 || !iequals(codings[0], "chunked")) {
      return fail(501, "unsupported transfer coding (only chunked)");
    }
    out.framing = BodyFraming::Chunked;
    return {};
  }
  if (cl != nullptr) {
    std::string_view v = cl->value;
    if (v.empty()) return fail(400, "empty Content-Length");
    if (v.find(',') != std::string_view::npos) {
      return fail(400, "Content-Length must be a single value");
    }
    if (v.size() > kMaxContentLengthDigits) return fail(400, "Content-Length too large");
    std::uint64_t n = 0;
    for (unsigned char c : v) {
      if (!is_digit(c)) return fail(400, "invalid Content-Length");
      n = n * 10 + (c - '0');
    }
    if (out.form == TargetForm::Authority && n != 0) return fail(400, "CONNECT with a body");
    out.framing = n == 0 ? BodyFraming::None : BodyFraming::ContentLength;
    out.content_length = n;
    return {};
  }
  out.framing = BodyFraming::None;
  return {};
}

ParseStatus check_connection(const RequestHead& out) {
  for (const Header& h : out.headers) {
    if (!iequals(h.name, "Connection")) continue;
    std::vector<std::string_view> tokens;
    if (!split_list(h.value, tokens)) return fail(400, "malformed Connection header");
    for (std::string_view t : tokens) {
      if (!is_token(t)) return fail(400, "malformed Connection header");
      if (iequals(t, "host") || iequals(t, "content-length") || iequals(t, "transfer-encoding")) {
        return fail(400, "Connection header names an end-to-end header");
      }
    }
  }
  return {};
}

bool is_protected(std::string_view name) {
  return iequals(name, "host") || iequals(name, "content-length") ||
         iequals(name, "transfer-encoding");
}

}  // namespace

std::string RequestHead::host_header_value() const {
  std::string r = host_is_ipv6 ? "[" + host + "]" : host;
  if (port != 80) r += ":" + std::to_string(port);
  return r;
}

const Header* RequestHead::find_header(std::string_view name) const {
  for (const Header& h : headers) {
    if (iequals(h.name, name)) return &h;
  }
  return nullptr;
}

ParseStatus parse_request_head(std::string_view buf, RequestHead& out, ParseCursor* cursor) {
  ParseCursor local;
  ParseCursor& cur = cursor != nullptr ? *cursor : local;

  // Skip a few empty lines before the request line.
  std::size_t start = 0;
  for (std::size_t n = 0;; ++n) {
    if (start >= buf.size()) return {};
    if (buf[start] == '\n') return fail(400, "bare LF line ending");
    if (buf[start] != '\r') break;
    if (start + 1 >= buf.size()) return {};
    if (buf[start + 1] != '\n') return fail(400, "bare CR in request line");
    if (n >= kMaxLeadingEmptyLines) return fail(400, "too many empty lines before request");
    start += 2;
  }

  // Find the empty line ending the head, checking that every LF follows a CR.
  std::size_t line_start = std::max(cur.scanned, start);
  if (line_start > buf.size()) line_start = start;  // cursor from another buffer: start over
  const std::size_t window = std::min(buf.size(), kMaxRequestHeadBytes);
  std::size_t head_end = 0;
  while (true) {
    const void* nlp = line_start < window
                          ? std::memchr(buf.data() + line_start, '\n', window - line_start)
                          : nullptr;
    if (nlp == nullptr) {
      cur.scanned = line_start;
      if (line_start == start) {
        std::size_t len = buf.size() - start;
        if (buf.back() == '\r') --len;
        if (len > kMaxRequestLineBytes) return fail(414, "request line too long");
      }
      if (buf.size() >= kMaxRequestHeadBytes) return fail(431, "request head too large");
      return {};
    }
    std::size_t nl = static_cast<const char*>(nlp) - buf.data();
    if (nl == line_start || buf[nl - 1] != '\r') return fail(400, "bare LF line ending");
    std::size_t line_len = nl - 1 - line_start;
    if (line_start == start && line_len > kMaxRequestLineBytes) {
      return fail(414, "request line too long");
    }
    if (line_len == 0) {
      head_end = nl + 1;
      break;
    }
    line_start = nl + 1;
  }
  cur.scanned = 0;

  out = RequestHead{};
  // Every LF in [start, head_end) is preceded by CR; lines are split at CRLF.
  std::size_t pos = start;
  bool first = true;
  while (true) {
    std::size_t nl = buf.find('\n', pos);
    std::string_view line = buf.substr(pos, nl - 1 - pos);
    pos = nl + 1;
    if (line.empty()) break;
    if (line.find('\r') != std::string_view::npos) return fail(400, "bare CR in request head");
    ParseStatus st = first ? parse_request_line(line, out) : parse_header_line(line, out);
    if (st.error()) return st;
    first = false;
  }

  if (ParseStatus st = parse_target(out); st.error()) return st;
  if (ParseStatus st = check_host_header(out); st.error()) return st;
  if (ParseStatus st = check_connection(out); st.error()) return st;
  if (ParseStatus st = check_framing(out); st.error()) return st;
  out.keep_alive = wants_keep_alive(out);

  ParseStatus done;
  done.state = ParseState::Done;
  done.consumed = head_end;
  return done;
}

std::vector<std::string> header_tokens(const std::vector<Header>& headers, std::string_view name) {
  std::vector<std::string> tokens;
  for (const Header& h : headers) {
    if (!iequals(h.name, name)) continue;
    std::string_view v = h.value;
    std::size_t pos = 0;
    while (pos <= v.size()) {
      std::size_t comma = v.find(',', pos);
      if (comma == std::string_view::npos) comma = v.size();
      std::string_view elem = trim_ows(v.substr(pos, comma - pos));
      if (!elem.empty()) tokens.push_back(to_lower(elem));
      pos = comma + 1;
    }
  }
  return tokens;
}

bool wants_keep_alive(const RequestHead& head) {
  std::vector<std::string> tokens = header_tokens(head.headers, "Connection");
  bool close = std::find(tokens.begin(), tokens.end(), "close") != tokens.end();
  bool keep = std::find(tokens.begin(), tokens.end(), "keep-alive") != tokens.end();
  if (close) return false;
  return head.version_minor >= 1 || keep;
}

bool is_hop_by_hop(std::string_view name, const std::vector<std::string>& connection_tokens) {
  static constexpr std::string_view kHopByHop[] = {
      "connection", "keep-alive", "proxy-connection", "proxy-authorization",
      "te",         "trailer",    "upgrade",
  };
  for (std::string_view h : kHopByHop) {
    if (iequals(name, h)) return true;
  }
  if (is_protected(name)) return false;
  for (const std::string& t : connection_tokens) {
    if (iequals(name, t)) return true;
  }
  return false;
}

void remove_hop_by_hop(std::vector<Header>& headers) {
  std::vector<std::string> tokens = header_tokens(headers, "Connection");
  std::erase_if(headers, [&](const Header& h) { return is_hop_by_hop(h.name, tokens); });
}

std::string serialize_request_head(const RequestHead& head, bool keep_alive) {
  std::vector<std::string> tokens = header_tokens(head.headers, "Connection");
  std::string r;
  r.reserve(256);
  r += head.method;
  r += ' ';
  if (head.form == TargetForm::Authority) {
    r += head.host_is_ipv6 ? "[" + head.host + "]" : head.host;
    r += ":" + std::to_string(head.port);
  } else {
    r += head.path.empty() ? std::string("/") : head.path;
  }
  r += " HTTP/1.1\r\nHost: ";
  r += head.host_header_value();
  r += "\r\n";
  for (const Header& h : head.headers) {
    if (iequals(h.name, "Host") || is_hop_by_hop(h.name, tokens)) continue;
    r += h.name;
    r += ": ";
    r += h.value;
    r += "\r\n";
  }
  r += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  return r;
}

}  // namespace paddock::proxy
