#include "ask/terminal_prompt.h"

#include <algorithm>

#include "base/printable.h"

namespace paddock::ask {

namespace {

// A host name is at most 253 bytes; a process name (comm) 15.
constexpr std::size_t kMaxShownHost = 260;
constexpr std::size_t kMaxShownProcess = 64;

}  // namespace

void PromptQueue::add(const proxy::AskQuestion& q, Clock::time_point now) {
  for (const auto& i : items_)
    if (i.id == q.id) return;
  items_.push_back(PromptItem{q.id, q.subject, now + q.timeout});
}

bool PromptQueue::remove(uint64_t id) {
  auto it =
      std::find_if(items_.begin(), items_.end(), [id](const PromptItem& i) { return i.id == id; });
  if (it == items_.end()) return false;
  const bool was_shown = it == items_.begin() && shown_;
  if (it == items_.begin()) shown_ = false;
  items_.erase(it);
  return was_shown;
}

void PromptQueue::mark_shown(Clock::time_point now) {
  if (items_.empty()) return;
  shown_ = true;
  shown_at_ = now;
}

std::optional<proxy::AskDecision> decision_for_key(char c) {
  switch (c) {
    case 'o':
    case 'O':
      return proxy::AskDecision::AllowOnce;
    case 'r':
    case 'R':
      return proxy::AskDecision::AllowRun;
    case 'a':
    case 'A':
      return proxy::AskDecision::AllowAlways;
    case 'd':
    case 'D':
      return proxy::AskDecision::Deny;
    default:
      return std::nullopt;
  }
}

KeyVerdict judge_keys(const std::vector<TerminalKey>& keys,
                      std::chrono::steady_clock::duration since_shown) {
  KeyVerdict v;
  if (keys.empty()) return v;
  // Ctrl-C is never typed by accident into an answer that allows: it denies at once.
  for (const auto& k : keys) {
    if (k.kind == TerminalKey::Kind::Interrupt) {
      v.kind = KeyVerdict::Kind::Answer;
      v.decision = proxy::AskDecision::Deny;
      return v;
    }
  }
  if (since_shown < kTypeaheadGuard) return v;
  if (keys.size() == 1 && keys[0].kind == TerminalKey::Kind::Char) {
    if (auto d = decision_for_key(keys[0].ch)) {
      v.kind = KeyVerdict::Kind::Answer;
      v.decision = *d;
      return v;
    }
  }
  v.kind = KeyVerdict::Kind::AskAgain;
  return v;
}

std::string describe_protocol(proxy::Protocol p) {
  switch (p) {
    case proxy::Protocol::Http:
      return "plain HTTP via the proxy";
    case proxy::Protocol::Connect:
      return "CONNECT via the proxy";
    case proxy::Protocol::Socks5:
      return "SOCKS5 via the proxy";
    case proxy::Protocol::Captured:
      return "a direct connection";
    case proxy::Protocol::Dns:
      return "DNS";
  }
  return "unknown";
}

std::string render_question(const PromptItem& item, std::chrono::steady_clock::time_point now) {
  const auto left =
      std::max<long long>(0, std::chrono::ceil<std::chrono::seconds>(item.deadline - now).count());
  std::string where =
      printable(item.subject.host, kMaxShownHost) + ":" + std::to_string(item.subject.port);
  std::string how = describe_protocol(item.subject.protocol);
  if (!item.subject.process.empty())
    how += " from " + printable(item.subject.process, kMaxShownProcess);
  return "paddock: allow " + where + ", " + how + "? [o]nce [r]un [a]lways [d]eny (" +
         std::to_string(left) + " s) ";
}

std::string render_ask_again() {
  return "\r\npaddock: answer with one key: o, r, a or d (Ctrl-C denies)\r\n";
}

std::string render_echo(proxy::AskDecision d) {
  switch (d) {
    case proxy::AskDecision::AllowOnce:
      return "once\r\n";
    case proxy::AskDecision::AllowRun:
      return "run\r\n";
    case proxy::AskDecision::AllowAlways:
      return "always\r\n";
    case proxy::AskDecision::Deny:
      return "deny\r\n";
  }
  return "\r\n";
}

std::string render_settled(const proxy::AskAnswer& a) {
  // The reason names the host, which came from the sandbox.
  return "\rpaddock: " + printable(a.reason, 600) + "\r\n";
}

}  // namespace paddock::ask
