// libFuzzer target: parse_response_head must never crash, hang or read out of bounds on any bytes,
// and what it accepts must survive serialize_response_head and a second parse unchanged in the
// parts the relay depends on (status, framing, length). The first input byte picks the request
// method (HEAD or GET), the rest is the response. Seeds: tests/fuzz/corpus/http_response/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/parse/http_response.h"

using paddock::proxy::ParseCursor;
using paddock::proxy::ParseStatus;
using paddock::proxy::ResponseHead;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view method = (data[0] & 1) != 0 ? "HEAD" : "GET";
  const std::string_view buf(reinterpret_cast<const char*>(data) + 1, size - 1);

  ResponseHead head;
  const ParseStatus st = paddock::proxy::parse_response_head(buf, method, head);
  if (st.done()) {
    if (st.consumed == 0 || st.consumed > buf.size()) __builtin_trap();
    if (head.status < 100 || head.status > 999) __builtin_trap();
    // The serialised head adds a Connection header: at the header limit it may not reparse.
    if (head.headers.size() >= paddock::proxy::kMaxHeaderCount) return 0;
    const std::string out = paddock::proxy::serialize_response_head(head, head.keep_alive);
    ResponseHead again;
    const ParseStatus st2 = paddock::proxy::parse_response_head(out, method, again);
    if (!st2.done() || st2.consumed != out.size()) __builtin_trap();
    if (again.status != head.status || again.framing != head.framing ||
        again.content_length != head.content_length) {
      __builtin_trap();
    }
  } else if (st.error()) {
    if (st.http_status != 502 || st.reason.empty()) __builtin_trap();
    for (char c : st.reason) {
      if (static_cast<unsigned char>(c) < 0x20) __builtin_trap();
    }
  }

  // Byte-by-byte with a cursor reaches the same verdict as the whole buffer at once.
  ParseCursor cur;
  ResponseHead inc;
  ParseStatus last;
  for (std::size_t i = 1; i <= buf.size(); ++i) {
    last = paddock::proxy::parse_response_head(buf.substr(0, i), method, inc, &cur);
    if (!last.need_more()) break;
  }
  if (buf.size() > 0 && st.done() && !(last.done() && last.consumed == st.consumed)) {
    __builtin_trap();
  }
  return 0;
}
