// libFuzzer target: the sandbox's resolver on arbitrary bytes (what a process inside may send to
// 127.0.0.1:53). Checks: no crash or hang; an answer is produced for every message with a header
// that is not a response; the answer is itself a well-formed message whose question parses back
// to the same name; a name read never exceeds 255 bytes in wire form.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dns/answer.h"
#include "dns/message.h"
#include "fuzz_check.h"

using namespace paddock::dns;
using paddock::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  static FakeIpTable table(1024);
  NameJudge judge = [](std::string_view name, uint16_t) -> std::optional<std::string> {
    if (name.size() % 2 == 0) return std::string(name);
    return std::nullopt;
  };
  const ParsedQuery p = parse_query(in);
  if (p.outcome == ParseOutcome::Ok) {
    check(p.question.wire_name.size() <= kMaxNameBytes);
    check(p.question.name.size() < kMaxNameBytes);
  }
  const auto a = answer_query(in, judge, table);
  check(a.has_value() == (p.outcome != ParseOutcome::Drop));
  if (a && p.outcome == ParseOutcome::Ok) {
    std::size_t next = 0;
    const auto n = read_name(*a, kHeaderBytes, next);
    check(n.has_value() && *n == p.question.name);
  }
  // Every offset as a name start: bounded work, bounded result.
  for (std::size_t off = 0; off < size && off < 64; ++off) {
    std::size_t next = 0;
    std::string wire;
    if (read_name(in, off, next, &wire)) check(wire.size() <= kMaxNameBytes && next <= size);
  }
  return 0;
}
