#pragma once
// The agent channel's messages (docs/AGENT_CHANNEL.md): one JSON object per line, UTF-8, '\n'
// terminated. Pure: formatting and the strict parser of what the agent sends (fuzzed).
//
//   paddock -> agent   {"type":"permission_request","id":"3","host":"registry.npmjs.org",
//                       "port":443,"protocol":"connect","rule":"default-deny","reason":"...",
//                       "timeout_ms":60000}
//                      {"type":"blocked","kind":"network",...} / {"type":"blocked",
//                       "kind":"filesystem",...}: every refusal, as it happens
//   agent -> paddock   {"type":"permission_response","id":"3","decision":"allow_once"|
//                       "allow_run"|"allow_always"|"deny","reason":"optional, shown on deny"}
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "proxy/decide/ask_broker.h"

namespace paddock::ask {

// Lines longer than this are not parsed (the reader skips to the next newline).
inline constexpr std::size_t kMaxLineBytes = 64 * 1024;
// An agent's reason is cut to this many bytes (it ends up in a 403 body and on stderr).
inline constexpr std::size_t kMaxReasonBytes = 300;

std::string format_permission_request(const proxy::AskQuestion& q);

struct BlockedNotice {
  enum class Kind { Network, Filesystem };
  Kind kind = Kind::Network;
  // network: what the proxy or the resolver refused
  std::string protocol;  // "http", "connect", "socks5", "captured", "dns"
  std::string host;
  uint16_t port = 0;
  std::string rule;
  std::string reason;
  std::string advice;  // the flag that would allow it, when there is one
  // the write mediator (its socket refusals are kind network): the call and its path or address
  std::string operation;
  std::string path;
};

std::string format_blocked(const BlockedNotice& n);

struct PermissionResponse {
  uint64_t id = 0;
  proxy::AskDecision decision = proxy::AskDecision::Deny;
  std::string reason;  // printable, at most kMaxReasonBytes
};

// One line, without its '\n'. Errors (Error.detail) say what was wrong, for the note on stderr:
// not JSON, not an object, nested too deeply, an unknown type, a missing or mistyped field, an
// unknown decision. Unknown extra fields are ignored (newer agents may send more).
Result<PermissionResponse> parse_agent_line(std::string_view line);

}  // namespace paddock::ask
