#include "settings/settings.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "settings/settings_json.h"
#include "settings/settings_schema.h"
#include "temp_dir.h"

namespace paddock {
namespace {

namespace fs = std::filesystem;

constexpr const char* kName = "/x/s.json";

// The error message parse_settings gives for `json`, or "" (and a test failure) if it parses.
std::string parse_error(std::string_view json) {
  Result<Settings> r = parse_settings(json, kName);
  EXPECT_FALSE(r.ok()) << "parsed: " << json;
  return r.ok() ? std::string() : r.error().message();
}

Settings parse_ok(std::string_view json) {
  Result<Settings> r = parse_settings(json, kName);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(*r) : Settings{};
}

std::string prefixed(const std::string& detail) {
  return std::string("settings ") + kName + ": " + detail;
}

bool has_note(const Settings& s, const std::string& note) {
  return std::find(s.notes.begin(), s.notes.end(), note) != s.notes.end();
}

// ---------------------------------------------------------------------------------------------
// Valid files

TEST(SettingsParse, FullFile) {
  const Settings s = parse_ok(R"({
    "$schema": "https://example.com/paddock-settings.schema.json",
    "network": {
      "allowedDomains": ["github.com", "*.npmjs.org", "api.example.com:443", "[::1]:8080"],
      "deniedDomains": ["evil.example.com"],
      "allowUnixSockets": ["/run/user/1000/ssh-agent.sock"],
      "allowAllUnixSockets": false,
      "allowLocalBinding": true,
      "deniedResolvedAddresses": ["10.0.0.0/8", "fd00::/8"],
      "resolve": {"internal.example.com": "192.0.2.7", "db.example.com": "2001:db8::1",
                  "dual.example.com": ["::1", "127.0.0.1"]},
      "allowPrivateAddresses": true
    },
    "filesystem": {
      "denyRead": ["~/.ssh", "/etc/shadow"],
      "allowRead": ["~/.ssh/known_hosts"],
      "allowWrite": [".", "/tmp/build", "~/.cache/npm"],
      "denyWrite": [".env", "caf\u00e9/notes"],
      "protectedNames": [".tool/config", "*.hook"]
    },
    "paddock": {}
  })");
  EXPECT_EQ(
      s.network.allowed_domains,
      (std::vector<std::string>{"github.com", "*.npmjs.org", "api.example.com:443", "[::1]:8080"}));
  EXPECT_EQ(s.network.denied_domains, std::vector<std::string>{"evil.example.com"});
  EXPECT_EQ(s.network.allow_unix_sockets,
            std::vector<std::string>{"/run/user/1000/ssh-agent.sock"});
  EXPECT_FALSE(s.network.allow_all_unix_sockets);
  EXPECT_TRUE(s.network.allow_local_binding);
  EXPECT_EQ(s.network.denied_resolved_addresses,
            (std::vector<std::string>{"10.0.0.0/8", "fd00::/8"}));
  ASSERT_EQ(s.network.resolve.size(), 3u);
  EXPECT_EQ(s.network.resolve[0],
            (std::pair<std::string, std::string>{"internal.example.com", "192.0.2.7"}));
  EXPECT_EQ(s.network.resolve[1],
            (std::pair<std::string, std::string>{"db.example.com", "2001:db8::1"}));
  EXPECT_EQ(s.network.resolve[2],
            (std::pair<std::string, std::string>{"dual.example.com", "::1,127.0.0.1"}));
  EXPECT_EQ(s.filesystem.deny_read, (std::vector<std::string>{"~/.ssh", "/etc/shadow"}));
  EXPECT_EQ(s.filesystem.allow_read, std::vector<std::string>{"~/.ssh/known_hosts"});
  EXPECT_EQ(s.filesystem.allow_write,
            (std::vector<std::string>{".", "/tmp/build", "~/.cache/npm"}));
  EXPECT_EQ(s.filesystem.deny_write, (std::vector<std::string>{".env", "caf\xC3\xA9/notes"}));
  EXPECT_TRUE(s.network.allow_private_addresses);
  EXPECT_EQ(s.filesystem.protected_names, (std::vector<std::string>{".tool/config", "*.hook"}));
  EXPECT_TRUE(s.notes.empty());
  EXPECT_TRUE(s.source_path.empty());
  EXPECT_TRUE(s.unset_env.empty());
}

TEST(SettingsParse, EmptyObjectIsDefaults) {
  const Settings s = parse_ok("{}");
  EXPECT_TRUE(s.network.allowed_domains.empty());
  EXPECT_TRUE(s.filesystem.allow_write.empty());
  EXPECT_FALSE(s.network.allow_local_binding);
  EXPECT_FALSE(s.network.allow_private_addresses);
  EXPECT_TRUE(s.filesystem.protected_names.empty());
  EXPECT_TRUE(s.notes.empty());
}

TEST(SettingsParse, EmptySectionsAndListsAreFine) {
  const Settings s = parse_ok(
      R"({"network": {"allowedDomains": [], "resolve": {}}, "filesystem": {"denyRead": []}})");
  EXPECT_TRUE(s.network.allowed_domains.empty());
  EXPECT_TRUE(s.network.resolve.empty());
}

TEST(SettingsParse, ByteOrderMarkAndSurroundingWhitespace) {
  const Settings s = parse_ok("\xEF\xBB\xBF \n {\"filesystem\": {\"denyRead\": [\"/a\"]}} \n\t");
  EXPECT_EQ(s.filesystem.deny_read, std::vector<std::string>{"/a"});
}

TEST(SettingsParse, NonAsciiPathsAndEscapes) {
  const Settings s =
      parse_ok(R"({"filesystem": {"allowWrite": ["/tmp/\u00fc\u4e2d", "/a\tb", "/x\"y\\z"]}})");
  EXPECT_EQ(s.filesystem.allow_write,
            (std::vector<std::string>{"/tmp/\xC3\xBC\xE4\xB8\xAD", "/a\tb", "/x\"y\\z"}));
}

TEST(SettingsParse, LaterSectionDoesNotResetEarlierOne) {
  const Settings s =
      parse_ok(R"({"filesystem": {"denyRead": ["/a"]}, "network": {"allowedDomains": ["a.com"]}})");
  EXPECT_EQ(s.filesystem.deny_read, std::vector<std::string>{"/a"});
  EXPECT_EQ(s.network.allowed_domains, std::vector<std::string>{"a.com"});
}

TEST(SettingsParse, ManyRulesParseQuickly) {
  std::string json = R"({"network": {"resolve": {)";
  for (int i = 0; i < 50000; ++i) {
    if (i > 0) json += ',';
    json += "\"h" + std::to_string(i) + ".example.com\": \"192.0.2.1\"";
  }
  json += "}}, \"filesystem\": {\"denyRead\": [";
  for (int i = 0; i < 50000; ++i) json += (i > 0 ? ",\"/p" : "\"/p") + std::to_string(i) + "\"";
  json += "]}}";
  const Settings s = parse_ok(json);
  EXPECT_EQ(s.network.resolve.size(), 50000u);
  EXPECT_EQ(s.filesystem.deny_read.size(), 50000u);
}

// ---------------------------------------------------------------------------------------------
// Error fields

TEST(SettingsErrors, ErrorFieldsReadAsOneSentence) {
  Result<Settings> r = parse_settings(R"({"filesystem": {"denyREAD": []}})", kName);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().op, "settings");
  EXPECT_EQ(r.error().path, kName);
  EXPECT_EQ(r.error().err, 0);
  EXPECT_EQ(r.error().exit_code, 125);
  EXPECT_EQ(r.error().detail, "filesystem.denyREAD: unknown key (did you mean denyRead?)");
  EXPECT_EQ(r.error().message(),
            "settings /x/s.json: filesystem.denyREAD: unknown key (did you mean denyRead?)");
}

TEST(SettingsErrors, FirstErrorInFileOrderWins) {
  EXPECT_EQ(parse_error(R"({"network": 1, "filesystem": 2})"),
            prefixed("network: expected an object, got number"));
  EXPECT_EQ(parse_error(R"({"filesystem": 2, "network": 1})"),
            prefixed("filesystem: expected an object, got number"));
}

// ---------------------------------------------------------------------------------------------
// Type errors

struct Case {
  const char* json;
  const char* detail;
};

class SettingsTypeErrors : public testing::TestWithParam<Case> {};

TEST_P(SettingsTypeErrors, NamesKeyPathAndTypes) {
  EXPECT_EQ(parse_error(GetParam().json), prefixed(GetParam().detail));
}

INSTANTIATE_TEST_SUITE_P(
    All, SettingsTypeErrors,
    testing::Values(
        Case{R"({"network": []})", "network: expected an object, got array"},
        Case{R"({"network": null})", "network: expected an object, got null"},
        Case{R"({"filesystem": "x"})", "filesystem: expected an object, got string"},
        Case{R"({"network": {"allowedDomains": "a.com"}})",
             "network.allowedDomains: expected an array of strings, got string"},
        Case{R"({"network": {"allowedDomains": ["a.com", "b.com", 3]}})",
             "network.allowedDomains[2]: expected a string, got number"},
        Case{R"({"network": {"deniedDomains": [["a.com"]]}})",
             "network.deniedDomains[0]: expected a string, got array"},
        Case{R"({"network": {"allowUnixSockets": {"a": 1}}})",
             "network.allowUnixSockets: expected an array of strings, got object"},
        Case{R"({"network": {"allowUnixSockets": [false]}})",
             "network.allowUnixSockets[0]: expected a string, got boolean"},
        Case{R"({"network": {"allowAllUnixSockets": "yes"}})",
             "network.allowAllUnixSockets: expected true or false, got string"},
        Case{R"({"network": {"allowLocalBinding": 1}})",
             "network.allowLocalBinding: expected true or false, got number"},
        Case{R"({"network": {"allowLocalBinding": null}})",
             "network.allowLocalBinding: expected true or false, got null"},
        Case{R"({"network": {"allowPrivateAddresses": "yes"}})",
             "network.allowPrivateAddresses: expected true or false, got string"},
        Case{R"({"network": {"allowPrivateAddresses": 1}})",
             "network.allowPrivateAddresses: expected true or false, got number"},
        Case{R"({"filesystem": {"protectedNames": ".tool"}})",
             "filesystem.protectedNames: expected an array of strings, got string"},
        Case{R"({"filesystem": {"protectedNames": [1]}})",
             "filesystem.protectedNames[0]: expected a string, got number"},
        Case{R"({"filesystem": {"protectedNames": [""]}})",
             "filesystem.protectedNames[0]: is empty; expected a path"},
        Case{R"({"network": {"deniedResolvedAddresses": {}}})",
             "network.deniedResolvedAddresses: expected an array of strings, got object"},
        Case{R"({"network": {"deniedResolvedAddresses": [null]}})",
             "network.deniedResolvedAddresses[0]: expected a string, got null"},
        Case{R"({"network": {"resolve": ["a.com=1.2.3.4"]}})",
             "network.resolve: expected an object mapping host names to addresses, got array"},
        Case{
            R"({"network": {"resolve": {"a.example.com": 1}}})",
            R"(network.resolve["a.example.com"]: expected a string (an address) or an array of addresses, got number)"},
        Case{R"({"network": {"resolve": {"a": []}}})",
             "network.resolve.a: an empty list of addresses"},
        Case{R"({"network": {"resolve": {"a": ["1.2.3.4", 5]}}})",
             "network.resolve.a[1]: expected a string, got number"},
        Case{R"({"network": {"resolve": {"a": ["1.2.3.4,5.6.7.8"]}}})",
             R"(network.resolve.a: "1.2.3.4,5.6.7.8": one address per string)"},
        Case{R"({"filesystem": {"denyRead": [true]}})",
             "filesystem.denyRead[0]: expected a string, got boolean"},
        Case{R"({"filesystem": {"allowRead": {}}})",
             "filesystem.allowRead: expected an array of strings, got object"},
        Case{R"({"filesystem": {"allowWrite": 3}})",
             "filesystem.allowWrite: expected an array of strings, got number"},
        Case{R"({"filesystem": {"denyWrite": ["/a", null]}})",
             "filesystem.denyWrite[1]: expected a string, got null"},
        Case{R"({"$schema": 1})", "$schema: expected a string (a schema URL), got number"},
        Case{R"({"paddock": []})", "paddock: expected an object, got array"},
        // srt-only keys are type-checked too.
        Case{R"({"ignoreViolations": []})", "ignoreViolations: expected an object, got array"},
        Case{R"({"enableWeakerNestedSandbox": "true"})",
             "enableWeakerNestedSandbox: expected true or false, got string"},
        Case{R"({"mandatoryDenySearchDepth": 0})",
             "mandatoryDenySearchDepth: expected an integer from 1 to 10, got 0"},
        Case{R"({"mandatoryDenySearchDepth": 11})",
             "mandatoryDenySearchDepth: expected an integer from 1 to 10, got 11"},
        Case{R"({"mandatoryDenySearchDepth": 2.5})",
             "mandatoryDenySearchDepth: expected an integer from 1 to 10, got 2.5"},
        Case{R"({"mandatoryDenySearchDepth": "3"})",
             "mandatoryDenySearchDepth: expected an integer from 1 to 10, got string"},
        Case{R"({"network": {"httpProxyPort": 70000}})",
             "network.httpProxyPort: expected an integer from 1 to 65535, got 70000"},
        Case{R"({"network": {"socksProxyPort": -1}})",
             "network.socksProxyPort: expected an integer from 1 to 65535, got -1"},
        Case{R"({"network": {"allowMachLookup": [1]}})",
             "network.allowMachLookup[0]: expected a string, got number"},
        Case{R"({"network": {"mitmProxy": "unix:/x"}})",
             "network.mitmProxy: expected an object, got string"},
        Case{R"({"network": {"filterRequest": "function () {}"}})",
             "network.filterRequest: is a callback of srt's library API; a settings file cannot "
             "set it"},
        Case{R"({"filesystem": {"allowGitConfig": "no"}})",
             "filesystem.allowGitConfig: expected true or false, got string"},
        Case{R"({"ripgrep": "rg"})", "ripgrep: expected an object, got string"},
        Case{R"({"bwrapPath": false})", "bwrapPath: expected a string, got boolean"},
        // credentials, which paddock acts on.
        Case{R"({"credentials": []})", "credentials: expected an object, got array"},
        Case{R"({"credentials": {"files": {}}})",
             "credentials.files: expected an array of objects, got object"},
        Case{R"({"credentials": {"files": ["~/.netrc"]}})",
             "credentials.files[0]: expected an object like {\"path\": \"~/.x\", \"mode\": "
             "\"deny\"}, got string"},
        Case{R"({"credentials": {"envVars": ["GITHUB_TOKEN"]}})",
             "credentials.envVars[0]: expected an object like {\"name\": \"API_TOKEN\", "
             "\"mode\": \"deny\"}, got string"},
        Case{R"({"credentials": {"files": [{"mode": "deny"}]}})",
             "credentials.files[0]: missing \"path\""},
        Case{R"({"credentials": {"files": [{"path": "~/.netrc"}]}})",
             "credentials.files[0]: missing \"mode\" (\"deny\" or \"mask\")"},
        Case{R"({"credentials": {"files": [{"path": "~/.netrc", "mode": "hide"}]}})",
             "credentials.files[0].mode: expected \"deny\" or \"mask\", got \"hide\""},
        Case{R"({"credentials": {"files": [{"path": 1, "mode": "deny"}]}})",
             "credentials.files[0].path: expected a string, got number"},
        Case{R"({"credentials": {"files": [{"path": "/a", "mode": "deny", "maskDuplicates": 1}]}})",
             "credentials.files[0].maskDuplicates: expected true or false, got number"},
        Case{R"({"credentials": {"envVars": [{"name": "1X", "mode": "deny"}]}})",
             "credentials.envVars[0].name: \"1X\" is not a variable name (letters, digits and _, "
             "not starting with a digit)"},
        Case{R"({"credentials": {"envVars": [{"mode": "deny"}]}})",
             "credentials.envVars[0]: missing \"name\""},
        Case{
            R"({"credentials": {"envVars": [{"name": "TOKEN", "mode": "mask", "injectHosts": "a"}]}})",
            "credentials.envVars[0].injectHosts: expected an array of strings, got string"},
        Case{R"({"credentials": {"allowPlaintextInject": "no"}})",
             "credentials.allowPlaintextInject: expected true or false, got string"}));

// ---------------------------------------------------------------------------------------------
// Value validation

INSTANTIATE_TEST_SUITE_P(
    Values, SettingsTypeErrors,
    testing::Values(
        Case{R"({"filesystem": {"denyRead": ["/a", "/b\nc"]}})",
             R"(filesystem.denyRead[1]: "/b\nc" contains a newline (\n))"},
        Case{R"({"filesystem": {"allowWrite": ["/b\rc"]}})",
             R"(filesystem.allowWrite[0]: "/b\rc" contains a carriage return (\r))"},
        Case{R"({"filesystem": {"allowRead": ["/ok", "/ok2", "/a\u0000/etc"]}})",
             R"(filesystem.allowRead[2]: "/a\u0000/etc" contains a NUL byte (\u0000))"},
        Case{R"({"filesystem": {"denyWrite": [""]}})",
             "filesystem.denyWrite[0]: is empty; expected a path"},
        Case{R"({"network": {"allowUnixSockets": ["/run/x\n.sock"]}})",
             R"(network.allowUnixSockets[0]: "/run/x\n.sock" contains a newline (\n))"},
        Case{R"({"network": {"allowedDomains": [""]}})",
             "network.allowedDomains[0]: is empty; expected a domain"},
        Case{
            R"({"network": {"allowedDomains": ["exa mple.com"]}})",
            R"(network.allowedDomains[0]: "exa mple.com" contains whitespace or a control character)"},
        Case{R"({"network": {"deniedDomains": ["a.com\t"]}})",
             R"(network.deniedDomains[0]: "a.com\t" contains whitespace or a control character)"},
        Case{R"({"network": {"deniedDomains": ["a.com\u0000.evil"]}})",
             R"(network.deniedDomains[0]: "a.com\u0000.evil" contains a NUL byte (\u0000))"},
        Case{
            R"({"network": {"allowedDomains": ["a.com\u007f"]}})",
            R"(network.allowedDomains[0]: "a.com\u007f" contains whitespace or a control character)"},
        Case{
            R"({"network": {"deniedResolvedAddresses": [" 10.0.0.1"]}})",
            R"(network.deniedResolvedAddresses[0]: " 10.0.0.1" contains whitespace or a control character)"},
        Case{R"({"network": {"resolve": {"a.com": ""}}})",
             "network.resolve[\"a.com\"]: is empty; expected an address"},
        Case{R"({"network": {"resolve": {"": "1.2.3.4"}}})",
             "network.resolve[\"\"]: empty host name"},
        Case{R"({"network": {"resolve": {"a .com": "1.2.3.4"}}})",
             "network.resolve[\"a .com\"]: host name contains whitespace or a control character"},
        Case{R"({"credentials": {"files": [{"path": "/a\nb", "mode": "deny"}]}})",
             R"(credentials.files[0].path: "/a\nb" contains a newline (\n))"}));

TEST(SettingsValues, PathLengthLimit) {
  const std::string ok_path = "/" + std::string(4095, 'a');
  Settings s = parse_ok(R"({"filesystem": {"denyRead": [")" + ok_path + R"("]}})");
  EXPECT_EQ(s.filesystem.deny_read, std::vector<std::string>{ok_path});
  EXPECT_EQ(parse_error(R"({"filesystem": {"denyRead": ["/a", ")" + ok_path + R"(a"]}})"),
            prefixed("filesystem.denyRead[1]: is 4097 bytes long; the limit is 4096"));
}

TEST(SettingsValues, ControlCharactersInMessagesAreEscaped) {
  // An escape sequence in a key must not reach the terminal raw.
  const std::string m = parse_error(R"({"\u001b[31mred": 1})");
  EXPECT_EQ(m.find('\x1b'), std::string::npos) << m;
  EXPECT_NE(m.find(R"(["\u001b[31mred"])"), std::string::npos) << m;
  // Bidi overrides and C1 controls too.
  const std::string m2 = parse_error(R"({"filesystem": {"denyRead": ["/a\u202e\u0085\nb"]}})");
  EXPECT_EQ(m2.find("\xE2\x80\xAE"), std::string::npos) << m2;
  EXPECT_NE(m2.find(R"("/a\u202e\u0085\nb")"), std::string::npos) << m2;
}

TEST(SettingsValues, LongValuesAreCutInMessages) {
  const std::string path = "/" + std::string(3000, 'a') + "\n";
  const std::string m =
      parse_error(R"({"filesystem": {"denyRead": [")" + path.substr(0, 3001) + R"(\n"]}})");
  EXPECT_LT(m.size(), 300u) << m;
  EXPECT_NE(m.find("...\" contains a newline"), std::string::npos) << m;
}

// ---------------------------------------------------------------------------------------------
// Unknown keys and did-you-mean

INSTANTIATE_TEST_SUITE_P(
    UnknownKeys, SettingsTypeErrors,
    testing::Values(
        Case{R"({"filesystem": {"denyREAD": ["/a"]}})",
             "filesystem.denyREAD: unknown key (did you mean denyRead?)"},
        Case{R"({"filesystem": {"denyReads": ["/a"]}})",
             "filesystem.denyReads: unknown key (did you mean denyRead?)"},
        Case{R"({"filesystem": {"alowWrite": ["/a"]}})",
             "filesystem.alowWrite: unknown key (did you mean allowWrite?)"},
        Case{R"({"filesystem": {"allowGitconfig": true}})",
             "filesystem.allowGitconfig: unknown key (did you mean allowGitConfig?)"},
        Case{R"({"network": {"allowedDomain": ["a.com"]}})",
             "network.allowedDomain: unknown key (did you mean allowedDomains?)"},
        Case{R"({"network": {"allowedDomians": ["a.com"]}})",
             "network.allowedDomians: unknown key (did you mean allowedDomains?)"},
        Case{R"({"network": {"Resolve": {}}})",
             "network.Resolve: unknown key (did you mean resolve?)"},
        Case{R"({"netwrok": {}})", "netwrok: unknown key (did you mean network?)"},
        Case{R"({"FileSystem": {}})", "FileSystem: unknown key (did you mean filesystem?)"},
        Case{R"({"ignoreViolation": {}})",
             "ignoreViolation: unknown key (did you mean ignoreViolations?)"},
        Case{R"({"allowpty": true})", "allowpty: unknown key (did you mean allowPty?)"},
        // A key in the wrong section points at the right one.
        Case{R"({"denyRead": ["/a"]})",
             "denyRead: unknown key (did you mean filesystem.denyRead?)"},
        Case{R"({"network": {"denyRead": ["/a"]}})",
             "network.denyRead: unknown key (did you mean filesystem.denyRead?)"},
        Case{R"({"filesystem": {"allowedDomains": []}})",
             "filesystem.allowedDomains: unknown key (did you mean network.allowedDomains?)"},
        Case{R"({"network": {"allowPrivateAddress": true}})",
             "network.allowPrivateAddress: unknown key (did you mean allowPrivateAddresses?)"},
        Case{R"({"filesystem": {"protectedname": []}})",
             "filesystem.protectedname: unknown key (did you mean protectedNames?)"},
        Case{R"({"allowLocalBinding": true})",
             "allowLocalBinding: unknown key (did you mean network.allowLocalBinding?)"},
        Case{R"({"paddock": {"denyRead": []}})",
             "paddock.denyRead: unknown key (did you mean filesystem.denyRead?)"},
        // Nothing close: the known keys are listed.
        Case{R"({"filesystem": {"readOnly": ["/a"]}})",
             "filesystem.readOnly: unknown key (known keys here: denyRead, allowRead, "
             "allowWrite, denyWrite, protectedNames, disabled, allowGitConfig)"},
        Case{R"({"paddock": {"future": 1}})",
             "paddock.future: unknown key (known keys here: passEnv, sshAgent, sshAgentKeys)"},
        Case{R"({"paddock": {"passEnv": ["1X"]}})",
             "paddock.passEnv[0]: \"1X\" is not a variable name (letters, digits and _, not "
             "starting with a digit)"},
        Case{R"({"paddock": {"passEnv": "X"}})",
             "paddock.passEnv: expected an array of variable names, got string"},
        Case{R"({"paddock": {"sshAgent": "yes"}})",
             "paddock.sshAgent: expected true or false, got string"},
        Case{R"({"credentials": {"file": []}})",
             "credentials.file: unknown key (did you mean files?)"},
        Case{R"({"credentials": {"files": [{"path": "/a", "mode": "deny", "pth": "x"}]}})",
             "credentials.files[0].pth: unknown key (did you mean path?)"},
        Case{R"({"credentials": {"envVars": [{"name": "A", "mode": "deny", "nmae": "x"}]}})",
             "credentials.envVars[0].nmae: unknown key (did you mean name?)"},
        Case{R"({"network": {"resolve": {}, "x": 1}})",
             "network.x: unknown key (known keys here: allowedDomains, deniedDomains, "
             "allowUnixSockets, allowAllUnixSockets, allowLocalBinding, deniedResolvedAddresses, "
             "resolve, allowPrivateAddresses, publishPorts, allowHostPorts, ask, askTimeout, "
             "deniedDomainReasons, "
             "strictAllowlist, "
             "allowAllDomains, allowMachLookup, "
             "httpProxyPort, socksProxyPort, mitmProxy, filterRequest, tlsTerminate, "
             "parentProxy)"},
        // (not "a b": one edit from network.ask, which would be suggested)
        Case{R"({"a b c": 1})",
             "[\"a b c\"]: unknown key (known keys here: network, filesystem, git, "
             "credentials, paddock, $schema, ignoreViolations, "
             "enableWeakerNestedSandbox, enableWeakerNetworkIsolation, "
             "allowAppleEvents, allowPty, ripgrep, mandatoryDenySearchDepth, "
             "seccomp, bwrapPath, socatPath, javaAgentJarPath, windows)"}));

TEST(SettingsUnknownKeys, ClosestKey) {
  using settings_detail::closest_key;
  const std::vector<std::string_view> keys = {"denyRead", "allowRead", "allowWrite", "denyWrite"};
  EXPECT_EQ(closest_key("denyREAD", keys), "denyRead");
  EXPECT_EQ(closest_key("DENYWRITE", keys), "denyWrite");
  EXPECT_EQ(closest_key("denyRaed", keys), "denyRead");  // transposition counts once
  EXPECT_EQ(closest_key("alowRed", keys), "allowRead");
  EXPECT_EQ(closest_key("readOnly", keys), "");
  EXPECT_EQ(closest_key("", keys), "");
  EXPECT_EQ(closest_key("ab", {"git"}), "");
  EXPECT_EQ(closest_key(std::string(100000, 'x'), keys), "");
}

// ---------------------------------------------------------------------------------------------
// Duplicate keys

INSTANTIATE_TEST_SUITE_P(
    DuplicateKeys, SettingsTypeErrors,
    testing::Values(
        Case{R"({"network": {}, "network": {}})",
             "network: duplicate key (the same key twice in one object; one would silently "
             "replace the other)"},
        Case{R"({"filesystem": {"denyRead": ["~/.ssh"], "allowWrite": [], "denyRead": []}})",
             "filesystem.denyRead: duplicate key (the same key twice in one object; one would "
             "silently replace the other)"},
        Case{R"({"network": {"resolve": {"a.com": "1.1.1.1", "a.com": "2.2.2.2"}}})",
             "network.resolve[\"a.com\"]: duplicate key (the same key twice in one object; one "
             "would silently replace the other)"},
        Case{
            R"({"credentials": {"files": [{"path": "/a", "mode": "deny"}, {"path": "/b", "path": "/c"}]}})",
            "credentials.files[1].path: duplicate key (the same key twice in one object; one "
            "would silently replace the other)"},
        // Detected while parsing, so even inside keys paddock ignores.
        Case{R"({"ignoreViolations": {"*": ["/a"], "*": ["/b"]}})",
             "ignoreViolations[\"*\"]: duplicate key (the same key twice in one object; one "
             "would silently replace the other)"}));

TEST(SettingsDuplicateKeys, SameKeyInDifferentObjectsIsFine) {
  const Settings s = parse_ok(R"({"network": {"resolve": {"x": "1.1.1.1"}},
      "credentials": {"files": [{"path": "/a", "mode": "deny"}, {"path": "/b", "mode": "mask"}]}})");
  EXPECT_EQ(s.network.resolve.size(), 1u);
  EXPECT_EQ(s.filesystem.deny_read, (std::vector<std::string>{"/a", "/b"}));
}

// ---------------------------------------------------------------------------------------------
// Syntax errors, with line and column

INSTANTIATE_TEST_SUITE_P(
    Syntax, SettingsTypeErrors,
    testing::Values(
        Case{"{\n  \"network\": {\n    \"allowedDomains\": [\"a.com\",]\n  }\n}",
             "line 3, column 32: syntax error: unexpected ']'; expected '[', '{', or a literal "
             "(while parsing value)"},
        Case{"{\n  \"filesystem\": {\"denyRead\": [\"/a\"]}\n",
             "line 3, column 1: syntax error: unexpected end of input; expected '}' (while "
             "parsing object)"},
        Case{"{\"a\" 1}",
             "line 1, column 6: syntax error: unexpected number literal; expected ':' (while "
             "parsing object separator)"},
        Case{"{} x",
             "line 1, column 4: syntax error: invalid literal; expected end of input "
             "(while parsing value), near '{} x'"},
        Case{"{\"filesystem\": {\"denyRead\": [\"/a\n\"]}}",
             "line 1, column 33: syntax error: invalid string: control character U+000A (LF) "
             "must be escaped to \\u000A or \\n (while parsing value), near "
             "'...denyRead\": [\"/a\\n'"},
        Case{"// comment\n{}",
             "line 1, column 1: syntax error: invalid literal (while parsing value), near '/'"},
        Case{"{\"a\": tru}",
             "line 1, column 10: syntax error: invalid literal (while parsing "
             "value), near '{\"a\": tru}'"},
        Case{"{'a': 1}",
             "line 1, column 2: syntax error: invalid literal; expected string "
             "literal (while parsing object key), near '{''"},
        Case{"{\n  \"a\": [1, 2",
             "line 2, column 13: syntax error: unexpected end of input; expected ']' (while "
             "parsing array)"},
        Case{"{\"a\": -}",
             "line 1, column 8: syntax error: invalid number; expected digit "
             "after '-' (while parsing value), near '{\"a\": -}'"}));

TEST(SettingsSyntax, ColumnCountsCharactersNotBytes) {
  // "é" is two bytes, "中" three; the column counts each as one.
  const std::string m = parse_error("{\n\"\xC3\xA9\xE4\xB8\xAD\": x}");
  EXPECT_EQ(m.rfind(prefixed("line 2, column 7: syntax error:"), 0), 0u) << m;
}

TEST(SettingsSyntax, LongUnterminatedStringKeepsMessageShort) {
  const std::string m =
      parse_error("{\"filesystem\": {\"denyRead\": [\"" + std::string(100000, 'a'));
  EXPECT_LT(m.size(), 400u) << m;
  EXPECT_NE(m.find("line 1, column 100031: syntax error: invalid string: missing closing quote"),
            std::string::npos)
      << m;
}

TEST(SettingsSyntax, TooDeep) {
  std::string deep = R"({"ignoreViolations": {"*": )";
  for (int i = 0; i < 200; ++i) deep += '[';
  const std::string m = parse_error(deep);
  EXPECT_EQ(m.rfind(prefixed("ignoreViolations[\"*\"]"), 0), 0u) << m;
  EXPECT_NE(m.find(": nested more than 64 levels deep"), std::string::npos) << m;
  std::string path;
  for (int i = 0; i < 64; ++i) path += "[0]";
  EXPECT_EQ(parse_error(std::string(100000, '[')),
            prefixed(path + ": nested more than 64 levels deep"));
  // 64 levels are fine (and rejected later for other reasons).
  EXPECT_EQ(parse_error(std::string(64, '[') + std::string(64, ']')),
            prefixed("top level: expected an object, got array"));
}

// ---------------------------------------------------------------------------------------------
// Empty files, wrong top level, size, encoding

TEST(SettingsFile, EmptyFileIsAnError) {
  const std::string want = prefixed("the file is empty; write {} to use the built-in defaults");
  EXPECT_EQ(parse_error(""), want);
  EXPECT_EQ(parse_error(" \n\t\r\n"), want);
  EXPECT_EQ(parse_error("\xEF\xBB\xBF"), want);
}

TEST(SettingsFile, TopLevelMustBeAnObject) {
  EXPECT_EQ(parse_error("[]"), prefixed("top level: expected an object, got array"));
  EXPECT_EQ(parse_error(R"([{"network": {}}])"),
            prefixed("top level: expected an object, got array"));
  EXPECT_EQ(parse_error("\"x\""), prefixed("top level: expected an object, got string"));
  EXPECT_EQ(parse_error("null"), prefixed("top level: expected an object, got null"));
  EXPECT_EQ(parse_error("42"), prefixed("top level: expected an object, got number"));
  EXPECT_EQ(parse_error("true"), prefixed("top level: expected an object, got boolean"));
}

TEST(SettingsFile, SizeLimit) {
  // Exactly at the limit is fine.
  std::string text = R"({"filesystem": {"denyRead": ["/a"]}})";
  text.resize(kMaxSettingsFileBytes, ' ');
  EXPECT_TRUE(parse_settings(text, kName).ok());
  text.push_back(' ');
  EXPECT_EQ(parse_error(text),
            prefixed("is 4194305 bytes; a settings file may be at most 4 MiB (4194304 bytes)"));
}

INSTANTIATE_TEST_SUITE_P(
    Utf8, SettingsTypeErrors,
    testing::Values(
        Case{"{\n  \"filesystem\": {\"denyRead\": [\"/a\xFF\"]}}",
             "line 2, column 34: invalid UTF-8 (byte 0xff); a settings file must be UTF-8 text"},
        Case{"{\"a\xC0\xAF\": 1}",  // overlong '/'
             "line 1, column 4: invalid UTF-8 (byte 0xc0); a settings file must be UTF-8 text"},
        Case{"{\"\xED\xA0\x80\": 1}",  // UTF-16 surrogate
             "line 1, column 3: invalid UTF-8 (byte 0xed); a settings file must be UTF-8 text"},
        Case{"{\"\xF4\x90\x80\x80\": 1}",  // above U+10FFFF
             "line 1, column 3: invalid UTF-8 (byte 0xf4); a settings file must be UTF-8 text"},
        Case{"{}\xE2\x82",  // cut short at the end
             "line 1, column 3: invalid UTF-8 (byte 0xe2); a settings file must be UTF-8 text"},
        Case{"\xFF\xFE{\0}",  // UTF-16 byte order mark
             "line 1, column 1: invalid UTF-8 (byte 0xff); a settings file must be UTF-8 text"},
        // An escaped lone surrogate is caught by the JSON parser.
        Case{R"({"filesystem": {"denyRead": ["\ud800"]}})",
             "line 1, column 37: syntax error: invalid string: surrogate U+D800..U+DBFF must be "
             "followed by U+DC00..U+DFFF (while parsing value), near "
             "'...Read\": [\"\\ud800\"'"}));

TEST(SettingsFile, RawNulByte) {
  // nlohmann's parser would stop at the NUL and ignore the rest.
  const std::string want =
      ": NUL byte; a settings file must be text (write \\u0000 inside a string)";
  EXPECT_EQ(parse_error(std::string("{}\0", 3)), prefixed("line 1, column 3" + want));
  EXPECT_EQ(parse_error(std::string("{}\0{\"x\": ", 9)), prefixed("line 1, column 3" + want));
  EXPECT_EQ(parse_error(std::string("{\n\"a\0\": 1}", 10)), prefixed("line 2, column 3" + want));
}

// ---------------------------------------------------------------------------------------------
// srt keys paddock does not act on

TEST(SettingsSrt, SrtFileIsAcceptedWithNotes) {
  const Settings s = parse_ok(R"({
    "network": {
      "allowedDomains": ["github.com"],
      "deniedDomains": [],
      "allowUnixSockets": [],
      "allowLocalBinding": false,
      "deniedDomainReasons": {"github.com:22": "use https"},
      "strictAllowlist": true,
      "allowAllDomains": false,
      "allowMachLookup": ["com.apple.*"],
      "httpProxyPort": 8080,
      "socksProxyPort": 1080,
      "mitmProxy": {"socketPath": "/tmp/m.sock", "domains": ["api.example.com"]},
      "tlsTerminate": {},
      "parentProxy": {"http": "http://proxy:3128"}
    },
    "filesystem": {
      "denyRead": ["~/.ssh"],
      "allowWrite": ["."],
      "denyWrite": [],
      "disabled": false,
      "allowGitConfig": true
    },
    "ignoreViolations": {"*": ["/usr/bin"], "git push": ["/bin/ls"]},
    "enableWeakerNestedSandbox": true,
    "enableWeakerNetworkIsolation": false,
    "allowAppleEvents": false,
    "ripgrep": {"command": "rg", "args": ["--hidden"]},
    "mandatoryDenySearchDepth": 3,
    "allowPty": true,
    "seccomp": {"applyPath": "/usr/lib/apply-seccomp"},
    "bwrapPath": "/usr/bin/bwrap",
    "socatPath": "/usr/bin/socat",
    "javaAgentJarPath": "/opt/srt/agent.jar",
    "windows": {"sandboxUser": "srt-sandbox"},
    "git": {"safeDirectories": ["/src"]}
  })");
  EXPECT_EQ(s.network.allowed_domains, std::vector<std::string>{"github.com"});
  EXPECT_EQ(s.filesystem.deny_read, std::vector<std::string>{"~/.ssh"});
  EXPECT_EQ(s.notes.size(), 24u);
  EXPECT_TRUE(
      has_note(s, "ignoreViolations: ignored; paddock reports every denial and never hides one"));
  EXPECT_TRUE(has_note(s,
                       "network.httpProxyPort: ignored; paddock always runs its own HTTP "
                       "proxy, the only route out"));
  EXPECT_TRUE(has_note(s,
                       "filesystem.allowGitConfig: ignored; .git/config stays read-only "
                       "under paddock"));
  EXPECT_TRUE(has_note(s,
                       "mandatoryDenySearchDepth: ignored; paddock protects dangerous files "
                       "at any depth, without a scan"));
  // Notes come in file order, one per key.
  EXPECT_EQ(s.notes.front().rfind("network.deniedDomainReasons: ", 0), 0u);
  EXPECT_EQ(s.notes.back().rfind("git.safeDirectories: ", 0), 0u);
  for (const std::string& note : s.notes) {
    EXPECT_EQ(note.find('\n'), std::string::npos) << note;
    EXPECT_NE(note.find(": "), std::string::npos) << note;
  }
}

TEST(SettingsSrt, EveryNoteSaysWhatPaddockDoes) {
  const char* keys[] = {R"("ignoreViolations": {})",
                        R"("enableWeakerNestedSandbox": false)",
                        R"("enableWeakerNetworkIsolation": true)",
                        R"("allowAppleEvents": true)",
                        R"("allowPty": false)",
                        R"("ripgrep": {})",
                        R"("mandatoryDenySearchDepth": 10)",
                        R"("seccomp": {})",
                        R"("bwrapPath": "/b")",
                        R"("socatPath": "/s")",
                        R"("javaAgentJarPath": "/j")",
                        R"("windows": {})",
                        R"("git": {"safeDirectories": []})"};
  for (const char* kv : keys) {
    const Settings s = parse_ok(std::string("{") + kv + "}");
    ASSERT_EQ(s.notes.size(), 1u) << kv;
    EXPECT_NE(s.notes[0].find(": ignored"), std::string::npos) << s.notes[0];
  }
}

TEST(SettingsGit, AllowConfigKeys) {
  const Settings s = parse_ok(R"({"git": {"allowConfigKeys":
      ["core.pager", "alias.*", "filter.lfs.*", "diff.*.textconv", "url.https://x.example/.insteadOf",
       "Remote.*.*"]}})");
  ASSERT_EQ(s.git.allow_config_keys.size(), 6u);
  EXPECT_TRUE(s.notes.empty());
  const std::vector<GitKeyPattern>& p = s.git.allow_config_keys;
  EXPECT_EQ(p[0].text, "core.pager");
  EXPECT_EQ(p[0].sub, GitKeyPattern::Sub::kNone);
  EXPECT_EQ(p[1].sub, GitKeyPattern::Sub::kAnyOrNone);
  EXPECT_EQ(p[2].sub, GitKeyPattern::Sub::kExact);
  EXPECT_EQ(p[2].subsection, "lfs");
  EXPECT_EQ(p[3].sub, GitKeyPattern::Sub::kAny);
  EXPECT_EQ(p[3].key, "textconv");
  EXPECT_EQ(p[4].subsection, "https://x.example/");
  EXPECT_EQ(p[4].key, "insteadof");
  EXPECT_EQ(p[5].section, "remote");
  EXPECT_EQ(p[5].text, "Remote.*.*");
  // Absent: nothing widened.
  EXPECT_TRUE(parse_ok("{}").git.allow_config_keys.empty());
}

TEST(SettingsGit, SafeDirectoriesIsAnSrtNote) {
  const Settings s = parse_ok(R"({"git": {"safeDirectories": ["/src"], "allowConfigKeys": []}})");
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_EQ(s.notes[0].rfind("git.safeDirectories: ignored", 0), 0u) << s.notes[0];
}

TEST(SettingsGit, Errors) {
  struct Case {
    const char* json;
    const char* error;
  };
  const Case cases[] = {
      {R"({"git": []})", "git: expected an object, got array"},
      {R"({"git": {"allowConfigKeys": "core.pager"}})",
       "git.allowConfigKeys: expected an array of git config key patterns, got string"},
      {R"({"git": {"allowConfigKeys": [1]}})",
       "git.allowConfigKeys[0]: expected a string (a git config key pattern), got number"},
      {R"({"git": {"allowConfigKeys": ["core.pag*"]}})",
       "git.allowConfigKeys[0]: \"core.pag*\" is not a git config key pattern: a key name has "
       "only letters, digits and '-' (and '*' only stands for a whole subsection or key) "
       "(examples: core.pager, alias.*, filter.lfs.*, diff.*.textconv)"},
      {R"({"git": {"allowConfigKeys": ["core"]}})",
       "git.allowConfigKeys[0]: \"core\" is not a git config key pattern: expected section.key "
       "or section.subsection.key (examples: core.pager, alias.*, filter.lfs.*, "
       "diff.*.textconv)"},
      {R"({"git": {"allowConfigKeys": ["*.pager"]}})",
       "git.allowConfigKeys[0]: \"*.pager\" is not a git config key pattern: '*' cannot stand "
       "for the section (examples: core.pager, alias.*, filter.lfs.*, diff.*.textconv)"},
      {R"({"git": {"allowConfigKeys": ["url.https://*.example/.insteadOf"]}})",
       "git.allowConfigKeys[0]: \"url.https://*.example/.insteadOf\" is not a git config key "
       "pattern: '*' stands only for a whole subsection or key, not part of one (examples: "
       "core.pager, alias.*, filter.lfs.*, diff.*.textconv)"},
      {R"({"git": {"allowConfigKey": []}})",
       "git.allowConfigKey: unknown key (did you mean allowConfigKeys?)"},
      {R"({"allowConfigKeys": []})",
       "allowConfigKeys: unknown key (did you mean git.allowConfigKeys?)"},
  };
  for (const Case& c : cases) EXPECT_EQ(parse_error(c.json), prefixed(c.error)) << c.json;
}

TEST(SettingsSrt, CredentialsBecomeDenials) {
  const Settings s = parse_ok(R"json({
    "credentials": {
      "files": [
        {"path": "~/.netrc", "mode": "deny"},
        {"path": "~/.config/gh/hosts.yml", "mode": "mask", "extract": "token: (\\S+)",
         "onExtractNoMatch": "deny", "maskDuplicates": true, "injectHosts": ["api.github.com"]}
      ],
      "envVars": [
        {"name": "GITHUB_TOKEN", "mode": "mask", "injectHosts": ["api.github.com"]},
        {"name": "AWS_SECRET_ACCESS_KEY", "mode": "deny"}
      ],
      "allowPlaintextInject": false,
      "awsPairs": [],
      "sigv4": {"streaming": "deny"}
    },
    "filesystem": {"denyRead": ["~/.ssh"]}
  })json");
  // credentials came first, but filesystem.denyRead does not replace its paths.
  EXPECT_EQ(s.filesystem.deny_read,
            (std::vector<std::string>{"~/.ssh", "~/.netrc", "~/.config/gh/hosts.yml"}));
  EXPECT_EQ(s.unset_env, (std::vector<std::string>{"GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY"}));
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_EQ(s.notes[0].rfind("credentials: ", 0), 0u);
}

// ---------------------------------------------------------------------------------------------
// Files and lookup

std::string real(const std::string& p) {
  return fs::canonical(p).string();
}

TEST(SettingsLoad, LoadsFileAndRecordsRealPath) {
  TempDir dir;
  const std::string file =
      dir.write("a/settings.json", R"({"network": {"allowedDomains": ["a.com"]}})");
  fs::create_symlink(file, dir.path() + "/link.json");
  Result<Settings> r = load_settings_file(dir.path() + "/link.json");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->network.allowed_domains, std::vector<std::string>{"a.com"});
  EXPECT_EQ(r->source_path, real(file));
  EXPECT_EQ(r->source_path.front(), '/');

  // A relative path is made absolute.
  const std::string cwd = fs::current_path().string();
  fs::current_path(dir.path());
  Result<Settings> rel = load_settings_file("a/./settings.json");
  fs::current_path(cwd);
  ASSERT_TRUE(rel.ok()) << rel.error().message();
  EXPECT_EQ(rel->source_path, real(file));
}

TEST(SettingsLoad, ErrorsNameTheGivenPath) {
  TempDir dir;
  const std::string file = dir.write("s.json", "{\n  \"filesystem\": {\"denyREAD\": []}\n}\n");
  Result<Settings> r = load_settings_file(file);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "settings " + file + ": filesystem.denyREAD: unknown key (did you mean denyRead?)");
  const std::string bad = dir.write("bad.json", "{\n  \"network\": {\n    \"x\": [1,,]\n  }\n}\n");
  Result<Settings> rb = load_settings_file(bad);
  ASSERT_FALSE(rb.ok());
  EXPECT_EQ(rb.error().message().rfind("settings " + bad + ": line 3, column 13: syntax error", 0),
            0u)
      << rb.error().message();
}

TEST(SettingsLoad, MissingFile) {
  TempDir dir;
  const std::string missing = dir.path() + "/nope.json";
  Result<Settings> r = find_and_load_settings(missing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().err, ENOENT);
  EXPECT_EQ(r.error().message(), "settings " + missing + ": No such file or directory");
  Result<Settings> r2 = load_settings_file(dir.path() + "/no/such/dir/s.json");
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().err, ENOENT);
  Result<Settings> r3 = find_and_load_settings(std::string());
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().message(), "settings: empty file name");
}

TEST(SettingsLoad, DanglingSymlink) {
  TempDir dir;
  fs::create_symlink(dir.path() + "/gone.json", dir.path() + "/s.json");
  Result<Settings> r = load_settings_file(dir.path() + "/s.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "settings " + dir.path() + "/s.json: is a symbolic link to a file that does not exist");
}

TEST(SettingsLoad, RefusesNonRegularFiles) {
  TempDir dir;
  Result<Settings> d = load_settings_file(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message(),
            "settings " + dir.path() + ": is a directory, not a settings file");

  const std::string fifo = dir.path() + "/fifo.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Result<Settings> f = load_settings_file(fifo);  // must not block waiting for a writer
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message(),
            "settings " + fifo + ": is a named pipe (FIFO), not a regular file");

  Result<Settings> c = load_settings_file("/dev/null");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message(), "settings /dev/null: is a character device, not a regular file");

  // Through a symlink too.
  fs::create_symlink("/dev/zero", dir.path() + "/zero.json");
  Result<Settings> z = load_settings_file(dir.path() + "/zero.json");
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.error().message().find("is a character device"), std::string::npos);
}

TEST(SettingsLoad, HugeFile) {
  TempDir dir;
  std::string text = R"({"filesystem": {"denyRead": ["/a"]}})";
  text.resize(kMaxSettingsFileBytes, '\n');
  const std::string at_limit = dir.write("limit.json", text);
  EXPECT_TRUE(load_settings_file(at_limit).ok());
  text.resize(kMaxSettingsFileBytes + 100, '\n');
  const std::string big = dir.write("big.json", text);
  Result<Settings> r = load_settings_file(big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "settings " + big +
                                     ": is 4194404 bytes; a settings file may be at most 4 MiB "
                                     "(4194304 bytes)");
}

TEST(SettingsLoad, EmptyFile) {
  TempDir dir;
  const std::string file = dir.write("s.json", "");
  Result<Settings> r = load_settings_file(file);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "settings " + file + ": the file is empty; write {} to use the built-in defaults");
}

TEST(SettingsLoad, UnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every file";
  TempDir dir;
  const std::string file = dir.write("s.json", "{}");
  ASSERT_EQ(::chmod(file.c_str(), 0), 0);
  Result<Settings> r = load_settings_file(file);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().err, EACCES);
  EXPECT_EQ(r.error().message(), "settings " + file + ": Permission denied");
}

// Sets XDG_CONFIG_HOME and HOME for one test and puts them back afterwards.
class SettingsLookup : public testing::Test {
 protected:
  void SetUp() override {
    save("XDG_CONFIG_HOME", &xdg_);
    save("HOME", &home_);
  }
  void TearDown() override {
    restore("XDG_CONFIG_HOME", xdg_);
    restore("HOME", home_);
  }
  static void set(const char* name, const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }

 private:
  static void save(const char* name, std::optional<std::string>* out) {
    const char* v = std::getenv(name);
    if (v != nullptr) *out = v;
  }
  static void restore(const char* name, const std::optional<std::string>& v) { set(name, v); }
  std::optional<std::string> xdg_;
  std::optional<std::string> home_;
};

TEST_F(SettingsLookup, XdgConfigHome) {
  TempDir xdg;
  TempDir home;
  set("XDG_CONFIG_HOME", xdg.path());
  set("HOME", home.path());
  home.write(".config/paddock/settings.json", R"({"network": {"allowedDomains": ["home.com"]}})");
  const std::string file =
      xdg.write("paddock/settings.json", R"({"network": {"allowedDomains": ["xdg.com"]}})");
  Result<Settings> r = find_and_load_settings(std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->network.allowed_domains, std::vector<std::string>{"xdg.com"});
  EXPECT_EQ(r->source_path, real(file));
}

TEST_F(SettingsLookup, ExplicitPathWins) {
  TempDir xdg;
  set("XDG_CONFIG_HOME", xdg.path());
  xdg.write("paddock/settings.json", R"({"network": {"allowedDomains": ["xdg.com"]}})");
  const std::string file = xdg.write("other.json", R"({"network": {"allowedDomains": ["x.com"]}})");
  Result<Settings> r = find_and_load_settings(file);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->network.allowed_domains, std::vector<std::string>{"x.com"});
  EXPECT_EQ(r->source_path, real(file));
}

TEST_F(SettingsLookup, HomeConfigWhenXdgUnsetOrRelative) {
  TempDir home;
  set("HOME", home.path());
  const std::string file = home.write(".config/paddock/settings.json",
                                      R"({"network": {"allowedDomains": ["home.com"]}})");
  for (const std::optional<std::string>& xdg :
       {std::optional<std::string>(), std::optional<std::string>("relative/config"),
        std::optional<std::string>("")}) {
    set("XDG_CONFIG_HOME", xdg);
    Result<Settings> r = find_and_load_settings(std::nullopt);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->network.allowed_domains, std::vector<std::string>{"home.com"});
    EXPECT_EQ(r->source_path, real(file));
  }
}

TEST_F(SettingsLookup, MissingDefaultFileMeansBuiltInDefaults) {
  TempDir xdg;
  set("XDG_CONFIG_HOME", xdg.path());
  Result<Settings> r = find_and_load_settings(std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->source_path.empty());
  EXPECT_TRUE(r->notes.empty());
  EXPECT_TRUE(r->network.allowed_domains.empty());

  // Also when the directory above it is missing.
  set("XDG_CONFIG_HOME", xdg.path() + "/does/not/exist");
  Result<Settings> r2 = find_and_load_settings(std::nullopt);
  ASSERT_TRUE(r2.ok()) << r2.error().message();
  EXPECT_TRUE(r2->source_path.empty());
}

// ~/.srt-settings.json is read when paddock's own file does not exist, with a note; paddock's
// own file wins once it exists.
TEST_F(SettingsLookup, SrtFileWhenPaddocksIsMissing) {
  TempDir home;
  set("HOME", home.path());
  set("XDG_CONFIG_HOME", std::nullopt);
  const std::string srt =
      home.write(".srt-settings.json", R"({"network": {"allowedDomains": ["srt.example"]}})");
  Result<Settings> r = find_and_load_settings(std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->network.allowed_domains, std::vector<std::string>{"srt.example"});
  EXPECT_EQ(r->source_path, real(srt));
  ASSERT_FALSE(r->notes.empty());
  EXPECT_NE(r->notes[0].find(".srt-settings.json"), std::string::npos) << r->notes[0];
  EXPECT_EQ(srt_settings_path(), home.path() + "/.srt-settings.json");

  home.write(".config/paddock/settings.json", R"({"network": {"allowedDomains": ["ours.com"]}})");
  r = find_and_load_settings(std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->network.allowed_domains, std::vector<std::string>{"ours.com"});
}

TEST_F(SettingsLookup, BadDefaultFileIsAnError) {
  TempDir xdg;
  set("XDG_CONFIG_HOME", xdg.path());
  const std::string file =
      xdg.write("paddock/settings.json", R"({"network": {"alowedDomains": []}})");
  Result<Settings> r = find_and_load_settings(std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "settings " + file +
                                     ": network.alowedDomains: unknown key (did you mean "
                                     "allowedDomains?)");

  // A directory where the file should be is not "missing".
  fs::remove(file);
  fs::create_directory(file);
  Result<Settings> d = find_and_load_settings(std::nullopt);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find("is a directory"), std::string::npos);

  // Nor is a dangling symlink.
  fs::remove(file);
  fs::create_symlink(xdg.path() + "/gone.json", file);
  Result<Settings> l = find_and_load_settings(std::nullopt);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().message().find("symbolic link"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Internal helpers

TEST(SettingsJson, PositionOf) {
  using settings_detail::position_of;
  const std::string_view text = "ab\ncd\xC3\xA9x\n";
  EXPECT_EQ(position_of(text, 0).line, 1u);
  EXPECT_EQ(position_of(text, 0).column, 1u);
  EXPECT_EQ(position_of(text, 3).line, 2u);
  EXPECT_EQ(position_of(text, 3).column, 1u);
  EXPECT_EQ(position_of(text, 7).column, 4u);  // after "cdé"
  EXPECT_EQ(position_of(text, 100).line, 3u);  // clamped to the end
}

TEST(SettingsJson, FormatPath) {
  using settings_detail::format_path;
  using settings_detail::PathStep;
  EXPECT_EQ(format_path({}), "");
  EXPECT_EQ(format_path({PathStep(std::string("network")), PathStep(std::string("allowedDomains")),
                         PathStep(std::size_t{2})}),
            "network.allowedDomains[2]");
  EXPECT_EQ(format_path({PathStep(std::string("a.b")), PathStep(std::string("$x"))}),
            "[\"a.b\"].$x");
  EXPECT_EQ(format_path({PathStep(std::string("q\"\\"))}), R"(["q\"\\"])");
}

}  // namespace
}  // namespace paddock

namespace paddock {
namespace {

TEST(SettingsParse, PaddockSection) {
  auto r = parse_settings(
      R"({"paddock": {"passEnv": ["GITHUB_TOKEN", "x_1"], "sshAgent": true,
                      "sshAgentKeys": ["SHA256:abc", "~/.ssh/id_ed25519.pub"]}})",
      "/x/s.json");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->paddock.pass_env, (std::vector<std::string>{"GITHUB_TOKEN", "x_1"}));
  EXPECT_TRUE(r->paddock.ssh_agent);
  EXPECT_EQ(r->paddock.ssh_agent_keys,
            (std::vector<std::string>{"SHA256:abc", "~/.ssh/id_ed25519.pub"}));
}

}  // namespace
}  // namespace paddock

namespace paddock {
namespace {

TEST(SettingsAsk, NetworkAskAndItsTimeout) {
  auto off = parse_settings(R"({"network": {}})", "s.json");
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->network.ask);
  EXPECT_EQ(off->network.ask_timeout_seconds, 60u);
  auto on = parse_settings(R"({"network": {"ask": true, "askTimeout": 5}})", "s.json");
  ASSERT_TRUE(on) << on.error().message();
  EXPECT_TRUE(on->network.ask);
  EXPECT_EQ(on->network.ask_timeout_seconds, 5u);
  for (const char* bad : {R"({"network": {"ask": "yes"}})", R"({"network": {"askTimeout": 0}})",
                          R"({"network": {"askTimeout": 1.5}})",
                          R"({"network": {"askTimeout": 3601}})",
                          R"({"network": {"askTimeout": "60"}})"}) {
    auto r = parse_settings(bad, "s.json");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find("network.ask"), std::string::npos) << r.error().message();
  }
}

}  // namespace
}  // namespace paddock
