#pragma once
// --ask on the user's terminal: which question is on the screen, what a key press means, and the
// lines shown. Pure (the time is passed in); sandbox/terminal_relay.h does the I/O.
//
//   paddock: allow ask.test:8080, plain HTTP via the proxy? [o]nce [r]un [a]lways [d]eny (60 s) run
//   paddock: ask.test:8080 allowed when asked (for this run)
//
// One question on the screen at a time; the others wait in the order they were asked. A
// question settled elsewhere (the agent channel, the timeout) is taken down with the line saying
// how; one still waiting its turn goes without a word.
//
// Answers are single keys: o, r, a, d (either case); Ctrl-C denies. Keys read within
// kTypeaheadGuard of the question appearing were typed for the command before the user could
// have read it: they are dropped (Ctrl-C still denies). Several keys in one read are a paste or
// typeahead, not an answer: the question is asked again, as it is for any other key.
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "ask/terminal_keys.h"
#include "proxy/decide/ask_broker.h"

namespace paddock::ask {

inline constexpr std::chrono::milliseconds kTypeaheadGuard{250};

struct PromptItem {
  uint64_t id = 0;
  proxy::AskSubject subject;
  std::chrono::steady_clock::time_point deadline;
};

class PromptQueue {
 public:
  using Clock = std::chrono::steady_clock;

  void add(const proxy::AskQuestion& q, Clock::time_point now);
  // The question is no longer open. True when it was the one on the screen.
  bool remove(uint64_t id);
  // The question to show (the oldest), or null.
  const PromptItem* current() const { return items_.empty() ? nullptr : &items_.front(); }
  bool shown() const { return shown_; }
  // The current question is on the screen from `now`.
  void mark_shown(Clock::time_point now);
  Clock::time_point shown_at() const { return shown_at_; }
  std::size_t size() const { return items_.size(); }

 private:
  std::deque<PromptItem> items_;
  bool shown_ = false;
  Clock::time_point shown_at_{};
};

std::optional<proxy::AskDecision> decision_for_key(char c);

struct KeyVerdict {
  enum class Kind { Nothing, Answer, AskAgain };
  Kind kind = Kind::Nothing;
  proxy::AskDecision decision = proxy::AskDecision::Deny;
};
// The keys of one read while a question is on the screen, `since_shown` after it appeared.
KeyVerdict judge_keys(const std::vector<TerminalKey>& keys,
                      std::chrono::steady_clock::duration since_shown);

// "plain HTTP via the proxy", "CONNECT via the proxy", "SOCKS5 via the proxy", "a direct
// connection": how the connection came.
std::string describe_protocol(proxy::Protocol p);

// The question line, without a line end: the answer is echoed after it. The host and the
// process name come from the sandbox: shown through printable(). `now` gives the seconds left.
std::string render_question(const PromptItem& item, std::chrono::steady_clock::time_point now);
// The line after a key that answers nothing, then the question again (render_question).
std::string render_ask_again();
// The echo of an answering key, ending the question line.
std::string render_echo(proxy::AskDecision d);
// How a question ended (AskAnswer::reason), one line.
std::string render_settled(const proxy::AskAnswer& a);

}  // namespace paddock::ask
