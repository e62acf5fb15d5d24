#include <gtest/gtest.h>

#include "ask/terminal_prompt.h"

namespace paddock::ask {
namespace {

using Clock = PromptQueue::Clock;
using proxy::AskDecision;
using namespace std::chrono_literals;
using K = TerminalKey::Kind;

proxy::AskQuestion question(uint64_t id, std::string host, uint16_t port = 443,
                            proxy::Protocol p = proxy::Protocol::Connect) {
  proxy::AskQuestion q;
  q.id = id;
  q.subject.host = std::move(host);
  q.subject.port = port;
  q.subject.protocol = p;
  q.subject.rule = "default-deny";
  q.timeout = 60s;
  return q;
}

std::vector<TerminalKey> keys(std::string_view s) {
  std::vector<TerminalKey> out;
  for (char c : s) out.push_back(TerminalKey{K::Char, c});
  return out;
}

TEST(TerminalPromptKeys, EachAnswerKeyEitherCase) {
  EXPECT_EQ(decision_for_key('o'), AskDecision::AllowOnce);
  EXPECT_EQ(decision_for_key('R'), AskDecision::AllowRun);
  EXPECT_EQ(decision_for_key('a'), AskDecision::AllowAlways);
  EXPECT_EQ(decision_for_key('D'), AskDecision::Deny);
  for (char c : std::string_view("yYnNqx \r0")) EXPECT_FALSE(decision_for_key(c).has_value()) << c;
}

TEST(TerminalPromptKeys, OneAnswerKeyAnswers) {
  auto v = judge_keys(keys("r"), 1s);
  EXPECT_EQ(v.kind, KeyVerdict::Kind::Answer);
  EXPECT_EQ(v.decision, AskDecision::AllowRun);
  v = judge_keys(keys("d"), kTypeaheadGuard);
  EXPECT_EQ(v.kind, KeyVerdict::Kind::Answer);
  EXPECT_EQ(v.decision, AskDecision::Deny);
}

TEST(TerminalPromptKeys, AnythingElseAsksAgain) {
  EXPECT_EQ(judge_keys(keys("x"), 1s).kind, KeyVerdict::Kind::AskAgain);
  EXPECT_EQ(judge_keys({TerminalKey{}}, 1s).kind, KeyVerdict::Kind::AskAgain);  // Enter, é, F1
  // Several keys at once: a paste or typeahead, even when they start with an answer.
  EXPECT_EQ(judge_keys(keys("always"), 1s).kind, KeyVerdict::Kind::AskAgain);
  EXPECT_EQ(judge_keys(keys("oo"), 1s).kind, KeyVerdict::Kind::AskAgain);
  EXPECT_EQ(judge_keys({TerminalKey{K::Char, 'a'}, TerminalKey{}}, 1s).kind,
            KeyVerdict::Kind::AskAgain);
}

TEST(TerminalPromptKeys, NothingReadMeansNothing) {
  // A whole terminal reply: the reader gave no keys.
  EXPECT_EQ(judge_keys({}, 1s).kind, KeyVerdict::Kind::Nothing);
}

TEST(TerminalPromptKeys, KeysTypedBeforeTheQuestionCouldBeReadAreDropped) {
  EXPECT_EQ(judge_keys(keys("a"), 0ms).kind, KeyVerdict::Kind::Nothing);
  EXPECT_EQ(judge_keys(keys("a"), kTypeaheadGuard - 1ms).kind, KeyVerdict::Kind::Nothing);
  EXPECT_EQ(judge_keys(keys("xyz"), 10ms).kind, KeyVerdict::Kind::Nothing);
}

TEST(TerminalPromptKeys, CtrlCDeniesAlwaysEvenAmongOtherKeysAndAtOnce) {
  for (auto since : {0ms, 10ms, 1000ms}) {
    auto v = judge_keys({TerminalKey{K::Interrupt, 0}}, since);
    EXPECT_EQ(v.kind, KeyVerdict::Kind::Answer);
    EXPECT_EQ(v.decision, AskDecision::Deny);
    v = judge_keys({TerminalKey{K::Char, 'a'}, TerminalKey{K::Interrupt, 0}}, since);
    EXPECT_EQ(v.kind, KeyVerdict::Kind::Answer);
    EXPECT_EQ(v.decision, AskDecision::Deny);
  }
}

TEST(TerminalPromptQueue, OneAtATimeInTheOrderAsked) {
  PromptQueue q;
  const auto t = Clock::now();
  EXPECT_EQ(q.current(), nullptr);
  q.add(question(1, "a.test"), t);
  q.add(question(2, "b.test"), t);
  q.add(question(1, "a.test"), t);  // told twice: one entry
  EXPECT_EQ(q.size(), 2u);
  ASSERT_NE(q.current(), nullptr);
  EXPECT_EQ(q.current()->id, 1u);
  EXPECT_FALSE(q.shown());
  q.mark_shown(t + 1s);
  EXPECT_TRUE(q.shown());
  EXPECT_EQ(q.shown_at(), t + 1s);
  // Settled while waiting its turn: goes without being shown.
  EXPECT_FALSE(q.remove(2));
  EXPECT_EQ(q.current()->id, 1u);
  EXPECT_TRUE(q.shown());
  q.add(question(3, "c.test"), t);
  EXPECT_TRUE(q.remove(1));  // the one on the screen
  ASSERT_NE(q.current(), nullptr);
  EXPECT_EQ(q.current()->id, 3u);
  EXPECT_FALSE(q.shown());  // the next is yet to be drawn
  EXPECT_FALSE(q.remove(99));
  EXPECT_FALSE(q.remove(3));  // never shown
  EXPECT_EQ(q.current(), nullptr);
}

TEST(TerminalPromptRender, TheQuestionNamesHostPortHowAndTimeLeft) {
  PromptQueue q;
  const auto t = Clock::now();
  q.add(question(1, "registry.npmjs.org", 443), t);
  EXPECT_EQ(render_question(*q.current(), t),
            "paddock: allow registry.npmjs.org:443, CONNECT via the proxy? [o]nce [r]un "
            "[a]lways [d]eny (60 s) ");
  EXPECT_EQ(render_question(*q.current(), t + 15500ms).find("(45 s)") != std::string::npos, true);
  EXPECT_NE(render_question(*q.current(), t + 2min).find("(0 s)"), std::string::npos);
}

TEST(TerminalPromptRender, TheProcessWhereKnown) {
  PromptQueue q;
  auto qq = question(1, "ask.test", 8080, proxy::Protocol::Captured);
  qq.subject.process = "curl (pid 12)";
  q.add(qq, Clock::now());
  EXPECT_NE(render_question(*q.current(), Clock::now())
                .find("ask.test:8080, a direct connection from curl (pid 12)? "),
            std::string::npos);
  PromptQueue h;
  h.add(question(2, "ask.test", 80, proxy::Protocol::Http), Clock::now());
  EXPECT_NE(
      render_question(*h.current(), Clock::now()).find("ask.test:80, plain HTTP via the proxy? "),
      std::string::npos);
}

TEST(TerminalPromptRender, WhatTheSandboxChoseIsShownPrintable) {
  PromptQueue q;
  auto qq = question(1, "evil\r\npaddock: allow\x1b[2K.test", 443, proxy::Protocol::Captured);
  qq.subject.process = "x\x1b]0;t\x07 (pid 3)";
  q.add(qq, Clock::now());
  const std::string line = render_question(*q.current(), Clock::now());
  for (char c : line) {
    EXPECT_NE(c, '\x1b');
    EXPECT_NE(c, '\r');
    EXPECT_NE(c, '\n');
    EXPECT_NE(c, '\x07');
  }
  EXPECT_NE(line.find("evil\\r\\npaddock"), std::string::npos) << line;
  proxy::AskAnswer a{false, "ask-timeout", "bad\x1b[1mname:443 matches no rule"};
  const std::string settled = render_settled(a);
  EXPECT_EQ(settled, "\rpaddock: bad\\x1b[1mname:443 matches no rule\r\n");
}

TEST(TerminalPromptRender, EchoAndAskAgainEndTheirLines) {
  EXPECT_EQ(render_echo(AskDecision::AllowOnce), "once\r\n");
  EXPECT_EQ(render_echo(AskDecision::AllowRun), "run\r\n");
  EXPECT_EQ(render_echo(AskDecision::AllowAlways), "always\r\n");
  EXPECT_EQ(render_echo(AskDecision::Deny), "deny\r\n");
  const std::string again = render_ask_again();
  EXPECT_EQ(again.substr(0, 2), "\r\n");
  EXPECT_EQ(again.substr(again.size() - 2), "\r\n");
}

}  // namespace
}  // namespace paddock::ask
