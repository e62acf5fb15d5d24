#include "proxy/decide/captured_check.h"

#include "proxy/parse/http_request.h"

namespace paddock::proxy {
namespace {

constexpr std::size_t kMaxMethod = 20;

bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}

// Whether `b` is (a prefix of) "TOKEN SP target SP HTTP/1.d CRLF".
enum class Line { Prefix, Complete, No };

Line request_line(std::string_view b) {
  std::size_t i = 0;
  while (i < b.size() && is_upper(b[i])) ++i;
  if (i == b.size()) return i <= kMaxMethod ? Line::Prefix : Line::No;
  if (i == 0 || i > kMaxMethod || b[i] != ' ') return Line::No;
  const std::size_t target = ++i;
  while (i < b.size() && static_cast<unsigned char>(b[i]) > 0x20 && b[i] != 0x7F) ++i;
  if (i - target > kMaxRequestLineBytes) return Line::No;
  if (i == b.size()) return Line::Prefix;
  if (i == target || b[i] != ' ') return Line::No;
  constexpr std::string_view kVersion = "HTTP/1.";
  const std::string_view rest = b.substr(i + 1);
  for (std::size_t k = 0; k < rest.size(); ++k) {
    const char c = rest[k];
    if (k < kVersion.size()) {
      if (c != kVersion[k]) return Line::No;
    } else if (k == kVersion.size()) {
      if (c != '0' && c != '1') return Line::No;
    } else if (k == kVersion.size() + 1) {
      if (c != '\r') return Line::No;
    } else {
      return c == '\n' ? Line::Complete : Line::No;
    }
  }
  return Line::Prefix;
}

}  // namespace

PlainCheck check_captured_plain(std::string_view bytes, const Host& expected) {
  PlainCheck c;
  switch (request_line(bytes)) {
    case Line::Prefix:
      return c;
    case Line::No:
      c.kind = PlainKind::NotHttp;
      return c;
    case Line::Complete:
      break;
  }
  RequestHead head;
  const ParseStatus st = parse_request_head(bytes, head);
  if (st.need_more()) return c;
  c.kind = PlainKind::Refuse;
  if (st.error()) {
    c.rule = "http-request";
    c.reason = "an HTTP request this proxy cannot read: " + st.reason;
    return c;
  }
  const auto host = normalise_host(head.host);
  if (!host || host->text != expected.text) {
    c.rule = "host-mismatch";
    c.reason = "Host mismatch: the HTTP request names \"" + printable(head.host) +
               "\" but the connection is for " + expected.display();
    return c;
  }
  c.kind = PlainKind::Match;
  return c;
}

}  // namespace paddock::proxy
