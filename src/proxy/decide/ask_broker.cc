#include "proxy/decide/ask_broker.h"

namespace paddock::proxy {

std::string_view ask_decision_name(AskDecision d) {
  switch (d) {
    case AskDecision::AllowOnce:
      return "allow_once";
    case AskDecision::AllowRun:
      return "allow_run";
    case AskDecision::AllowAlways:
      return "allow_always";
    case AskDecision::Deny:
      return "deny";
  }
  return "deny";
}

std::optional<AskDecision> parse_ask_decision(std::string_view s) {
  for (AskDecision d :
       {AskDecision::AllowOnce, AskDecision::AllowRun, AskDecision::AllowAlways, AskDecision::Deny})
    if (s == ask_decision_name(d)) return d;
  return std::nullopt;
}

namespace {

template <class Calls>
void append(Calls& to, Calls from) {
  for (auto& x : from.waiters) to.waiters.push_back(std::move(x));
  for (auto& x : from.settled) to.settled.push_back(std::move(x));
}

}  // namespace

std::string AskBroker::key(std::string_view host, uint16_t port) {
  return std::string(host) + ":" + std::to_string(port);
}

void AskBroker::run(Calls& calls) {
  for (auto& [done, answer] : calls.waiters)
    if (done) done(answer);
  for (auto& [id, answer] : calls.settled)
    for (auto& f : fronts_)
      if (f.settled) f.settled(id, answer);
  std::lock_guard<std::mutex> g(mu_);
  if (--in_flight_ == 0) idle_.notify_all();
}

AskBroker::Calls AskBroker::settle(std::map<uint64_t, Question>::iterator it, const AskAnswer& a) {
  Calls calls;
  for (auto& w : it->second.waiters) {
    waiter_question_.erase(w.token);
    --waiting_;
    calls.waiters.emplace_back(std::move(w.done), a);
  }
  calls.settled.emplace_back(it->first, a);
  open_.erase(key(it->second.q.subject.host, it->second.q.subject.port));
  questions_.erase(it);
  return calls;
}

AskBroker::Asked AskBroker::ask(const AskSubject& subject, Callback done, Clock::time_point now) {
  const std::string k = key(subject.host, subject.port);
  Asked out;
  std::optional<AskQuestion> opened;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (closed_) {
      out.now =
          AskAnswer{false, "ask-closed", k + " matches no allowedDomains rule and " + *closed_};
      return out;
    }
    if (standing_) {
      if (auto a = standing_(subject)) {
        out.now = std::move(*a);
        return out;
      }
    }
    if (auto r = remembered_.find(k); r != remembered_.end()) {
      out.now = r->second;
      return out;
    }
    auto open = open_.find(k);
    if (waiting_ >= opts_.max_waiting ||
        (open == open_.end() && questions_.size() >= opts_.max_waiting)) {
      out.now = AskAnswer{false, "ask-limit",
                          k + " matches no allowedDomains rule, and " +
                              std::to_string(opts_.max_waiting) +
                              " connections are already waiting for an answer"};
      return out;
    }
    uint64_t id;
    if (open != open_.end()) {
      id = open->second;
    } else {
      id = next_id_++;
      Question q;
      q.q.id = id;
      q.q.subject = subject;
      q.q.timeout = opts_.timeout;
      q.deadline = now + opts_.timeout;
      questions_.emplace(id, std::move(q));
      open_.emplace(k, id);
      opened = questions_.at(id).q;
    }
    out.waiter = next_waiter_++;
    questions_.at(id).waiters.push_back(Waiter{out.waiter, std::move(done)});
    waiter_question_.emplace(out.waiter, id);
    ++waiting_;
  }
  if (opened)
    for (auto& f : fronts_)
      if (f.asked) f.asked(*opened);
  return out;
}

void AskBroker::cancel(uint64_t waiter) {
  std::lock_guard<std::mutex> g(mu_);
  auto w = waiter_question_.find(waiter);
  if (w == waiter_question_.end()) return;
  auto q = questions_.find(w->second);
  waiter_question_.erase(w);
  if (q == questions_.end()) return;
  auto& ws = q->second.waiters;
  for (auto it = ws.begin(); it != ws.end(); ++it) {
    if (it->token != waiter) continue;
    ws.erase(it);
    --waiting_;
    break;
  }
}

AskBroker::AnswerResult AskBroker::answer(uint64_t id, AskDecision d, std::string_view reason) {
  Calls calls;
  std::string persist;
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = questions_.find(id);
    if (it == questions_.end()) return AnswerResult::UnknownId;
    const AskSubject& s = it->second.q.subject;
    const std::string k = key(s.host, s.port);
    AskAnswer a;
    a.allowed = d != AskDecision::Deny;
    a.rule = "ask:" + std::string(ask_decision_name(d));
    switch (d) {
      case AskDecision::AllowOnce:
        a.reason = k + " allowed when asked (this connection)";
        break;
      case AskDecision::AllowRun:
        a.reason = k + " allowed when asked (for this run)";
        break;
      case AskDecision::AllowAlways:
        a.reason = k + " allowed when asked (always: added to allowedDomains)";
        persist = k;
        break;
      case AskDecision::Deny:
        a.reason = k + " was refused when asked";
        break;
    }
    if (!reason.empty()) a.reason += ": " + std::string(reason);
    if (d != AskDecision::AllowOnce && remembered_.size() < opts_.max_remembered)
      remembered_[k] = a;
    calls = settle(it, a);
    ++in_flight_;
  }
  if (!persist.empty() && persist_) persist_(persist);
  run(calls);
  return AnswerResult::Applied;
}

void AskBroker::expire(Clock::time_point now) {
  Calls calls;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (auto it = questions_.begin(); it != questions_.end();) {
      auto next = std::next(it);
      if (now >= it->second.deadline) {
        const AskSubject& s = it->second.q.subject;
        const auto secs =
            std::chrono::duration_cast<std::chrono::seconds>(it->second.q.timeout).count();
        AskAnswer a{false, "ask-timeout",
                    key(s.host, s.port) +
                        " matches no allowedDomains rule and no answer came within " +
                        std::to_string(secs) + " s"};
        append(calls, settle(it, a));
      }
      it = next;
    }
    ++in_flight_;
  }
  run(calls);
}

void AskBroker::close(std::string why) {
  Calls calls;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (closed_) return;
    closed_ = std::move(why);
    while (!questions_.empty()) {
      auto it = questions_.begin();
      const AskSubject& s = it->second.q.subject;
      AskAnswer a{false, "ask-closed",
                  key(s.host, s.port) + " matches no allowedDomains rule and " + *closed_};
      append(calls, settle(it, a));
    }
    ++in_flight_;
  }
  run(calls);
}

void AskBroker::shutdown() {
  std::unique_lock<std::mutex> g(mu_);
  if (!closed_) closed_ = "the run is ending";
  questions_.clear();
  open_.clear();
  waiter_question_.clear();
  waiting_ = 0;
  idle_.wait(g, [this] { return in_flight_ == 0; });
}

std::size_t AskBroker::waiting() const {
  std::lock_guard<std::mutex> g(mu_);
  return waiting_;
}

std::vector<AskQuestion> AskBroker::questions() const {
  std::lock_guard<std::mutex> g(mu_);
  std::vector<AskQuestion> out;
  out.reserve(questions_.size());
  for (const auto& [id, q] : questions_) out.push_back(q.q);
  return out;
}

std::size_t AskBroker::open_questions() const {
  std::lock_guard<std::mutex> g(mu_);
  return questions_.size();
}

}  // namespace paddock::proxy
