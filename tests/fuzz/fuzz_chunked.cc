// libFuzzer target: the chunked body framer. The input is fed whole and then in pieces whose
// sizes come from the input; both ways must agree on where the body ends (or that it is bad).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "proxy/parse/chunked.h"

using namespace paddock::proxy;
using paddock::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t stride = (data[0] & 0x1f) + 1;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);

  ChunkedFramer whole;
  const ChunkedFramer::Step w = whole.feed(in);
  check(w.consumed <= in.size());
  check(!(w.done && w.error));
  check(w.error == !w.reason.empty());
  if (!w.done && !w.error) check(w.consumed == in.size());
  check(whole.total_consumed() == w.consumed);
  check(whole.data_bytes() <= w.consumed);

  ChunkedFramer pieces;
  std::size_t consumed = 0;
  ChunkedFramer::Step last;
  for (std::size_t pos = 0; pos < in.size(); pos += stride) {
    const std::string_view part = in.substr(pos, stride);
    last = pieces.feed(part);
    check(last.consumed <= part.size());
    consumed += last.consumed;
    if (last.done || last.error) break;
    check(last.consumed == part.size());
  }
  check(pieces.done() == whole.done() && pieces.failed() == whole.failed());
  if (whole.done()) check(consumed == w.consumed);
  if (whole.failed()) check(pieces.error_reason() == whole.error_reason());

  // A finished framer stays finished and consumes nothing more.
  const ChunkedFramer::Step again = whole.feed(in);
  if (w.done || w.error) check(again.consumed == 0 && again.done == w.done);
  return 0;
}
