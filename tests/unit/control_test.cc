#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "control/ctl_dir.h"
#include "control/protocol.h"
#include "control/recent_denials.h"
#include "control/run_control.h"
#include "proxy/decide/ask_broker.h"
#include "proxy/decide/live_rules.h"

namespace paddock::control {
namespace {

using namespace std::chrono_literals;

// ---- messages

TEST(ControlProtocol, RequestsRoundTrip) {
  for (auto op : {Request::Op::Summary, Request::Op::Show, Request::Op::Allow, Request::Op::Deny}) {
    Request r{op, op == Request::Op::Allow || op == Request::Op::Deny ? "*.example.com:443" : ""};
    std::string line = format_request(r);
    ASSERT_EQ(line.back(), '\n');
    line.pop_back();
    auto back = parse_request(line);
    ASSERT_TRUE(back.ok()) << line;
    EXPECT_EQ(back->op, op);
    EXPECT_EQ(back->domain, r.domain);
  }
}

TEST(ControlProtocol, RequestsAreParsedStrictly) {
  auto refused = [](std::string_view line, std::string_view why) {
    auto r = parse_request(line);
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_NE(r.error().detail.find(why), std::string::npos) << r.error().detail;
  };
  refused("", "not JSON");
  refused("{\"op\":\"show\"", "not JSON");
  refused("[\"show\"]", "not a JSON object");
  refused("\"show\"", "not a JSON object");
  refused("{}", "no \"op\"");
  refused("{\"op\":1}", "no \"op\"");
  refused("{\"op\":\"reboot\"}", "unknown op");
  refused("{\"op\":\"show\",\"domain\":\"a.test\"}", "unexpected field \"domain\"");
  refused("{\"op\":\"allow\"}", "without a \"domain\"");
  refused("{\"op\":\"allow\",\"domain\":7}", "without a \"domain\"");
  refused("{\"op\":\"deny\",\"domain\":\"a.test\",\"x\":1}", "unexpected field \"x\"");
  refused("{\"op\":\"show\",\"x\":{\"y\":1}}", "nested too deeply");
  refused(std::string(kMaxRequestBytes + 1, ' '), "longer than");
  // Duplicate keys: nlohmann keeps the last; the op is still a known one or refused.
  auto dup = parse_request("{\"op\":\"show\",\"op\":\"summary\"}");
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->op, Request::Op::Summary);
}

Response full_response() {
  Response r;
  r.ok = true;
  Summary s;
  s.id = "0123456789ab";
  s.pid = 4242;
  s.started = 1700000000;
  s.project = "/home/u/p";
  s.command = {"sh", "-c", "echo \x1b[31m; x"};
  s.ask = true;
  s.questions = 2;
  r.summary = s;
  r.questions.push_back(OpenQuestion{3, "ask.test", 443, "connect", "no rule"});
  r.rules.push_back(RuleEntry{"allow", "a.test"});
  r.rules.push_back(RuleEntry{"deny", "*.b.test:80"});
  r.denials.push_back(
      DenialEntry{1700000000123, "network", "connect d.test:443", "default-deny", 3});
  r.denials.push_back(
      DenialEntry{1700000000456, "filesystem", "create /p/.bashrc\xff", "protected", 1});
  r.change = Change{"allow", "a.test", "added", 1, "still denied"};
  return r;
}

TEST(ControlProtocol, ResponsesRoundTrip) {
  const Response r = full_response();
  std::string line = format_response(r);
  ASSERT_EQ(line.back(), '\n');
  line.pop_back();
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto back = parse_response(line);
  ASSERT_TRUE(back.ok()) << back.error().message() << "\n" << line;
  ASSERT_TRUE(back->summary);
  EXPECT_EQ(back->summary->id, "0123456789ab");
  EXPECT_EQ(back->summary->pid, 4242);
  EXPECT_EQ(back->summary->started, 1700000000);
  EXPECT_EQ(back->summary->command, r.summary->command);
  EXPECT_TRUE(back->summary->ask);
  EXPECT_EQ(back->summary->questions, 2u);
  ASSERT_EQ(back->questions.size(), 1u);
  EXPECT_EQ(back->questions[0].id, 3u);
  EXPECT_EQ(back->questions[0].port, 443);
  ASSERT_EQ(back->rules.size(), 2u);
  EXPECT_EQ(back->rules[1].pattern, "*.b.test:80");
  ASSERT_EQ(back->denials.size(), 2u);
  EXPECT_EQ(back->denials[0].count, 3u);
  EXPECT_EQ(back->denials[0].time_ms, 1700000000123);
  // Invalid UTF-8 arrives replaced, never as a broken line.
  EXPECT_EQ(back->denials[1].what, "create /p/.bashrc\xef\xbf\xbd");
  ASSERT_TRUE(back->change);
  EXPECT_EQ(back->change->answered, 1u);
  EXPECT_EQ(back->change->note, "still denied");

  Response no;
  no.ok = false;
  no.error = "why";
  line = format_response(no);
  line.pop_back();
  EXPECT_EQ(line, "{\"ok\":false,\"error\":\"why\"}");
  back = parse_response(line);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->ok);
  EXPECT_EQ(back->error, "why");
}

TEST(ControlProtocol, ResponsesKeepTheirTypesAndIgnoreNewFields) {
  auto parsed = [](std::string_view line) { return parse_response(line).ok(); };
  EXPECT_TRUE(parsed("{\"ok\":true,\"later\":{\"a\":[1]},\"summary\":{\"id\":\"x\",\"new\":1}}"));
  EXPECT_FALSE(parsed("{\"ok\":\"yes\"}"));
  EXPECT_FALSE(parsed("{\"ok\":false}"));                         // a refusal says why
  EXPECT_FALSE(parsed("{\"ok\":true,\"summary\":{\"pid\":1}}"));  // no id
  EXPECT_FALSE(parsed("{\"ok\":true,\"summary\":{\"id\":\"x\",\"pid\":\"1\"}}"));
  EXPECT_FALSE(parsed("{\"ok\":true,\"summary\":{\"id\":\"x\",\"pid\":1.5}}"));
  EXPECT_FALSE(parsed("{\"ok\":true,\"summary\":{\"id\":\"x\",\"questions\":-1}}"));
  EXPECT_FALSE(parsed("{\"ok\":true,\"summary\":{\"id\":\"x\",\"command\":[1]}}"));
  EXPECT_FALSE(parsed("{\"ok\":true,\"questions\":[{\"id\":\"1\",\"port\":65536}]}"));
  EXPECT_FALSE(parsed("{\"ok\":true,\"questions\":[{\"id\":\"x1\"}]}"));
  EXPECT_FALSE(parsed("{\"ok\":true,\"questions\":[{\"id\":\"99999999999999999999\"}]}"));
  EXPECT_FALSE(parsed("{\"ok\":true,\"questions\":{}}"));
  EXPECT_FALSE(parsed("{\"ok\":true,\"denials\":[{\"kind\":\"network\"}]}"));  // no what
  EXPECT_FALSE(parsed("{\"ok\":true,\"rules\":[\"allow a.test\"]}"));
  EXPECT_FALSE(parsed("{\"ok\":true,\"change\":{\"action\":\"allow\"}}"));
  EXPECT_FALSE(parsed("{\"ok\":true,\"summary\":{\"id\":\"x\",\"command\":[[[\"deep\"]]]}}"));
  EXPECT_TRUE(parsed("{\"ok\":true,\"summary\":{\"id\":\"x\",\"pid\":9223372036854775807}}"));
  EXPECT_FALSE(parsed("{\"ok\":true,\"summary\":{\"id\":\"x\",\"pid\":9223372036854775808}}"));
}

// ---- where the sockets live

TEST(ControlDir, RootsToHide) {
  EXPECT_EQ(control_roots("/run/user/1000", 1000),
            (std::vector<std::string>{"/run/user/1000/paddock", "/tmp/paddock-1000"}));
  EXPECT_EQ(control_roots("/run/user/1000//", 1000)[0], "/run/user/1000/paddock");
  EXPECT_EQ(control_roots(nullptr, 0), (std::vector<std::string>{"/tmp/paddock-0"}));
  EXPECT_EQ(control_roots("relative", 5), (std::vector<std::string>{"/tmp/paddock-5"}));
  EXPECT_EQ(control_roots("", 5), (std::vector<std::string>{"/tmp/paddock-5"}));
}

TEST(ControlDir, OnlyOurOwnPrivateDirectories) {
  struct stat st {};
  st.st_mode = S_IFDIR | 0700;
  st.st_uid = 1000;
  EXPECT_FALSE(unsafe_directory(st, 1000));
  st.st_uid = 0;
  EXPECT_NE(unsafe_directory(st, 1000)->find("owned by uid 0"), std::string::npos);
  EXPECT_TRUE(unsafe_directory(st, 1000));
  st.st_uid = 1000;
  for (mode_t m : {0710, 0701, 0750, 0755, 0777, 01777}) {
    st.st_mode = S_IFDIR | m;
    auto why = unsafe_directory(st, 1000);
    ASSERT_TRUE(why) << m;
    EXPECT_NE(why->find("lets others in"), std::string::npos) << *why;
  }
  st.st_mode = S_IFLNK | 0700;
  EXPECT_EQ(*unsafe_directory(st, 1000), "not a directory");
}

TEST(ControlDir, Ids) {
  auto id = new_id();
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(valid_id(*id)) << *id;
  EXPECT_NE(*id, *new_id());
  EXPECT_EQ(id_of_socket_name(socket_name(*id)), *id);
  for (const char* bad : {"0123456789ab.new", "0123456789AB.sock", "0123456789a.sock",
                          "0123456789abc.sock", "../../etc.sock", ".sock", "0123456789ab"})
    EXPECT_FALSE(id_of_socket_name(bad)) << bad;
}

TEST(ControlDir, MadePrivateCheckedAndNeverBeneathAWritablePath) {
  char tmpl[] = "/tmp/paddock-ctl-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string xdg = tmpl;
  ASSERT_EQ(::chmod(xdg.c_str(), 0700), 0);
  // Beneath a writable root: refused, and nothing made.
  auto d = make_control_dir(xdg, {"/nonexistent", xdg});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find("which the sandbox may write"), std::string::npos);
  EXPECT_NE(::access((xdg + "/paddock").c_str(), F_OK), 0);
  d = make_control_dir(xdg, {"/nonexistent"});
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->path, xdg + "/paddock/ctl");
  struct stat st {};
  ASSERT_EQ(::stat((xdg + "/paddock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(::stat((xdg + "/paddock/ctl").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  std::vector<std::string> refused;
  auto found = find_control_dirs(xdg, refused);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].path, xdg + "/paddock/ctl");
  // Opened to others: refused, by the maker and the finder alike.
  ASSERT_EQ(::chmod((xdg + "/paddock/ctl").c_str(), 0755), 0);
  EXPECT_FALSE(make_control_dir(xdg).ok());
  found = find_control_dirs(xdg, refused);
  for (const auto& f : found) EXPECT_NE(f.path, xdg + "/paddock/ctl");
  ASSERT_FALSE(refused.empty());
  EXPECT_NE(refused.back().find("lets others in"), std::string::npos) << refused.back();
  ::rmdir((xdg + "/paddock/ctl").c_str());
  // A symlink in its place: refused, not followed.
  ASSERT_EQ(::symlink(xdg.c_str(), (xdg + "/paddock/ctl").c_str()), 0);
  d = make_control_dir(xdg);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find("symlink"), std::string::npos);
  ::unlink((xdg + "/paddock/ctl").c_str());
  ::rmdir((xdg + "/paddock").c_str());
  ::rmdir(xdg.c_str());
}

// ---- the ring

TEST(RecentDenials, BoundedWithRepeatsCounted) {
  RecentDenials r;
  const auto t = std::chrono::system_clock::now();
  r.add(Denial{t, true, "connect a.test:443", "default-deny", 1});
  r.add(Denial{t + 1s, true, "connect a.test:443", "default-deny", 1});
  r.add(Denial{t + 2s, false, "create /p/.bashrc", "protected name", 1});
  auto l = r.list();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].count, 2u);
  EXPECT_EQ(l[0].time, t + 1s);
  for (int i = 0; i < 200; ++i)
    r.add(Denial{t, true, "connect h" + std::to_string(i) + ".test:443", "default-deny", 1});
  l = r.list();
  ASSERT_EQ(l.size(), RecentDenials::kKept);
  EXPECT_EQ(l.back().what, "connect h199.test:443");
  EXPECT_EQ(l.front().what, "connect h150.test:443");
  r.add(Denial{t, false, std::string(5000, 'x'), std::string(5000, 'y'), 1});
  EXPECT_EQ(r.list().back().what.size(), RecentDenials::kMaxText + 3);
}

// ---- what a request does to the run

struct RunFixture : ::testing::Test {
  RunFixture() {
    auto r = proxy::NetworkRules::compile({"allowed.test"}, {"denied.test"}, {}, {});
    EXPECT_TRUE(r.ok());
    rules = std::move(*r);
    rules.set_live(live);
    broker = std::make_shared<proxy::AskBroker>(proxy::AskBrokerOptions{60s, 16, 100});
    broker->add_front({[this](const proxy::AskQuestion& q) { asked.push_back(q.id); }, nullptr});
  }
  std::shared_ptr<RunControl> make(bool with_broker = true) {
    RunInfo info{"0123456789ab", 42, 1700000000, "/p", {"npm", "install"}};
    auto c =
        std::make_shared<RunControl>(info, rules, live, with_broker ? broker : nullptr, recent);
    if (with_broker)
      broker->set_standing([c](const proxy::AskSubject& s) { return c->standing(s); });
    return c;
  }
  // A connection waiting for an answer about host:port; the answer lands in answers[host].
  void wait(const std::string& host, uint16_t port = 443) {
    proxy::AskSubject s;
    s.host = host;
    s.port = port;
    s.protocol = proxy::Protocol::Connect;
    s.rule = "default-deny";
    auto a = broker->ask(
        s, [this, host](const proxy::AskAnswer& x) { answers[host] = x; },
        proxy::AskBroker::Clock::now());
    EXPECT_FALSE(a.now) << host;
  }
  Response request(RunControl& c, Request::Op op, std::string domain = {}) {
    return c.handle(Request{op, std::move(domain)});
  }

  proxy::NetworkRules rules;
  std::shared_ptr<proxy::LiveRules> live = std::make_shared<proxy::LiveRules>();
  std::shared_ptr<proxy::AskBroker> broker;
  std::shared_ptr<RecentDenials> recent = std::make_shared<RecentDenials>();
  std::vector<uint64_t> asked;
  std::map<std::string, proxy::AskAnswer> answers;
};

TEST_F(RunFixture, SummaryAndShow) {
  auto c = make();
  wait("ask.test");
  recent->add(Denial{std::chrono::system_clock::now(), true, "http d.test:80", "default-deny", 1});
  Response s = request(*c, Request::Op::Summary);
  ASSERT_TRUE(s.ok && s.summary);
  EXPECT_EQ(s.summary->id, "0123456789ab");
  EXPECT_EQ(s.summary->command, (std::vector<std::string>{"npm", "install"}));
  EXPECT_TRUE(s.summary->ask);
  EXPECT_EQ(s.summary->questions, 1u);
  EXPECT_TRUE(s.questions.empty() && s.denials.empty());
  request(*c, Request::Op::Deny, "x.test");
  Response show = request(*c, Request::Op::Show);
  ASSERT_EQ(show.questions.size(), 1u);
  EXPECT_EQ(show.questions[0].host, "ask.test");
  ASSERT_EQ(show.rules.size(), 1u);
  EXPECT_EQ(show.rules[0].action, "deny");
  ASSERT_EQ(show.denials.size(), 1u);
  EXPECT_EQ(show.denials[0].what, "http d.test:80");
  EXPECT_EQ(show.denials[0].kind, "network");
  broker->shutdown();
}

TEST_F(RunFixture, AllowAnswersTheOpenQuestionsItSettles) {
  auto c = make();
  wait("ask.test", 443);
  wait("ask.test", 8080);
  wait("a.wild.test");
  wait("other.test");
  Response r = request(*c, Request::Op::Allow, "ask.test:443");
  ASSERT_TRUE(r.ok && r.change) << r.error;
  EXPECT_EQ(r.change->outcome, "added");
  EXPECT_EQ(r.change->answered, 1u);
  ASSERT_TRUE(answers.count("ask.test"));
  EXPECT_TRUE(answers["ask.test"].allowed);
  EXPECT_EQ(answers["ask.test"].rule, "ask:allow_run");
  EXPECT_NE(answers["ask.test"].reason.find("paddock ctl allow ask.test:443"), std::string::npos);
  r = request(*c, Request::Op::Allow, "*.wild.test");
  EXPECT_EQ(r.change->answered, 1u);
  EXPECT_TRUE(answers["a.wild.test"].allowed);
  r = request(*c, Request::Op::Deny, "other.test");
  EXPECT_EQ(r.change->answered, 1u);
  EXPECT_FALSE(answers["other.test"].allowed);
  EXPECT_EQ(answers["other.test"].rule, "ask:deny");
  // ask.test:8080 still waits.
  EXPECT_EQ(broker->open_questions(), 1u);
  broker->shutdown();
}

TEST_F(RunFixture, AConnectionAskingAfterTheRuleChangedIsAnsweredByIt) {
  auto c = make();
  request(*c, Request::Op::Allow, "late.test");
  proxy::AskSubject s;
  s.host = "late.test";
  s.port = 443;
  auto a = broker->ask(
      s, [](const proxy::AskAnswer&) {}, proxy::AskBroker::Clock::now());
  ASSERT_TRUE(a.now);
  EXPECT_TRUE(a.now->allowed);
  EXPECT_EQ(a.now->rule, "ctl:late.test");
  request(*c, Request::Op::Deny, "late2.test");
  s.host = "late2.test";
  a = broker->ask(
      s, [](const proxy::AskAnswer&) {}, proxy::AskBroker::Clock::now());
  ASSERT_TRUE(a.now);
  EXPECT_FALSE(a.now->allowed);
  EXPECT_TRUE(asked.empty());
  broker->shutdown();
}

TEST_F(RunFixture, RefusedPatternsAndNotes) {
  auto c = make(/*with_broker=*/false);
  for (const char* bad : {"*", "*.com", "localhost", "127.0.0.1:80", "[::1]", "a.localhost",
                          "https://x.test", "x.test/path", "", "a b.test", "x.test:0"}) {
    Response r = request(*c, Request::Op::Allow, bad);
    EXPECT_FALSE(r.ok) << bad;
    EXPECT_FALSE(r.error.empty()) << bad;
  }
  EXPECT_TRUE(live->empty());
  // Deny takes "*" (every host), and IP literals are patterns like at start.
  EXPECT_TRUE(request(*c, Request::Op::Allow, "192.0.2.1:443").ok);
  EXPECT_TRUE(request(*c, Request::Op::Deny, "*").ok);
  // A settings deny still wins: the answer says so.
  Response r = request(*c, Request::Op::Allow, "denied.test");
  ASSERT_TRUE(r.ok);
  EXPECT_NE(r.change->note.find("still denied"), std::string::npos) << r.change->note;
  EXPECT_EQ(request(*c, Request::Op::Allow, "denied.test").change->outcome, "unchanged");
  EXPECT_FALSE(request(*c, Request::Op::Summary).summary->ask);
}

}  // namespace
}  // namespace paddock::control
