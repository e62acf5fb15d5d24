#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ask/agent_messages.h"
#include "settings/settings_append.h"

namespace paddock::ask {
namespace {

using Json = nlohmann::json;

TEST(AgentMessages, PermissionRequestIsOneLineOfJson) {
  proxy::AskQuestion q;
  q.id = 7;
  q.subject.host = "registry.npmjs.org";
  q.subject.port = 443;
  q.subject.protocol = proxy::Protocol::Connect;
  q.subject.rule = "default-deny";
  q.subject.reason = "registry.npmjs.org:443 matches no allowedDomains rule";
  q.timeout = std::chrono::seconds(60);
  const std::string line = format_permission_request(q);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const Json j = Json::parse(line);
  EXPECT_EQ(j["type"], "permission_request");
  EXPECT_EQ(j["id"], "7");
  EXPECT_EQ(j["host"], "registry.npmjs.org");
  EXPECT_EQ(j["port"], 443);
  EXPECT_EQ(j["protocol"], "connect");
  EXPECT_EQ(j["rule"], "default-deny");
  EXPECT_EQ(j["timeout_ms"], 60000);
}

TEST(AgentMessages, BlockedCarriesWhatTheRefusingPartKnows) {
  BlockedNotice n;
  n.protocol = "http";
  n.host = "example.org";
  n.port = 80;
  n.rule = "default-deny";
  n.reason = "example.org:80 matches no allowedDomains rule";
  n.advice = "--allow-domain example.org:80 allows it";
  Json j = Json::parse(format_blocked(n));
  EXPECT_EQ(j["kind"], "network");
  EXPECT_EQ(j["advice"], n.advice);
  EXPECT_FALSE(j.contains("path"));

  BlockedNotice f;
  f.kind = BlockedNotice::Kind::Filesystem;
  f.operation = "open";
  f.path = std::string("/home/u/.bashrc\n\xff", 17);  // names come from inside
  f.reason = "protected name";
  const std::string line = format_blocked(f);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  j = Json::parse(line);
  EXPECT_EQ(j["kind"], "filesystem");
  EXPECT_EQ(j["operation"], "open");
  EXPECT_FALSE(j.contains("port"));
}

TEST(AgentMessages, ParsesEachDecision) {
  for (auto [word, d] : {std::pair{"allow_once", proxy::AskDecision::AllowOnce},
                         std::pair{"allow_run", proxy::AskDecision::AllowRun},
                         std::pair{"allow_always", proxy::AskDecision::AllowAlways},
                         std::pair{"deny", proxy::AskDecision::Deny}}) {
    auto r = parse_agent_line(
        std::string(R"({"type":"permission_response","id":"12","decision":")") + word + R"("})");
    ASSERT_TRUE(r) << word << ": " << r.error().message();
    EXPECT_EQ(r->id, 12u);
    EXPECT_EQ(r->decision, d);
    EXPECT_EQ(r->reason, "");
  }
}

TEST(AgentMessages, ReasonIsMadePrintableAndCut) {
  auto r = parse_agent_line(
      R"({"type":"permission_response","id":"1","decision":"deny","reason":"no\r\nX-Evil: 1","extra":[1]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->reason.find('\n'), std::string::npos);
  EXPECT_EQ(r->reason.find('\r'), std::string::npos);
  auto long_reason =
      parse_agent_line(R"({"type":"permission_response","id":"1","decision":"deny","reason":")" +
                       std::string(5000, 'a') + R"("})");
  ASSERT_TRUE(long_reason);
  EXPECT_LE(long_reason->reason.size(), kMaxReasonBytes + 3);
}

TEST(AgentMessages, MalformedLinesSayWhy) {
  auto why = [](std::string_view line) {
    auto r = parse_agent_line(line);
    EXPECT_FALSE(r) << line;
    return r ? std::string() : r.error().detail;
  };
  EXPECT_EQ(why("not json"), "not JSON");
  EXPECT_EQ(why("[1,2]"), "not a JSON object");
  EXPECT_EQ(why(R"({"id":"1"})"), "no \"type\" string");
  EXPECT_NE(why(R"({"type":"hello"})").find("unknown type"), std::string::npos);
  EXPECT_NE(why(R"({"type":"permission_response","decision":"deny"})").find("\"id\""),
            std::string::npos);
  EXPECT_NE(why(R"({"type":"permission_response","id":1,"decision":"deny"})").find("\"id\""),
            std::string::npos);
  EXPECT_NE(why(R"({"type":"permission_response","id":"x1","decision":"deny"})").find("x1"),
            std::string::npos);
  EXPECT_NE(why(R"({"type":"permission_response","id":"01","decision":"deny"})").find("01"),
            std::string::npos);
  EXPECT_NE(why(R"({"type":"permission_response","id":"99999999999999999999","decision":"deny"})")
                .find("id"),
            std::string::npos);
  EXPECT_NE(
      why(R"({"type":"permission_response","id":"1","decision":"yes"})").find("unknown decision"),
      std::string::npos);
  EXPECT_NE(why(R"({"type":"permission_response","id":"1"})").find("decision"), std::string::npos);
  EXPECT_NE(
      why(R"({"type":"permission_response","id":"1","decision":"deny","reason":5})").find("reason"),
      std::string::npos);
  EXPECT_EQ(why(std::string(60000, '[')), "nested too deeply");
  EXPECT_EQ(why(R"({"a":{"b":{"c":{"d":{"e":1}}}}})"), "nested too deeply");
  EXPECT_NE(why(std::string(kMaxLineBytes + 1, ' ')).find("longer"), std::string::npos);
}

}  // namespace
}  // namespace paddock::ask

namespace paddock {
namespace {

TEST(SettingsAppend, CreatesTheFileWhenThereIsNone) {
  auto r = append_allowed_domain("", "a.example:443", "s.json");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->added);
  auto j = nlohmann::json::parse(r->text);
  EXPECT_EQ(j["network"]["allowedDomains"], nlohmann::json::array({"a.example:443"}));
}

TEST(SettingsAppend, KeepsEverythingElseInItsOrder) {
  const std::string text = R"({
  "filesystem": {"allowWrite": ["~/x"]},
  "network": {"deniedDomains": ["evil.example"], "allowedDomains": ["github.com"]},
  "paddock": {"passEnv": ["A_TOKEN"]}
})";
  auto r = append_allowed_domain(text, "a.example:443", "s.json");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->added);
  auto j = nlohmann::ordered_json::parse(r->text);
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"filesystem", "network", "paddock"}));
  EXPECT_EQ(j["network"]["allowedDomains"],
            nlohmann::ordered_json::array({"github.com", "a.example:443"}));
  EXPECT_EQ(j["network"]["deniedDomains"], nlohmann::ordered_json::array({"evil.example"}));
  EXPECT_EQ(j["paddock"]["passEnv"], nlohmann::ordered_json::array({"A_TOKEN"}));
  // Twice: listed once.
  auto again = append_allowed_domain(r->text, "a.example:443", "s.json");
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->added);
  EXPECT_EQ(again->text, r->text);
}

TEST(SettingsAppend, RefusesWhatItCannotEditSafely) {
  auto bad = append_allowed_domain("{\n  \"network\": {,\n}", "a.example", "s.json");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("not valid JSON (line 2"), std::string::npos)
      << bad.error().message();
  EXPECT_FALSE(append_allowed_domain("[]", "a.example", "s.json"));
  // Found by fuzzing: a number beyond a double's range threw out of the parser.
  EXPECT_FALSE(append_allowed_domain(R"({"x": 1e99999})", "a.example", "s.json"));
  EXPECT_FALSE(append_allowed_domain(R"({"network": []})", "a.example", "s.json"));
  EXPECT_FALSE(
      append_allowed_domain(R"({"network": {"allowedDomains": "x"}})", "a.example", "s.json"));
}

}  // namespace
}  // namespace paddock
