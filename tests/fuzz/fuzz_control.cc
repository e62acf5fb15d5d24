// libFuzzer target: the control socket's messages (control/protocol.h), both directions: what a
// `paddock ctl` client sends a running sandbox, and what the client reads back.
// Checks: a parsed request formats back to a line that parses to the same request; a parsed
// response survives the same round trip with its fields intact; neither parser throws.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "control/protocol.h"
#include "fuzz_check.h"

using namespace paddock;
using paddock::fuzz::check;

namespace {

std::string_view without_newline(const std::string& line) {
  check(!line.empty() && line.back() == '\n');
  check(line.find('\n') == line.size() - 1);
  return std::string_view(line).substr(0, line.size() - 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto req = control::parse_request(in)) {
    const std::string line = control::format_request(*req);
    auto again = control::parse_request(without_newline(line));
    check(again.ok() && again->op == req->op);
    // A domain holding invalid UTF-8 comes back with U+FFFD in its place; any other, unchanged.
    if (again->domain == req->domain) check(control::format_request(*again) == line);
  } else {
    check(!req.error().detail.empty());
  }
  if (auto resp = control::parse_response(in)) {
    const std::string line = control::format_response(*resp);
    auto again = control::parse_response(without_newline(line));
    check(again.ok() && again->ok == resp->ok);
    check(again->summary.has_value() == resp->summary.has_value());
    if (resp->ok) {
      check(again->questions.size() == resp->questions.size());
      check(again->rules.size() == resp->rules.size());
      check(again->denials.size() == resp->denials.size());
      check(again->change.has_value() == resp->change.has_value());
    }
  } else {
    check(!resp.error().detail.empty());
  }
  return 0;
}
