#pragma once
// `paddock ctl`'s messages: one JSON object per line, '\n' terminated, on the control socket of
// a running sandbox (docs/ARCHITECTURE.md, "Live control"). Pure: formatting and strict parsers
// for both directions (fuzzed: tests/fuzz/fuzz_control.cc).
//
//   ctl -> run   {"op":"summary"} | {"op":"show"} | {"op":"allow","domain":"example.com"}
//                | {"op":"deny","domain":"*.example.com:443"}
//   run -> ctl   {"ok":true,"summary":{...}}                         summary
//                {"ok":true,"summary":{...},"questions":[...],"rules":[...],"denials":[...]}
//                {"ok":true,"change":{"action":"allow","pattern":"...","outcome":"added",
//                 "answered":1,"note":"..."}}                        allow, deny
//                {"ok":false,"error":"why"}                          anything refused
//
// A request is parsed strictly: an object with a known "op" and exactly the fields that op
// takes. A response may carry fields this version does not know (a newer sandbox), which are
// ignored; the ones it knows must have their types. Strings are whatever bytes the sandbox chose
// (file names, host names): the client escapes them when printing (base/printable).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace paddock::control {

inline constexpr std::size_t kMaxRequestBytes = 4096;
inline constexpr std::size_t kMaxResponseBytes = 1024 * 1024;

struct Request {
  enum class Op { Summary, Show, Allow, Deny };
  Op op = Op::Summary;
  std::string domain;  // allow and deny: a pattern in allowedDomains syntax
};

std::string format_request(const Request& r);
// One line, without its '\n'.
Result<Request> parse_request(std::string_view line);

struct Summary {
  std::string id;
  int64_t pid = 0;
  int64_t started = 0;  // seconds since the epoch
  std::string project;
  std::vector<std::string> command;
  bool ask = false;        // --ask: unknown destinations wait for an answer
  uint64_t questions = 0;  // open ones
};

struct OpenQuestion {
  uint64_t id = 0;
  std::string host;
  uint16_t port = 0;
  std::string protocol;
  std::string reason;
};

struct RuleEntry {
  std::string action;  // "allow" | "deny"
  std::string pattern;
};

struct DenialEntry {
  int64_t time_ms = 0;  // since the epoch
  std::string kind;     // "network" | "filesystem"
  std::string what;     // "connect example.com:443", "create /p/.bashrc"
  std::string rule;     // the rule that refused (network), or why (filesystem)
  uint64_t count = 1;   // the same refusal in a row
};

struct Change {
  std::string action;     // "allow" | "deny"
  std::string pattern;    // as given
  std::string outcome;    // "added" | "replaced" | "unchanged"
  uint64_t answered = 0;  // open questions it answered
  std::string note;       // e.g. a settings rule that still denies it
};

struct Response {
  bool ok = false;
  std::string error;  // when !ok
  std::optional<Summary> summary;
  std::vector<OpenQuestion> questions;
  std::vector<RuleEntry> rules;
  std::vector<DenialEntry> denials;
  std::optional<Change> change;
};

std::string format_response(const Response& r);
Result<Response> parse_response(std::string_view line);

}  // namespace paddock::control
