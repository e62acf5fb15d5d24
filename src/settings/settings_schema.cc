#include "settings/settings_schema.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <span>
#include <utility>

#include "base/closest_word.h"

namespace paddock::settings_detail {
namespace {

constexpr std::size_t kMaxStringBytes = 4096;

// How an srt key that paddock does not act on is type-checked.
enum class Loose { kBool, kInt, kString, kStringArray, kObject, kFunction };

struct SrtOnlyKey {
  std::string_view name;
  Loose type;
  std::string_view note;  // what paddock does instead
  double min = 0;         // kInt
  double max = 0;         // kInt
};

// The schema as srt's src/sandbox/sandbox-config.ts (SandboxRuntimeConfigSchema) defines it,
// minus the keys paddock acts on.
constexpr SrtOnlyKey kTopSrtKeys[] = {
    {"ignoreViolations", Loose::kObject,
     "ignored; paddock reports every denial and never hides one"},
    {"enableWeakerNestedSandbox", Loose::kBool,
     "ignored; paddock never weakens a wall: where one cannot be built it refuses to run, and "
     "`paddock doctor` says why"},
    {"enableWeakerNetworkIsolation", Loose::kBool,
     "ignored (macOS only); paddock's network wall is the same everywhere"},
    {"allowAppleEvents", Loose::kBool, "ignored (macOS only)"},
    {"allowPty", Loose::kBool,
     "ignored (macOS only); under paddock the command can always use its terminal, and "
     "TIOCSTI/TIOCLINUX are always refused"},
    {"ripgrep", Loose::kObject,
     "ignored; paddock protects dangerous files without scanning the project, so it never runs "
     "ripgrep"},
    {"mandatoryDenySearchDepth", Loose::kInt,
     "ignored; paddock protects dangerous files at any depth, without a scan", 1, 10},
    {"seccomp", Loose::kObject,
     "ignored; paddock builds and loads its own seccomp filter, with no helper binary"},
    {"bwrapPath", Loose::kString, "ignored; paddock does not use bubblewrap"},
    {"socatPath", Loose::kString,
     "ignored; paddock does not use socat (its proxy listeners are passed as file descriptors)"},
    {"javaAgentJarPath", Loose::kString,
     "ignored; paddock points the JVM at its proxy with proxy properties in JAVA_TOOL_OPTIONS"},
    {"windows", Loose::kObject, "ignored (Windows only)"},
};

constexpr SrtOnlyKey kNetworkSrtKeys[] = {
    {"deniedDomainReasons", Loose::kObject,
     "ignored; paddock's denial reply names the rule that matched"},
    {"strictAllowlist", Loose::kBool,
     "ignored; paddock's allowlist is always strict: a host not in allowedDomains is denied"},
    {"allowAllDomains", Loose::kBool,
     "ignored; paddock lets through only the hosts in allowedDomains"},
    {"allowMachLookup", Loose::kStringArray, "ignored (macOS only)"},
    {"httpProxyPort", Loose::kInt,
     "ignored; paddock always runs its own HTTP proxy, the only route out", 1, 65535},
    {"socksProxyPort", Loose::kInt,
     "ignored; paddock always runs its own SOCKS5 proxy, the only route out", 1, 65535},
    {"mitmProxy", Loose::kObject,
     "ignored; paddock connects to allowed hosts itself and routes nothing through another "
     "proxy"},
    {"filterRequest", Loose::kFunction, ""},
    {"tlsTerminate", Loose::kObject,
     "ignored; paddock never terminates TLS: HTTPS stays end to end between the command and the "
     "host"},
    {"parentProxy", Loose::kObject,
     "ignored; paddock connects to allowed hosts directly (no upstream proxy)"},
};

constexpr SrtOnlyKey kFilesystemSrtKeys[] = {
    {"disabled", Loose::kBool, "ignored; paddock always enforces its filesystem walls"},
    {"allowGitConfig", Loose::kBool, "ignored; .git/config stays read-only under paddock"},
};

constexpr SrtOnlyKey kGitSrtKeys[] = {
    {"safeDirectories", Loose::kStringArray,
     "ignored; paddock injects no git configuration (safe.directory is not set)"},
};

constexpr std::string_view kTopKeys[] = {"network",     "filesystem", "git",
                                         "credentials", "paddock",    "$schema"};
constexpr std::string_view kNetworkKeys[] = {"allowedDomains",
                                             "deniedDomains",
                                             "allowUnixSockets",
                                             "allowAllUnixSockets",
                                             "allowLocalBinding",
                                             "deniedResolvedAddresses",
                                             "resolve",
                                             "allowPrivateAddresses",
                                             "publishPorts",
                                             "allowHostPorts",
                                             "ask",
                                             "askTimeout"};
constexpr std::string_view kFilesystemKeys[] = {"denyRead", "allowRead", "allowWrite", "denyWrite",
                                                "protectedNames"};
constexpr std::string_view kGitKeys[] = {"allowConfigKeys"};
constexpr std::string_view kPaddockKeys[] = {"passEnv", "sshAgent", "sshAgentKeys"};
constexpr std::string_view kCredentialsKeys[] = {"files", "envVars", "allowPlaintextInject",
                                                 "awsPairs", "sigv4"};
constexpr std::string_view kCredentialFileKeys[] = {
    "path",   "mode",       "extract",        "onExtractNoMatch",
    "decode", "maskClaims", "maskDuplicates", "injectHosts"};
constexpr std::string_view kCredentialEnvKeys[] = {
    "name", "mode", "extract", "onExtractNoMatch", "decode", "maskClaims", "injectHosts"};

// The keys one object may hold, for did-you-mean suggestions.
struct Level {
  std::string_view prefix;  // "filesystem." for suggestions made from another level
  std::span<const std::string_view> keys;
  std::span<const SrtOnlyKey> srt_keys;

  std::vector<std::string_view> all() const {
    std::vector<std::string_view> out(keys.begin(), keys.end());
    for (const SrtOnlyKey& k : srt_keys) out.push_back(k.name);
    return out;
  }
};

constexpr Level kTopLevel{"", kTopKeys, kTopSrtKeys};
constexpr Level kNetworkLevel{"network.", kNetworkKeys, kNetworkSrtKeys};
constexpr Level kFilesystemLevel{"filesystem.", kFilesystemKeys, kFilesystemSrtKeys};
constexpr Level kGitLevel{"git.", kGitKeys, kGitSrtKeys};
constexpr Level kPaddockLevel{"paddock.", kPaddockKeys, {}};
constexpr Level kCredentialsLevel{"credentials.", kCredentialsKeys, {}};
constexpr Level kCredentialFileLevel{"", kCredentialFileKeys, {}};
constexpr Level kCredentialEnvLevel{"", kCredentialEnvKeys, {}};

const SrtOnlyKey* find_srt_key(std::span<const SrtOnlyKey> keys, std::string_view name) {
  for (const SrtOnlyKey& k : keys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::string format_number(const JsonNumber& n) {
  char buf[64];
  if (n.integral && std::fabs(n.value) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", n.value);
  } else {
    std::snprintf(buf, sizeof buf, "%g", n.value);
  }
  return buf;
}

enum class StringKind { kPath, kDomain, kAddress };

bool is_env_name(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

class Walker {
 public:
  Settings run(const JsonValue& root) {
    const auto* obj = std::get_if<JsonObject>(&root.v);
    if (obj == nullptr) {
      throw SchemaError{std::string("top level: expected an object, got ") + json_type_name(root)};
    }
    bool have_credentials = false;
    for (const JsonMember& m : *obj) {
      Step step(this, m.key);
      if (m.key == "network") {
        network(m.value);
      } else if (m.key == "filesystem") {
        filesystem(m.value);
      } else if (m.key == "git") {
        git(m.value);
      } else if (m.key == "credentials") {
        credentials(m.value);
        have_credentials = true;
      } else if (m.key == "paddock") {
        paddock_section(m.value);
      } else if (m.key == "$schema") {
        if (!std::holds_alternative<std::string>(m.value.v)) {
          fail(std::string("expected a string (a schema URL), got ") + json_type_name(m.value));
        }
      } else if (const SrtOnlyKey* k = find_srt_key(kTopSrtKeys, m.key)) {
        srt_only(*k, m.value);
      } else {
        unknown_key(m.key, kTopLevel, {&kNetworkLevel, &kFilesystemLevel, &kGitLevel});
      }
    }
    if (have_credentials) {
      s_.filesystem.deny_read.insert(s_.filesystem.deny_read.end(), credential_paths_.begin(),
                                     credential_paths_.end());
      s_.unset_env = std::move(credential_env_);
      s_.notes.push_back(
          "credentials: paddock makes credentials.files absent like filesystem.denyRead entries "
          "and removes credentials.envVars from the command's environment; \"mask\" is treated "
          "as \"deny\", because paddock never injects credentials into requests");
    }
    return std::move(s_);
  }

 private:
  // Pushes one key path step for the lifetime of the object.
  class Step {
   public:
    Step(Walker* w, PathStep step) : w_(w) { w_->path_.push_back(std::move(step)); }
    ~Step() { w_->path_.pop_back(); }
    Step(const Step&) = delete;
    Step& operator=(const Step&) = delete;

   private:
    Walker* w_;
  };

  [[noreturn]] void fail(const std::string& message) const {
    throw SchemaError{format_path(path_) + ": " + message};
  }

  void unknown_key(std::string_view key, const Level& here,
                   std::initializer_list<const Level*> elsewhere) const {
    std::string best = closest_key(key, here.all());
    if (!best.empty()) fail("unknown key (did you mean " + best + "?)");
    for (const Level* level : elsewhere) {
      best = closest_key(key, level->all());
      if (!best.empty()) {
        fail("unknown key (did you mean " + std::string(level->prefix) + best + "?)");
      }
    }
    const std::vector<std::string_view> known = here.all();
    if (known.empty()) fail("unknown key (paddock defines no keys here yet)");
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    fail("unknown key (known keys here: " + list + ")");
  }

  const JsonObject& object(const JsonValue& v, const char* what = "an object") const {
    const auto* obj = std::get_if<JsonObject>(&v.v);
    if (obj == nullptr) fail(std::string("expected ") + what + ", got " + json_type_name(v));
    return *obj;
  }

  bool boolean(const JsonValue& v) const {
    const auto* b = std::get_if<bool>(&v.v);
    if (b == nullptr) fail(std::string("expected true or false, got ") + json_type_name(v));
    return *b;
  }

  const std::string& string(const JsonValue& v, const char* what = "a string") const {
    const auto* s = std::get_if<std::string>(&v.v);
    if (s == nullptr) fail(std::string("expected ") + what + ", got " + json_type_name(v));
    return *s;
  }

  void check_string(const std::string& s, StringKind kind) const {
    const char* what = kind == StringKind::kPath     ? "a path"
                       : kind == StringKind::kDomain ? "a domain"
                                                     : "an address";
    if (s.empty()) fail(std::string("is empty; expected ") + what);
    if (s.size() > kMaxStringBytes) {
      fail("is " + std::to_string(s.size()) + " bytes long; the limit is " +
           std::to_string(kMaxStringBytes));
    }
    if (s.find('\0') != std::string::npos) fail(quoted(s) + " contains a NUL byte (\\u0000)");
    if (kind == StringKind::kPath) {
      if (s.find('\n') != std::string::npos) fail(quoted(s) + " contains a newline (\\n)");
      if (s.find('\r') != std::string::npos) {
        fail(quoted(s) + " contains a carriage return (\\r)");
      }
      return;
    }
    for (char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7F) fail(quoted(s) + " contains whitespace or a control character");
    }
  }

  std::vector<std::string> string_list(const JsonValue& v, StringKind kind) {
    const auto* arr = std::get_if<JsonArray>(&v.v);
    if (arr == nullptr) fail(std::string("expected an array of strings, got ") + json_type_name(v));
    std::vector<std::string> out;
    out.reserve(arr->size());
    for (std::size_t i = 0; i < arr->size(); ++i) {
      Step step(this, i);
      const std::string& s = string((*arr)[i]);
      check_string(s, kind);
      out.push_back(s);
    }
    return out;
  }

  // Ports as numbers or strings; `parse` (a port_spec parser) turns each element's text into T.
  template <typename T, typename Parse>
  std::vector<T> port_list(const JsonValue& v, const char* what, Parse parse) {
    const auto* arr = std::get_if<JsonArray>(&v.v);
    if (arr == nullptr) fail(std::string("expected an array of ports, got ") + json_type_name(v));
    std::vector<T> out;
    for (std::size_t i = 0; i < arr->size(); ++i) {
      Step step(this, i);
      const JsonValue& e = (*arr)[i];
      std::string text;
      if (const auto* n = std::get_if<JsonNumber>(&e.v)) {
        text = format_number(*n);
      } else if (const auto* str = std::get_if<std::string>(&e.v)) {
        text = *str;
      } else {
        fail(std::string("expected ") + what + ", got " + json_type_name(e));
      }
      Result<T> r = parse(text, "");
      if (!r) fail(quoted(text) + ": " + r.error().detail);
      out.push_back(*r);
    }
    return out;
  }

  void loose_string_list(const JsonValue& v) {
    const auto* arr = std::get_if<JsonArray>(&v.v);
    if (arr == nullptr) fail(std::string("expected an array of strings, got ") + json_type_name(v));
    for (std::size_t i = 0; i < arr->size(); ++i) {
      Step step(this, i);
      string((*arr)[i]);
    }
  }

  void srt_only(const SrtOnlyKey& k, const JsonValue& v) {
    switch (k.type) {
      case Loose::kBool:
        boolean(v);
        break;
      case Loose::kInt: {
        const auto* n = std::get_if<JsonNumber>(&v.v);
        const std::string range = "an integer from " + format_number({k.min, true}) + " to " +
                                  format_number({k.max, true});
        if (n == nullptr) fail("expected " + range + ", got " + json_type_name(v));
        if (!n->integral || n->value < k.min || n->value > k.max) {
          fail("expected " + range + ", got " + format_number(*n));
        }
        break;
      }
      case Loose::kString:
        string(v);
        break;
      case Loose::kStringArray:
        loose_string_list(v);
        break;
      case Loose::kObject:
        object(v);
        break;
      case Loose::kFunction:
        fail("is a callback of srt's library API; a settings file cannot set it");
    }
    s_.notes.push_back(format_path(path_) + ": " + std::string(k.note));
  }

  void network(const JsonValue& v) {
    NetworkSettings& net = s_.network;
    for (const JsonMember& m : object(v)) {
      Step step(this, m.key);
      if (m.key == "allowedDomains") {
        net.allowed_domains = string_list(m.value, StringKind::kDomain);
      } else if (m.key == "deniedDomains") {
        net.denied_domains = string_list(m.value, StringKind::kDomain);
      } else if (m.key == "allowUnixSockets") {
        net.allow_unix_sockets = string_list(m.value, StringKind::kPath);
      } else if (m.key == "allowAllUnixSockets") {
        net.allow_all_unix_sockets = boolean(m.value);
      } else if (m.key == "allowLocalBinding") {
        net.allow_local_binding = boolean(m.value);
      } else if (m.key == "deniedResolvedAddresses") {
        net.denied_resolved_addresses = string_list(m.value, StringKind::kAddress);
      } else if (m.key == "resolve") {
        resolve(m.value);
      } else if (m.key == "allowPrivateAddresses") {
        net.allow_private_addresses = boolean(m.value);
      } else if (m.key == "publishPorts") {
        net.publish_ports = port_list<PublishedPort>(m.value, "\"PORT\" or \"HOST_PORT:PORT\"",
                                                     parse_published_port);
      } else if (m.key == "allowHostPorts") {
        net.allow_host_ports = port_list<uint16_t>(m.value, "a port number", parse_port);
      } else if (m.key == "ask") {
        net.ask = boolean(m.value);
      } else if (m.key == "askTimeout") {
        const auto* n = std::get_if<JsonNumber>(&m.value.v);
        if (n == nullptr || !n->integral || n->value < 1 || n->value > kMaxAskTimeoutSeconds)
          fail("expected a number of seconds from 1 to " + std::to_string(kMaxAskTimeoutSeconds) +
               ", got " + (n ? format_number(*n) : std::string(json_type_name(m.value))));
        net.ask_timeout_seconds = static_cast<unsigned>(n->value);
      } else if (const SrtOnlyKey* k = find_srt_key(kNetworkSrtKeys, m.key)) {
        srt_only(*k, m.value);
      } else {
        unknown_key(m.key, kNetworkLevel, {&kFilesystemLevel, &kTopLevel});
      }
    }
  }

  void resolve(const JsonValue& v) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const JsonMember& m : object(v, "an object mapping host names to addresses")) {
      Step step(this, m.key);
      if (m.key.empty()) fail("empty host name");
      for (char c : m.key) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7F) fail("host name contains whitespace or a control character");
      }
      // One address, or several dialled in turn (a dual-stack service: ["::1", "127.0.0.1"]).
      std::string addrs;
      if (std::get_if<JsonArray>(&m.value.v) != nullptr) {
        for (const std::string& a : string_list(m.value, StringKind::kAddress)) {
          if (a.find(',') != std::string::npos) fail(quoted(a) + ": one address per string");
          addrs += (addrs.empty() ? "" : ",") + a;
        }
        if (addrs.empty()) fail("an empty list of addresses");
      } else {
        addrs = string(m.value, "a string (an address) or an array of addresses");
        check_string(addrs, StringKind::kAddress);
      }
      out.emplace_back(m.key, addrs);
    }
    s_.network.resolve = std::move(out);
  }

  void filesystem(const JsonValue& v) {
    FilesystemSettings& fs = s_.filesystem;
    for (const JsonMember& m : object(v)) {
      Step step(this, m.key);
      if (m.key == "denyRead") {
        fs.deny_read = string_list(m.value, StringKind::kPath);
      } else if (m.key == "allowRead") {
        fs.allow_read = string_list(m.value, StringKind::kPath);
      } else if (m.key == "allowWrite") {
        fs.allow_write = string_list(m.value, StringKind::kPath);
      } else if (m.key == "denyWrite") {
        fs.deny_write = string_list(m.value, StringKind::kPath);
      } else if (m.key == "protectedNames") {
        fs.protected_names = string_list(m.value, StringKind::kPath);
      } else if (const SrtOnlyKey* k = find_srt_key(kFilesystemSrtKeys, m.key)) {
        srt_only(*k, m.value);
      } else {
        unknown_key(m.key, kFilesystemLevel, {&kNetworkLevel, &kTopLevel});
      }
    }
  }

  void git(const JsonValue& v) {
    for (const JsonMember& m : object(v)) {
      Step step(this, m.key);
      if (m.key == "allowConfigKeys") {
        git_key_patterns(m.value);
      } else if (const SrtOnlyKey* k = find_srt_key(kGitSrtKeys, m.key)) {
        srt_only(*k, m.value);
      } else {
        unknown_key(m.key, kGitLevel, {&kFilesystemLevel, &kNetworkLevel});
      }
    }
  }

  void git_key_patterns(const JsonValue& v) {
    const auto* arr = std::get_if<JsonArray>(&v.v);
    if (arr == nullptr) {
      fail(std::string("expected an array of git config key patterns, got ") + json_type_name(v));
    }
    std::vector<GitKeyPattern> out;
    for (std::size_t i = 0; i < arr->size(); ++i) {
      Step step(this, i);
      const std::string& s = string((*arr)[i], "a string (a git config key pattern)");
      if (s.size() > kMaxStringBytes) {
        fail("is " + std::to_string(s.size()) + " bytes long; the limit is " +
             std::to_string(kMaxStringBytes));
      }
      Result<GitKeyPattern> p = parse_git_key_pattern(s);
      if (!p.ok()) {
        fail(quoted(s) + " is not a git config key pattern: " + p.error().detail +
             " (examples: core.pager, alias.*, filter.lfs.*, diff.*.textconv)");
      }
      out.push_back(std::move(*p));
    }
    s_.git.allow_config_keys = std::move(out);
  }

  void paddock_section(const JsonValue& v) {
    for (const JsonMember& m : object(v)) {
      Step step(this, m.key);
      if (m.key == "passEnv") {
        s_.paddock.pass_env = env_names(m.value);
      } else if (m.key == "sshAgent") {
        s_.paddock.ssh_agent = boolean(m.value);
      } else if (m.key == "sshAgentKeys") {
        s_.paddock.ssh_agent_keys = string_list(m.value, StringKind::kPath);
      } else {
        unknown_key(m.key, kPaddockLevel, {&kFilesystemLevel, &kNetworkLevel});
      }
    }
  }

  std::vector<std::string> env_names(const JsonValue& v) {
    const auto* arr = std::get_if<JsonArray>(&v.v);
    if (arr == nullptr)
      fail(std::string("expected an array of variable names, got ") + json_type_name(v));
    std::vector<std::string> out;
    for (std::size_t i = 0; i < arr->size(); ++i) {
      Step step(this, i);
      const std::string& name = string((*arr)[i], "a string (a variable name)");
      if (!is_env_name(name)) {
        fail(quoted(name) +
             " is not a variable name (letters, digits and _, not starting with a digit)");
      }
      out.push_back(name);
    }
    return out;
  }

  void credential_mode(const JsonValue& v) {
    const std::string& mode = string(v, "\"deny\" or \"mask\"");
    if (mode != "deny" && mode != "mask")
      fail("expected \"deny\" or \"mask\", got " + quoted(mode));
  }

  // The fields credentials.files[] and credentials.envVars[] share; false if `m` is none of them.
  bool credential_common(const JsonMember& m) {
    if (m.key == "mode") {
      credential_mode(m.value);
    } else if (m.key == "extract" || m.key == "onExtractNoMatch" || m.key == "decode") {
      string(m.value);
    } else if (m.key == "maskClaims" || m.key == "injectHosts") {
      loose_string_list(m.value);
    } else {
      return false;
    }
    return true;
  }

  void credential_file(const JsonValue& v) {
    bool have_path = false;
    bool have_mode = false;
    for (const JsonMember& m : object(v, R"(an object like {"path": "~/.x", "mode": "deny"})")) {
      Step step(this, m.key);
      if (m.key == "path") {
        const std::string& p = string(m.value);
        check_string(p, StringKind::kPath);
        credential_paths_.push_back(p);
        have_path = true;
      } else if (m.key == "maskDuplicates") {
        boolean(m.value);
      } else if (credential_common(m)) {
        have_mode = have_mode || m.key == "mode";
      } else {
        unknown_key(m.key, kCredentialFileLevel, {});
      }
    }
    if (!have_path) fail("missing \"path\"");
    if (!have_mode) fail("missing \"mode\" (\"deny\" or \"mask\")");
  }

  void credential_env(const JsonValue& v) {
    bool have_name = false;
    bool have_mode = false;
    for (const JsonMember& m :
         object(v, R"(an object like {"name": "API_TOKEN", "mode": "deny"})")) {
      Step step(this, m.key);
      if (m.key == "name") {
        const std::string& name = string(m.value);
        if (!is_env_name(name)) {
          fail(quoted(name) +
               " is not a variable name (letters, digits and _, not starting with a digit)");
        }
        credential_env_.push_back(name);
        have_name = true;
      } else if (credential_common(m)) {
        have_mode = have_mode || m.key == "mode";
      } else {
        unknown_key(m.key, kCredentialEnvLevel, {});
      }
    }
    if (!have_name) fail("missing \"name\"");
    if (!have_mode) fail("missing \"mode\" (\"deny\" or \"mask\")");
  }

  void object_list(const JsonValue& v, void (Walker::*each)(const JsonValue&)) {
    const auto* arr = std::get_if<JsonArray>(&v.v);
    if (arr == nullptr) fail(std::string("expected an array of objects, got ") + json_type_name(v));
    for (std::size_t i = 0; i < arr->size(); ++i) {
      Step step(this, i);
      (this->*each)((*arr)[i]);
    }
  }

  void credentials(const JsonValue& v) {
    for (const JsonMember& m : object(v)) {
      Step step(this, m.key);
      if (m.key == "files") {
        object_list(m.value, &Walker::credential_file);
      } else if (m.key == "envVars") {
        object_list(m.value, &Walker::credential_env);
      } else if (m.key == "allowPlaintextInject") {
        boolean(m.value);
      } else if (m.key == "awsPairs") {
        const auto* arr = std::get_if<JsonArray>(&m.value.v);
        if (arr == nullptr) fail(std::string("expected an array, got ") + json_type_name(m.value));
      } else if (m.key == "sigv4") {
        object(m.value);
      } else {
        unknown_key(m.key, kCredentialsLevel, {});
      }
    }
  }

  std::vector<PathStep> path_;
  Settings s_;
  std::vector<std::string> credential_paths_;
  std::vector<std::string> credential_env_;
};

}  // namespace

std::string closest_key(std::string_view key, const std::vector<std::string_view>& candidates) {
  return closest_word(key, candidates);
}

Settings settings_from_json(const JsonValue& root) {
  return Walker().run(root);
}

}  // namespace paddock::settings_detail
