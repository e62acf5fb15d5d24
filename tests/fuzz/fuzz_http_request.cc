// libFuzzer target: the HTTP request-head parser, with its invariants checked on every input.
//  - Done consumes 1..64 KiB of the input, and the head alone parses to the same result.
//  - Feeding the input in two parts (with a ParseCursor) ends exactly like feeding it whole.
//  - A parsed request serialised for upstream parses again to the same host, port and framing.
//  - A chunked body after the head goes through the chunked framer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "proxy/parse/chunked.h"
#include "proxy/parse/http_request.h"

using namespace paddock::proxy;
using paddock::fuzz::check;

namespace {

bool same(const ParseStatus& a, const ParseStatus& b) {
  if (a.state != b.state) return false;
  if (a.done()) return a.consumed == b.consumed;
  if (a.error()) return a.http_status == b.http_status && a.reason == b.reason;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  RequestHead head;
  const ParseStatus whole = parse_request_head(in, head);

  if (whole.error()) {
    const int s = whole.http_status;
    check(s == 400 || s == 414 || s == 431 || s == 501 || s == 505);
    check(!whole.reason.empty() && whole.reason.find_first_of("\r\n") == std::string::npos);
  }

  // Two-part feed with a cursor, split at a point chosen by the input.
  if (size > 0) {
    const std::size_t cut = (static_cast<std::size_t>(data[0]) * 131 + size / 3) % (size + 1);
    ParseCursor cursor;
    RequestHead h2;
    ParseStatus st = parse_request_head(in.substr(0, cut), h2, &cursor);
    if (st.need_more()) st = parse_request_head(in, h2, &cursor);
    check(same(st, whole));
  }

  if (!whole.done()) return 0;
  check(whole.consumed > 0 && whole.consumed <= size && whole.consumed <= kMaxRequestHeadBytes);
  check(head.port != 0);
  check(head.form == TargetForm::Authority || !head.path.empty());
  check(!head.host.empty());

  RequestHead again;
  check(same(parse_request_head(in.substr(0, whole.consumed), again), whole));
  check(parse_request_head(in.substr(0, whole.consumed - 1), again).need_more());

  if (head.form != TargetForm::Authority) {
    const std::string up = serialize_request_head(head, head.keep_alive);
    RequestHead back;
    const ParseStatus st = parse_request_head(up, back);
    if (st.done()) {
      check(st.consumed == up.size());
      check(back.host == head.host && back.port == head.port);
      check(back.host_is_ipv6 == head.host_is_ipv6);
      check(back.framing == head.framing && back.content_length == head.content_length);
      check(back.keep_alive == head.keep_alive);
      check(back.method == head.method);
      check(back.find_header("Proxy-Authorization") == nullptr);
    } else {
      // Only the added Host/Connection lines can push a head that was at a limit over it.
      check(st.error() && st.http_status == 431);
    }
  }

  std::vector<Header> hs = head.headers;
  remove_hop_by_hop(hs);
  for (const Header& h : hs) check(!is_hop_by_hop(h.name, header_tokens(hs, "Connection")));

  if (head.framing == BodyFraming::Chunked) {
    ChunkedFramer f;
    const ChunkedFramer::Step s = f.feed(in.substr(whole.consumed));
    check(s.consumed <= size - whole.consumed);
  }
  return 0;
}
