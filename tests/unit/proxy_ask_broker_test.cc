#include <gtest/gtest.h>

#include <thread>

#include "proxy/decide/ask_broker.h"

namespace paddock::proxy {
namespace {

using Clock = AskBroker::Clock;
using namespace std::chrono_literals;

AskSubject subject(std::string host, uint16_t port = 443) {
  AskSubject s;
  s.host = std::move(host);
  s.port = port;
  s.protocol = Protocol::Connect;
  s.rule = "default-deny";
  s.reason = s.host + ":" + std::to_string(port) + " matches no allowedDomains rule";
  return s;
}

struct Fixture : ::testing::Test {
  Fixture() : broker(AskBrokerOptions{60s, 4, 100}) {
    broker.add_front({[this](const AskQuestion& q) { asked.push_back(q); },
                      [this](uint64_t id, const AskAnswer& a) { settled.emplace_back(id, a); }});
    broker.set_persist([this](const std::string& p) { persisted.push_back(p); });
  }
  // Asks and expects to wait; the answer lands in `answers[slot]`.
  uint64_t wait(const std::string& host, size_t slot, uint16_t port = 443) {
    if (answers.size() <= slot) answers.resize(slot + 1);
    auto a = broker.ask(
        subject(host, port), [this, slot](const AskAnswer& x) { answers[slot] = x; }, t0);
    EXPECT_FALSE(a.now.has_value()) << host;
    EXPECT_NE(a.waiter, 0u);
    return a.waiter;
  }
  AskBroker broker;
  Clock::time_point t0 = Clock::now();
  std::vector<AskQuestion> asked;
  std::vector<std::string> persisted;
  std::vector<std::optional<AskAnswer>> answers;
  std::vector<std::pair<uint64_t, AskAnswer>> settled;
};

TEST(AskDecisionNames, RoundTrip) {
  for (auto d :
       {AskDecision::AllowOnce, AskDecision::AllowRun, AskDecision::AllowAlways, AskDecision::Deny})
    EXPECT_EQ(parse_ask_decision(ask_decision_name(d)), d);
  EXPECT_FALSE(parse_ask_decision("allow").has_value());
  EXPECT_FALSE(parse_ask_decision("").has_value());
  EXPECT_FALSE(parse_ask_decision("DENY").has_value());
}

TEST_F(Fixture, AllowOnceAnswersThisConnectionOnly) {
  wait("a.example", 0);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].subject.host, "a.example");
  EXPECT_EQ(asked[0].timeout, 60s);
  EXPECT_EQ(broker.answer(asked[0].id, AskDecision::AllowOnce, ""),
            AskBroker::AnswerResult::Applied);
  ASSERT_TRUE(answers[0]);
  EXPECT_TRUE(answers[0]->allowed);
  EXPECT_EQ(answers[0]->rule, "ask:allow_once");
  ASSERT_EQ(settled.size(), 1u);
  EXPECT_EQ(settled[0].first, asked[0].id);
  // The next connection is asked again.
  wait("a.example", 1);
  EXPECT_EQ(asked.size(), 2u);
  EXPECT_TRUE(persisted.empty());
}

TEST_F(Fixture, AllowRunAndDenyStandForTheRun) {
  wait("run.example", 0);
  wait("no.example", 1);
  ASSERT_EQ(asked.size(), 2u);
  broker.answer(asked[0].id, AskDecision::AllowRun, "");
  broker.answer(asked[1].id, AskDecision::Deny, "not needed for this task");
  EXPECT_TRUE(answers[0]->allowed);
  EXPECT_FALSE(answers[1]->allowed);
  EXPECT_EQ(answers[1]->rule, "ask:deny");
  EXPECT_NE(answers[1]->reason.find("not needed for this task"), std::string::npos);
  auto again = broker.ask(subject("run.example"), nullptr, t0);
  ASSERT_TRUE(again.now);
  EXPECT_TRUE(again.now->allowed);
  auto denied = broker.ask(subject("no.example"), nullptr, t0);
  ASSERT_TRUE(denied.now);
  EXPECT_FALSE(denied.now->allowed);
  // Another port is another question.
  wait("run.example", 2, 80);
  EXPECT_EQ(asked.size(), 3u);
}

TEST_F(Fixture, AllowAlwaysIsPersistedWithItsPort) {
  wait("[2001:db8::1]", 0, 8443);
  broker.answer(asked[0].id, AskDecision::AllowAlways, "");
  ASSERT_EQ(persisted.size(), 1u);
  EXPECT_EQ(persisted[0], "[2001:db8::1]:8443");
  EXPECT_TRUE(answers[0]->allowed);
  EXPECT_TRUE(broker.ask(subject("[2001:db8::1]", 8443), nullptr, t0).now->allowed);
}

TEST_F(Fixture, IdenticalRequestsShareOneQuestion) {
  wait("same.example", 0);
  wait("same.example", 1);
  wait("same.example", 2);
  EXPECT_EQ(asked.size(), 1u);
  EXPECT_EQ(broker.waiting(), 3u);
  EXPECT_EQ(broker.open_questions(), 1u);
  ASSERT_EQ(broker.questions().size(), 1u);
  EXPECT_EQ(broker.questions()[0].subject.host, "same.example");
  broker.answer(asked[0].id, AskDecision::AllowOnce, "");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(answers[i] && answers[i]->allowed) << i;
  EXPECT_EQ(broker.waiting(), 0u);
  EXPECT_EQ(broker.open_questions(), 0u);
}

TEST_F(Fixture, TimeoutDenies) {
  wait("slow.example", 0);
  broker.expire(t0 + 59s);
  EXPECT_FALSE(answers[0]);
  broker.expire(t0 + 60s);
  ASSERT_TRUE(answers[0]);
  EXPECT_FALSE(answers[0]->allowed);
  EXPECT_EQ(answers[0]->rule, "ask-timeout");
  EXPECT_NE(answers[0]->reason.find("60 s"), std::string::npos) << answers[0]->reason;
  // A late answer names no question; the next connection is asked again.
  EXPECT_EQ(broker.answer(asked[0].id, AskDecision::AllowRun, ""),
            AskBroker::AnswerResult::UnknownId);
  wait("slow.example", 1);
  EXPECT_EQ(asked.size(), 2u);
}

TEST_F(Fixture, UnknownIdsChangeNothing) {
  wait("x.example", 0);
  EXPECT_EQ(broker.answer(asked[0].id + 1, AskDecision::AllowRun, ""),
            AskBroker::AnswerResult::UnknownId);
  EXPECT_FALSE(answers[0]);
  EXPECT_EQ(broker.waiting(), 1u);
}

TEST_F(Fixture, CloseDeniesOpenAndLaterQuestions) {
  wait("a.example", 0);
  wait("b.example", 1);
  broker.close("the agent channel closed");
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(answers[i]);
    EXPECT_FALSE(answers[i]->allowed);
    EXPECT_EQ(answers[i]->rule, "ask-closed");
  }
  auto later = broker.ask(subject("c.example"), nullptr, t0);
  ASSERT_TRUE(later.now);
  EXPECT_FALSE(later.now->allowed);
  EXPECT_NE(later.now->reason.find("the agent channel closed"), std::string::npos);
  EXPECT_EQ(asked.size(), 2u);
}

TEST_F(Fixture, CancelledWaitersAreNotCalledButTheQuestionStays) {
  const uint64_t w = wait("gone.example", 0);
  broker.cancel(w);
  EXPECT_EQ(broker.waiting(), 0u);
  EXPECT_EQ(broker.open_questions(), 1u);
  broker.answer(asked[0].id, AskDecision::AllowAlways, "");
  EXPECT_FALSE(answers[0]);
  EXPECT_EQ(persisted.size(), 1u);  // a late "always" still counts
  broker.cancel(w);                 // twice: harmless
}

TEST_F(Fixture, WaitingIsBounded) {
  for (int i = 0; i < 4; ++i) wait("h" + std::to_string(i) + ".example", size_t(i));
  auto over = broker.ask(subject("h4.example"), nullptr, t0);
  ASSERT_TRUE(over.now);
  EXPECT_FALSE(over.now->allowed);
  EXPECT_EQ(over.now->rule, "ask-limit");
  EXPECT_NE(over.now->reason.find("4 connections are already waiting"), std::string::npos);
  // Joining an open question is bounded too.
  EXPECT_EQ(broker.ask(subject("h0.example"), nullptr, t0).now->rule, "ask-limit");
  EXPECT_EQ(asked.size(), 4u);
}

TEST_F(Fixture, ShutdownDropsWaitersSilently) {
  wait("a.example", 0);
  broker.shutdown();
  EXPECT_FALSE(answers[0]);
  EXPECT_EQ(broker.answer(asked[0].id, AskDecision::AllowOnce, ""),
            AskBroker::AnswerResult::UnknownId);
}

TEST(AskBrokerFronts, EveryAnswererSeesTheQuestionAndItsEnd) {
  // A terminal prompt and the agent channel (or `paddock ctl`) at once: the first answer wins,
  // the others take their prompt down.
  AskBroker broker(AskBrokerOptions{60s, 8, 100});
  std::vector<uint64_t> a_asked, b_asked, a_settled, b_settled;
  broker.add_front({[&](const AskQuestion& q) { a_asked.push_back(q.id); },
                    [&](uint64_t id, const AskAnswer&) { a_settled.push_back(id); }});
  broker.add_front({[&](const AskQuestion& q) { b_asked.push_back(q.id); },
                    [&](uint64_t id, const AskAnswer&) { b_settled.push_back(id); }});
  const auto t0 = Clock::now();
  broker.ask(subject("one.example"), nullptr, t0);
  broker.ask(subject("two.example"), nullptr, t0);
  ASSERT_EQ(a_asked, b_asked);
  ASSERT_EQ(a_asked.size(), 2u);
  EXPECT_EQ(broker.answer(a_asked[0], AskDecision::Deny, ""), AskBroker::AnswerResult::Applied);
  EXPECT_EQ(broker.answer(a_asked[0], AskDecision::AllowRun, ""),
            AskBroker::AnswerResult::UnknownId);  // the second answer finds it settled
  broker.expire(t0 + 61s);
  EXPECT_EQ(a_settled, (std::vector<uint64_t>{a_asked[0], a_asked[1]}));
  EXPECT_EQ(b_settled, a_settled);
}

TEST(AskBrokerThreads, ManyAskersOneAnswerer) {
  AskBroker broker(AskBrokerOptions{60s, 1000, 100});
  std::mutex mu;
  std::vector<uint64_t> ids;
  broker.add_front({[&](const AskQuestion& q) {
                      std::lock_guard<std::mutex> g(mu);
                      ids.push_back(q.id);
                    },
                    nullptr});
  std::atomic<int> answered{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 50; ++i)
        broker.ask(
            subject("same.example"), [&](const AskAnswer&) { ++answered; }, Clock::now());
    });
  for (auto& t : ts) t.join();
  ASSERT_EQ(ids.size(), 1u);
  broker.answer(ids[0], AskDecision::AllowOnce, "");
  EXPECT_EQ(answered.load(), 200);
}

}  // namespace
}  // namespace paddock::proxy
