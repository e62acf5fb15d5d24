// libFuzzer target: what a terminal sends, read as keys for a question on the screen
// (ask/terminal_keys.h). Checks: the keys do not depend on how the bytes were split into reads
// (within the idle window), every printable key is a byte of the input, and anything wrapped in
// a terminated DCS string (a terminal's reply) yields no printable key whatever state the input
// before it left the reader in, and no key at all, ending at ground, after a second of silence.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ask/terminal_keys.h"
#include "fuzz_check.h"

using namespace paddock::ask;
using paddock::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto t0 = TerminalKeyReader::Clock::time_point{} + std::chrono::hours(1);

  TerminalKeyReader whole;
  const std::vector<TerminalKey> all = whole.feed(in, t0);
  TerminalKeyReader bytewise;
  std::vector<TerminalKey> pieces;
  for (std::size_t i = 0; i < in.size(); ++i) {
    auto k = bytewise.feed(in.substr(i, 1), t0 + std::chrono::milliseconds(i % 3));
    pieces.insert(pieces.end(), k.begin(), k.end());
  }
  check(all == pieces);
  check(whole.at_ground() == bytewise.at_ground());
  for (const auto& k : all)
    if (k.kind == TerminalKey::Kind::Char)
      check(k.ch >= 0x20 && k.ch <= 0x7e && in.find(k.ch) != std::string_view::npos);

  // A reply: DCS, printable ASCII only (what a terminal's replies hold), ST.
  std::string body;
  for (char c : in)
    if (c >= 0x20 && c <= 0x7e) body += c;
  const std::string reply = "\x1bP" + body + "\x1b\\";
  TerminalKeyReader r;
  (void)r.feed(in, t0);
  // Right after the input, in whatever state it left: no printable key.
  TerminalKeyReader at_once = r;
  for (const auto& k : at_once.feed(reply, t0)) check(k.kind != TerminalKey::Kind::Char);
  check(r.feed(reply, t0 + kSequenceIdle).empty());
  check(r.at_ground());
  return 0;
}
