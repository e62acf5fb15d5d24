#include "ask/agent_messages.h"

#include <nlohmann/json.hpp>

#include "base/json_depth.h"
#include "base/printable.h"

namespace paddock::ask {

namespace {

using Json = nlohmann::ordered_json;

// Invalid UTF-8 (a name chosen inside the sandbox) becomes U+FFFD rather than an exception.
std::string line_of(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Error bad(std::string detail) {
  return plain_error("agent channel", std::move(detail));
}

// Ids are the decimal numbers paddock handed out; anything else names no question.
std::optional<uint64_t> parse_id(std::string_view s) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

std::string format_permission_request(const proxy::AskQuestion& q) {
  Json j;
  j["type"] = "permission_request";
  j["id"] = std::to_string(q.id);
  j["host"] = q.subject.host;
  j["port"] = q.subject.port;
  j["protocol"] = std::string(proxy::protocol_name(q.subject.protocol));
  j["rule"] = q.subject.rule;
  j["reason"] = q.subject.reason;
  j["timeout_ms"] = static_cast<uint64_t>(q.timeout.count());
  return line_of(j);
}

std::string format_blocked(const BlockedNotice& n) {
  Json j;
  j["type"] = "blocked";
  j["kind"] = n.kind == BlockedNotice::Kind::Network ? "network" : "filesystem";
  // Only what the refusing part knows: the proxy names a destination, the mediator a call.
  if (!n.protocol.empty()) j["protocol"] = n.protocol;
  if (!n.host.empty()) j["host"] = n.host;
  if (n.port != 0) j["port"] = n.port;
  if (!n.operation.empty()) j["operation"] = n.operation;
  if (!n.path.empty()) j["path"] = n.path;
  if (!n.rule.empty()) j["rule"] = n.rule;
  j["reason"] = n.reason;
  if (!n.advice.empty()) j["advice"] = n.advice;
  return line_of(j);
}

Result<PermissionResponse> parse_agent_line(std::string_view line) {
  if (line.size() > kMaxLineBytes)
    return bad("a line longer than " + std::to_string(kMaxLineBytes) + " bytes");
  // An agent's message has two levels at most.
  if (json_nested_deeper_than(line, 4)) return bad("nested too deeply");
  const Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("not JSON");
  if (!j.is_object()) return bad("not a JSON object");
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return bad("no \"type\" string");
  if (type->get_ref<const std::string&>() != "permission_response")
    return bad("unknown type \"" + printable(type->get_ref<const std::string&>(), 64) + "\"");
  auto id = j.find("id");
  if (id == j.end() || !id->is_string()) return bad("permission_response without an \"id\" string");
  PermissionResponse r;
  auto parsed_id = parse_id(id->get_ref<const std::string&>());
  if (!parsed_id)
    return bad("no question has the id \"" + printable(id->get_ref<const std::string&>(), 64) +
               "\"");
  r.id = *parsed_id;
  auto decision = j.find("decision");
  if (decision == j.end() || !decision->is_string())
    return bad("permission_response without a \"decision\" string");
  auto d = proxy::parse_ask_decision(decision->get_ref<const std::string&>());
  if (!d)
    return bad("unknown decision \"" + printable(decision->get_ref<const std::string&>(), 64) +
               "\" (allow_once, allow_run, allow_always or deny)");
  r.decision = *d;
  if (auto reason = j.find("reason"); reason != j.end() && !reason->is_null()) {
    if (!reason->is_string()) return bad("\"reason\" is not a string");
    r.reason = printable(reason->get_ref<const std::string&>(), kMaxReasonBytes);
  }
  return r;
}

}  // namespace paddock::ask
