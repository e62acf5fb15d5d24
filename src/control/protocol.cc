#include "control/protocol.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "base/json_depth.h"
#include "base/printable.h"

namespace paddock::control {

namespace {

using Json = nlohmann::ordered_json;

// Invalid UTF-8 (a name chosen inside the sandbox) becomes U+FFFD rather than an exception.
std::string line_of(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Error bad(std::string detail) {
  Error e = plain_error("control message", std::move(detail));
  e.exit_code = 1;
  return e;
}

constexpr std::string_view kOps[] = {"summary", "show", "allow", "deny"};

// Fields a response must type correctly when present; a missing one keeps its default.
class Fields {
 public:
  explicit Fields(const Json& j) : j_(j) {}
  bool string(const char* key, std::string& out, bool required = false) {
    auto it = j_.find(key);
    if (it == j_.end()) return ok_ = ok_ && !required;
    if (!it->is_string()) return ok_ = false;
    out = it->get<std::string>();
    return ok_;
  }
  template <class T>
  bool number(const char* key, T& out) {
    auto it = j_.find(key);
    if (it == j_.end()) return ok_;
    if (!it->is_number_integer()) return ok_ = false;
    if constexpr (std::is_unsigned_v<T>) {
      if (!it->is_number_unsigned() || it->get<uint64_t>() > std::numeric_limits<T>::max())
        return ok_ = false;
      out = static_cast<T>(it->get<uint64_t>());
    } else {
      if (it->is_number_unsigned() &&
          it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<T>::max()))
        return ok_ = false;
      out = it->get<T>();
    }
    return ok_;
  }
  // A question's id: the broker's number as a decimal string (as on the agent channel).
  bool decimal(const char* key, uint64_t& out) {
    std::string s;
    if (!string(key, s, true)) return false;
    if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos)
      return ok_ = false;
    out = std::stoull(s);
    return ok_;
  }
  bool boolean(const char* key, bool& out) {
    auto it = j_.find(key);
    if (it == j_.end()) return ok_;
    if (!it->is_boolean()) return ok_ = false;
    out = it->get<bool>();
    return ok_;
  }
  bool ok() const { return ok_; }

 private:
  const Json& j_;
  bool ok_ = true;
};

// An array of objects under `key` (absent: none), each read by `read`.
template <class T, class F>
bool read_list(const Json& j, const char* key, std::vector<T>& out, F read) {
  auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_array()) return false;
  for (const auto& e : *it) {
    if (!e.is_object()) return false;
    T v;
    Fields f(e);
    read(f, v);
    if (!f.ok()) return false;
    out.push_back(std::move(v));
  }
  return true;
}

}  // namespace

std::string format_request(const Request& r) {
  Json j;
  j["op"] = std::string(kOps[static_cast<int>(r.op)]);
  if (r.op == Request::Op::Allow || r.op == Request::Op::Deny) j["domain"] = r.domain;
  return line_of(j);
}

Result<Request> parse_request(std::string_view line) {
  if (line.size() > kMaxRequestBytes)
    return bad("a request longer than " + std::to_string(kMaxRequestBytes) + " bytes");
  if (json_nested_deeper_than(line, 1)) return bad("nested too deeply");
  const Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("not JSON");
  if (!j.is_object()) return bad("not a JSON object");
  auto op = j.find("op");
  if (op == j.end() || !op->is_string()) return bad("no \"op\" string");
  const std::string& name = op->get_ref<const std::string&>();
  Request r;
  bool found = false;
  for (size_t i = 0; i < std::size(kOps); ++i)
    if (name == kOps[i]) {
      r.op = static_cast<Request::Op>(i);
      found = true;
    }
  if (!found) return bad("unknown op \"" + printable(name, 64) + "\"");
  const bool takes_domain = r.op == Request::Op::Allow || r.op == Request::Op::Deny;
  for (const auto& [key, value] : j.items())
    if (key != "op" && !(takes_domain && key == "domain"))
      return bad("unexpected field \"" + printable(key, 64) + "\" in " + name);
  if (takes_domain) {
    auto d = j.find("domain");
    if (d == j.end() || !d->is_string()) return bad(name + " without a \"domain\" string");
    r.domain = d->get<std::string>();
  }
  return r;
}

std::string format_response(const Response& r) {
  Json j;
  j["ok"] = r.ok;
  if (!r.ok) {
    j["error"] = r.error;
    return line_of(j);
  }
  if (r.summary) {
    const Summary& s = *r.summary;
    Json o;
    o["id"] = s.id;
    o["pid"] = s.pid;
    o["started"] = s.started;
    o["project"] = s.project;
    o["command"] = s.command;
    o["ask"] = s.ask;
    o["questions"] = s.questions;
    j["summary"] = std::move(o);
  }
  if (!r.questions.empty()) {
    Json a = Json::array();
    for (const auto& q : r.questions)
      a.push_back({{"id", std::to_string(q.id)},
                   {"host", q.host},
                   {"port", q.port},
                   {"protocol", q.protocol},
                   {"reason", q.reason}});
    j["questions"] = std::move(a);
  }
  if (!r.rules.empty()) {
    Json a = Json::array();
    for (const auto& e : r.rules) a.push_back({{"action", e.action}, {"pattern", e.pattern}});
    j["rules"] = std::move(a);
  }
  if (!r.denials.empty()) {
    Json a = Json::array();
    for (const auto& d : r.denials)
      a.push_back({{"time_ms", d.time_ms},
                   {"kind", d.kind},
                   {"what", d.what},
                   {"rule", d.rule},
                   {"count", d.count}});
    j["denials"] = std::move(a);
  }
  if (r.change) {
    const Change& c = *r.change;
    Json o;
    o["action"] = c.action;
    o["pattern"] = c.pattern;
    o["outcome"] = c.outcome;
    o["answered"] = c.answered;
    if (!c.note.empty()) o["note"] = c.note;
    j["change"] = std::move(o);
  }
  return line_of(j);
}

Result<Response> parse_response(std::string_view line) {
  if (line.size() > kMaxResponseBytes)
    return bad("an answer longer than " + std::to_string(kMaxResponseBytes) + " bytes");
  // {"summary":{"command":[...]}} and {"denials":[{...}]}: three levels.
  if (json_nested_deeper_than(line, 3)) return bad("nested too deeply");
  const Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("not JSON");
  if (!j.is_object()) return bad("not a JSON object");
  Response r;
  Fields top(j);
  auto ok = j.find("ok");
  if (ok == j.end() || !ok->is_boolean()) return bad("no \"ok\" boolean");
  r.ok = ok->get<bool>();
  if (!r.ok) {
    if (!top.string("error", r.error, true)) return bad("a refusal without an \"error\" string");
    return r;
  }
  if (auto s = j.find("summary"); s != j.end()) {
    if (!s->is_object()) return bad("\"summary\" is not an object");
    Summary sum;
    Fields f(*s);
    f.string("id", sum.id, true);
    f.number("pid", sum.pid);
    f.number("started", sum.started);
    f.string("project", sum.project);
    f.boolean("ask", sum.ask);
    f.number("questions", sum.questions);
    if (!f.ok()) return bad("a malformed \"summary\"");
    if (auto c = s->find("command"); c != s->end()) {
      if (!c->is_array()) return bad("\"command\" is not an array");
      for (const auto& a : *c) {
        if (!a.is_string()) return bad("\"command\" holds something other than strings");
        sum.command.push_back(a.get<std::string>());
      }
    }
    r.summary = std::move(sum);
  }
  if (!read_list(j, "questions", r.questions, [](Fields& f, OpenQuestion& q) {
        f.decimal("id", q.id);
        f.string("host", q.host);
        f.number("port", q.port);
        f.string("protocol", q.protocol);
        f.string("reason", q.reason);
      }))
    return bad("a malformed \"questions\" list");
  if (!read_list(j, "rules", r.rules, [](Fields& f, RuleEntry& e) {
        f.string("action", e.action, true);
        f.string("pattern", e.pattern, true);
      }))
    return bad("a malformed \"rules\" list");
  if (!read_list(j, "denials", r.denials, [](Fields& f, DenialEntry& d) {
        f.number("time_ms", d.time_ms);
        f.string("kind", d.kind);
        f.string("what", d.what, true);
        f.string("rule", d.rule);
        f.number("count", d.count);
      }))
    return bad("a malformed \"denials\" list");
  if (auto c = j.find("change"); c != j.end()) {
    if (!c->is_object()) return bad("\"change\" is not an object");
    Change ch;
    Fields f(*c);
    f.string("action", ch.action, true);
    f.string("pattern", ch.pattern, true);
    f.string("outcome", ch.outcome, true);
    f.number("answered", ch.answered);
    f.string("note", ch.note);
    if (!f.ok()) return bad("a malformed \"change\"");
    r.change = std::move(ch);
  }
  return r;
}

}  // namespace paddock::control
