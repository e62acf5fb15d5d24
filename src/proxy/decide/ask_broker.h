#pragma once
// --ask: the questions a run has open about destinations that matched no rule, and the answers
// given so far (DESIGN 5, "Asking"). Pure bookkeeping: no I/O, no threads of its own, the time
// passed in. Whoever answers (the agent channel today; a terminal prompt or `paddock ctl` later)
// only sees questions through the front hook and calls answer(); the proxy's sessions only call
// ask() and cancel(). Several answerers may be attached at once (add_front): each is shown every
// question, the first answer wins, and each is told when a question is settled (by anyone, or by
// the timeout) so that it can take its prompt down. Thread-safe; hooks and callbacks run outside
// the lock.
//
//   ask(subject)      an answer given for this run already (allow_run, allow_always, deny):
//                     returned at once. Else the waiter joins the open question for the same
//                     host:port, or a new question is opened and handed to the front.
//   answer(id, d)     every waiter of the question gets the answer; allow_run / allow_always /
//                     deny also stand for the rest of the run; allow_always is handed to the
//                     persist hook as the allowedDomains pattern "host:port".
//   expire(now)       questions past their deadline: each waiter is denied ("ask-timeout").
//   close(why)        nobody can answer any more: every open and every later question is denied.
//
// Bounds: at most max_waiting connections wait at once (further ones are denied, rule
// "ask-limit"), and at most max_waiting questions are open (a question outlives its waiters
// until answered or expired, so that a late "always" still counts).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/decide/decision.h"

namespace paddock::proxy {

enum class AskDecision { AllowOnce, AllowRun, AllowAlways, Deny };

// "allow_once", "allow_run", "allow_always", "deny": the agent channel's words.
std::string_view ask_decision_name(AskDecision d);
std::optional<AskDecision> parse_ask_decision(std::string_view s);

// What a connection asks about. host: normalised, IPv6 in brackets (the form a rule takes).
struct AskSubject {
  std::string host;
  uint16_t port = 0;
  Protocol protocol = Protocol::Http;
  std::string rule;    // the rule that missed ("default-deny")
  std::string reason;  // decide()'s reason
  // The program that connected, as "curl (pid 12)" with its pid inside the sandbox, where the
  // supervisor knows it (a captured connection: the write mediator saw the connect); else empty.
  // Chosen inside the sandbox: show it through printable().
  std::string process;
};

struct AskQuestion {
  uint64_t id = 0;
  AskSubject subject;  // of the connection that opened it
  std::chrono::milliseconds timeout{0};
};

struct AskAnswer {
  bool allowed = false;
  // "ask:allow_once", "ask:allow_run", "ask:allow_always", "ask:deny", "ask-timeout",
  // "ask-closed", "ask-limit": the audit log's and the exit summary's rule.
  std::string rule;
  std::string reason;  // one line for people; on a denial, what the command is shown
};

struct AskBrokerOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  std::size_t max_waiting = 256;
  // The answers remembered for the run (allow_run, allow_always, deny), at most.
  std::size_t max_remembered = 10000;
};

class AskBroker {
 public:
  using Clock = std::chrono::steady_clock;
  using Callback = std::function<void(const AskAnswer&)>;
  struct Front {
    std::function<void(const AskQuestion&)> asked;
    // The question is no longer open (answered, expired, closed); may be null.
    std::function<void(uint64_t id, const AskAnswer&)> settled;
  };
  using Persist = std::function<void(const std::string& pattern)>;
  // An answer that stands already for a subject (a rule `paddock ctl` added after the
  // connection's decide()), or nullopt.
  using Standing = std::function<std::optional<AskAnswer>(const AskSubject&)>;

  explicit AskBroker(AskBrokerOptions opts = {}) : opts_(opts) {}

  // Before the first ask(); not changed afterwards.
  void add_front(Front f) { fronts_.push_back(std::move(f)); }
  bool has_front() const { return !fronts_.empty(); }
  void set_persist(Persist p) { persist_ = std::move(p); }
  // Consulted by ask() under the broker's lock before anything else, so a rule added between a
  // connection's decide() and its ask() is not missed: whoever adds one does so before it
  // answers the open questions (questions(), answer()). Before the first ask(); must not call
  // into the broker.
  void set_standing(Standing s) { standing_ = std::move(s); }

  struct Asked {
    std::optional<AskAnswer> now;  // answered without waiting
    uint64_t waiter = 0;           // else: the token for cancel(); `done` is called once, later
  };
  Asked ask(const AskSubject& subject, Callback done, Clock::time_point now);
  // The waiting connection went away: its callback will not be called.
  void cancel(uint64_t waiter);

  enum class AnswerResult { Applied, UnknownId };
  // reason: the answerer's, optional; shown to the command on a denial.
  AnswerResult answer(uint64_t id, AskDecision d, std::string_view reason);
  void expire(Clock::time_point now);
  void close(std::string why);
  // The proxy is stopping: waiters are dropped without being called, and callbacks already
  // under way on other threads have returned when this does (they post to the proxy's loops).
  void shutdown();

  std::size_t waiting() const;
  std::size_t open_questions() const;
  // The open questions, oldest first (for `paddock ctl list`).
  std::vector<AskQuestion> questions() const;
  const AskBrokerOptions& options() const { return opts_; }

  static std::string key(std::string_view host, uint16_t port);

 private:
  struct Waiter {
    uint64_t token;
    Callback done;
  };
  struct Question {
    AskQuestion q;
    Clock::time_point deadline;
    std::vector<Waiter> waiters;
  };
  struct Calls {
    std::vector<std::pair<Callback, AskAnswer>> waiters;
    std::vector<std::pair<uint64_t, AskAnswer>> settled;
  };
  // Runs the calls taken under mu_ (with in_flight_ raised there), then lowers in_flight_.
  void run(Calls& calls);
  // Under mu_: removes the question and returns its waiters' calls with `a`.
  Calls settle(std::map<uint64_t, Question>::iterator it, const AskAnswer& a);

  const AskBrokerOptions opts_;
  std::vector<Front> fronts_;
  Persist persist_;
  Standing standing_;
  mutable std::mutex mu_;
  std::map<uint64_t, Question> questions_;          // by id
  std::unordered_map<std::string, uint64_t> open_;  // host:port -> question id
  std::unordered_map<uint64_t, uint64_t> waiter_question_;
  std::unordered_map<std::string, AskAnswer> remembered_;  // host:port -> the run's answer
  std::size_t waiting_ = 0;
  std::size_t in_flight_ = 0;
  std::condition_variable idle_;
  uint64_t next_id_ = 1;
  uint64_t next_waiter_ = 1;
  std::optional<std::string> closed_;
};

}  // namespace paddock::proxy
