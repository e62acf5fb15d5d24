#include "base/printable.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace paddock {

namespace {

void hex(std::string& out, unsigned char c) {
  char buf[5];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  out += buf;
}

}  // namespace

size_t utf8_sequence(std::string_view s, size_t i, uint32_t* cp_out) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n;
  uint32_t cp;
  if (c < 0x80) {
    n = 1;
    cp = c;
  } else if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  if (cp_out) *cp_out = cp;
  return n;
}

std::string printable(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  size_t i = 0;
  for (; i < text.size() && i < max_bytes;) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\\\";
      ++i;
    } else if (c == '\n') {
      out += "\\n";
      ++i;
    } else if (c == '\t') {
      out += "\\t";
      ++i;
    } else if (c == '\r') {
      out += "\\r";
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      hex(out, c);
      ++i;
    } else if (c < 0x80) {
      out += char(c);
      ++i;
    } else {
      uint32_t cp = 0;
      size_t n = utf8_sequence(text, i, &cp);
      // C1 controls (U+0080-U+009F) act as escape sequences on some terminals; U+2028/9 and
      // the bidi controls reorder or break lines in others.
      bool control = cp < 0xa0 || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
                     (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c;
      if (n == 0 || control) {
        size_t len = n == 0 ? 1 : n;
        for (size_t k = 0; k < len; ++k) hex(out, static_cast<unsigned char>(text[i + k]));
        i += len;
      } else {
        out.append(text.substr(i, n));
        i += n;
      }
    }
  }
  if (i < text.size()) out += "...";
  return out;
}

}  // namespace paddock
