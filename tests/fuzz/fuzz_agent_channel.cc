// libFuzzer target: lines an agent sends on --agent-channel (ask/agent_messages.h), and the
// settings file text "allow always" edits (settings/settings_append.h).
// Checks: a parsed response names a decision that formats back to a known word, its reason is
// within bounds and holds no control character (it reaches a 403 body and stderr); an edited
// settings text is JSON that lists the pattern.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ask/agent_messages.h"
#include "fuzz_check.h"
#include "settings/settings_append.h"

using namespace paddock;
using paddock::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = ask::parse_agent_line(in);
  if (r) {
    check(proxy::parse_ask_decision(proxy::ask_decision_name(r->decision)) == r->decision);
    check(r->reason.size() <= ask::kMaxReasonBytes + 3);
    for (char c : r->reason) check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  } else {
    check(!r.error().detail.empty());
  }
  auto edited = append_allowed_domain(in, "a.example:443", "fuzz.json");
  if (edited) {
    const auto j = nlohmann::json::parse(edited->text, nullptr, false);
    check(j.is_object());
    bool listed = false;
    for (const auto& e : j["network"]["allowedDomains"])
      if (e == "a.example:443") listed = true;
    check(listed);
  }
  return 0;
}
