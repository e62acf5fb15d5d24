#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "proxy/decide/ask_broker.h"
#include "proxy/decide/decision.h"
#include "proxy/decide/domain_rules.h"
#include "proxy/decide/live_rules.h"

namespace paddock::proxy {
namespace {

Host host(std::string_view raw) {
  auto h = normalise_host(raw);
  EXPECT_TRUE(h.ok()) << raw;
  return h.ok() ? *h : Host{};
}

DomainPattern pattern(std::string_view p, LiveAction a) {
  auto r = parse_domain_pattern(p, a == LiveAction::Allow ? RuleList::Allowed : RuleList::Denied);
  EXPECT_TRUE(r.ok()) << p;
  return r.ok() ? *r : DomainPattern{};
}

struct Live : ::testing::Test {
  Live() {
    auto r = NetworkRules::compile({"allowed.test", "*.both.test"}, {"denied.test", "x.both.test"},
                                   {}, {});
    EXPECT_TRUE(r.ok());
    rules = std::move(*r);
    rules.set_live(live);
  }
  LiveRules::Added add(LiveAction a, std::string_view p) { return live->add(a, pattern(p, a)); }
  Decision decide(std::string_view h, uint16_t port = 443) { return rules.decide(host(h), port); }
  Decision decide_name(std::string_view h) { return rules.decide_name(host(h)); }

  std::shared_ptr<LiveRules> live = std::make_shared<LiveRules>();
  NetworkRules rules;
};

TEST_F(Live, NothingAddedChangesNothing) {
  EXPECT_TRUE(live->empty());
  EXPECT_TRUE(decide("allowed.test").allowed);
  EXPECT_EQ(decide("new.test").rule, "default-deny");
  EXPECT_EQ(decide_name("new.test").rule, "default-deny");
  EXPECT_FALSE(live->match(host("new.test"), 443));
}

TEST_F(Live, AllowReachesDecideAndTheResolverAtOnce) {
  EXPECT_EQ(add(LiveAction::Allow, "new.test"), LiveRules::Added::New);
  Decision d = decide("new.test");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.rule, "ctl:new.test");
  EXPECT_NE(d.reason.find("paddock ctl"), std::string::npos) << d.reason;
  EXPECT_TRUE(decide_name("new.test").allowed);
  EXPECT_FALSE(decide("other.test").allowed);
  // Copies made before the change see it too: they share the set.
  NetworkRules copy = rules;
  EXPECT_EQ(add(LiveAction::Allow, "*.later.test:8443"), LiveRules::Added::New);
  EXPECT_TRUE(copy.decide(host("a.later.test"), 8443).allowed);
  EXPECT_FALSE(copy.decide(host("a.later.test"), 443).allowed);
  EXPECT_FALSE(copy.decide(host("later.test"), 8443).allowed);
  EXPECT_TRUE(copy.decide_name(host("a.later.test")).allowed);  // on some port
}

TEST_F(Live, DenyMakesAnAllowedNameRefusedAndUnresolvable) {
  EXPECT_EQ(add(LiveAction::Deny, "allowed.test"), LiveRules::Added::New);
  Decision d = decide("allowed.test");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "ctl:allowed.test");
  EXPECT_FALSE(decide_name("allowed.test").allowed);
  // Not askable: a rule denied it.
  Verdict v = proxy::decide(rules, Request{Protocol::Connect, "allowed.test", 443});
  EXPECT_FALSE(v.allowed);
  EXPECT_FALSE(v.askable);
}

TEST_F(Live, DenyWithAPortKeepsTheNameResolvable) {
  add(LiveAction::Deny, "allowed.test:80");
  EXPECT_FALSE(decide("allowed.test", 80).allowed);
  EXPECT_TRUE(decide("allowed.test", 443).allowed);
  EXPECT_TRUE(decide_name("allowed.test").allowed);
}

TEST_F(Live, DenyBeatsAllowAndTheSettingsDenyBeatsEverything) {
  add(LiveAction::Allow, "denied.test");
  EXPECT_FALSE(decide("denied.test").allowed);
  EXPECT_EQ(decide("denied.test").rule, "denied.test");
  EXPECT_FALSE(decide_name("denied.test").allowed);
  // A live deny of a wider pattern beats a live allow of a narrower one.
  add(LiveAction::Allow, "a.wide.test");
  add(LiveAction::Deny, "*.wide.test");
  EXPECT_FALSE(decide("a.wide.test").allowed);
  EXPECT_EQ(decide("a.wide.test").rule, "ctl:*.wide.test");
  // And beats a settings allow.
  add(LiveAction::Deny, "*.both.test");
  EXPECT_FALSE(decide("y.both.test").allowed);
  // "*" denies everything in a deny rule.
  add(LiveAction::Deny, "*");
  EXPECT_FALSE(decide("allowed.test").allowed);
  EXPECT_FALSE(decide("1.2.3.4").allowed);
}

TEST_F(Live, TheSamePatternAgainReplacesOrChangesNothing) {
  EXPECT_EQ(add(LiveAction::Deny, "new.test"), LiveRules::Added::New);
  EXPECT_EQ(add(LiveAction::Deny, "NEW.test."), LiveRules::Added::Unchanged);
  EXPECT_FALSE(decide("new.test").allowed);
  EXPECT_EQ(add(LiveAction::Allow, "New.Test"), LiveRules::Added::Replaced);
  EXPECT_TRUE(decide("new.test").allowed);
  ASSERT_EQ(live->rules().size(), 1u);
  EXPECT_EQ(live->rules()[0].action, LiveAction::Allow);
  EXPECT_EQ(live->rules()[0].pattern, "New.Test");
  // With a port it is another pattern.
  EXPECT_EQ(add(LiveAction::Deny, "new.test:443"), LiveRules::Added::New);
  EXPECT_FALSE(decide("new.test", 443).allowed);
  EXPECT_TRUE(decide("new.test", 80).allowed);
}

TEST_F(Live, IpLiteralsAreMatchedLikeTheSettingsOnes) {
  add(LiveAction::Allow, "192.0.2.7:443");
  add(LiveAction::Allow, "[2001:db8::7]");
  EXPECT_TRUE(decide("192.0.2.7", 443).allowed);
  EXPECT_FALSE(decide("192.0.2.7", 80).allowed);
  EXPECT_TRUE(decide("2001:db8::7", 22).allowed);
}

TEST_F(Live, TheNumberOfRulesIsBounded) {
  for (size_t i = 0; i < LiveRules::kMaxRules; ++i)
    ASSERT_EQ(add(LiveAction::Allow, "h" + std::to_string(i) + ".test"), LiveRules::Added::New);
  EXPECT_EQ(add(LiveAction::Allow, "one-more.test"), LiveRules::Added::Full);
  // Replacing needs no room.
  EXPECT_EQ(add(LiveAction::Deny, "h0.test"), LiveRules::Added::Replaced);
}

TEST_F(Live, ReadersAndAWriterAtOnce) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t)
    readers.emplace_back([&] {
      while (!stop.load()) {
        (void)decide("h5.test");
        (void)decide_name("h7.test");
      }
    });
  for (int i = 0; i < 200; ++i)
    add(i % 2 ? LiveAction::Allow : LiveAction::Deny, "h" + std::to_string(i % 20) + ".test");
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(live->rules().size(), 20u);
}

TEST(AskStanding, AnAnswerThatStandsIsGivenWithoutAsking) {
  AskBroker broker;
  std::vector<AskQuestion> asked;
  broker.add_front({[&](const AskQuestion& q) { asked.push_back(q); }, nullptr});
  broker.set_standing([](const AskSubject& s) -> std::optional<AskAnswer> {
    if (s.host == "now-allowed.test") return AskAnswer{true, "ctl:now-allowed.test", "allowed"};
    return std::nullopt;
  });
  AskSubject s;
  s.host = "now-allowed.test";
  s.port = 443;
  auto a = broker.ask(
      s, [](const AskAnswer&) { FAIL() << "called"; }, AskBroker::Clock::now());
  ASSERT_TRUE(a.now.has_value());
  EXPECT_TRUE(a.now->allowed);
  EXPECT_EQ(a.now->rule, "ctl:now-allowed.test");
  EXPECT_TRUE(asked.empty());
  s.host = "other.test";
  a = broker.ask(
      s, [](const AskAnswer&) {}, AskBroker::Clock::now());
  EXPECT_FALSE(a.now.has_value());
  EXPECT_EQ(asked.size(), 1u);
  broker.shutdown();
}

}  // namespace
}  // namespace paddock::proxy
