#include "policy/env_rules.h"

#include <algorithm>

namespace paddock {

namespace {

// Upper-case name patterns; '*' matches any run of characters. TOKEN is matched as a word end
// (`*TOKEN`, `*_TOKEN_*`, `TOKEN_*`), never as a prefix of a longer word: TOKENIZERS_PARALLELISM
// (Hugging Face) is an ordinary setting. `*_PWD` spares PWD and OLDPWD, the working directory.
const std::vector<std::string_view> kSecretPatterns = {
    "*TOKEN",    "*_TOKEN_*", "TOKEN_*", "*SECRET*",      "*PASSWORD*",   "*PASSWD*",     "*_PWD",
    "*API_KEY*", "*APIKEY*",  "*_KEY",   "*PRIVATE_KEY*", "*ACCESS_KEY*", "*CREDENTIAL*", "*_AUTH",
    "*_PAT",     "*_JWT",     "*_PASS",  "*PASSPHRASE*",  "BW_SESSION",   "OP_SESSION_*",
};

// Prefixes that issuers put on their tokens so that scanners find them (GitHub, GitLab, Slack,
// Anthropic, OpenAI, npm, PyPI, Hugging Face, DigitalOcean, Shopify): a value holding one is a
// token whatever its variable is called (`GIT_REMOTE=https://ghp_...@github.com/...`). The
// short prefixes are words too (`/opt/npm_global_packages`): for them only a long run of
// letters and digits, as the issuer makes it, counts.
struct TokenShape {
  std::string_view prefix;
  bool alnum_only;  // the body is letters and digits only (else also _ and -)
  size_t min_body;
};
const TokenShape kTokenShapes[] = {
    {"ghp_", true, 30},      {"gho_", true, 30},      {"ghu_", true, 30},
    {"ghs_", true, 30},      {"ghr_", true, 30},      {"github_pat_", false, 40},
    {"glpat-", false, 20},   {"xoxb-", false, 16},    {"xoxp-", false, 16},
    {"xoxa-", false, 16},    {"xoxe-", false, 16},    {"xapp-", false, 16},
    {"sk-ant-", false, 20},  {"sk-proj-", false, 20}, {"npm_", true, 30},
    {"pypi-AgE", false, 40}, {"hf_", true, 30},       {"dop_v1_", true, 40},
    {"shpat_", true, 30},    {"shpss_", true, 30},
};
// Variables whose value only means something where a host socket or session is reachable.
// Inside, the program that follows one fails ("no server running on /tmp/tmux-0/default",
// "cannot open display"); without it, it starts its own or falls back.
const std::vector<std::string_view> kHostSocketNames = {
    "SSH_AUTH_SOCK",
    "SSH_AGENT_PID",
    "GPG_AGENT_INFO",
    "DBUS_SESSION_BUS_ADDRESS",
    "DBUS_SYSTEM_BUS_ADDRESS",
    "XDG_RUNTIME_DIR",
    "DOCKER_HOST",
    "CONTAINER_HOST",
    "TMUX",
    "TMUX_PANE",
    "STY",
    "ZELLIJ",
    "ZELLIJ_SESSION_NAME",
    "DISPLAY",
    "XAUTHORITY",
    "WAYLAND_DISPLAY",
    "WAYLAND_SOCKET",
    "SESSION_MANAGER",
    "PULSE_SERVER",
    "PIPEWIRE_REMOTE",
    "KRB5CCNAME",
    "SWAYSOCK",
    "I3SOCK",
    "HYPRLAND_INSTANCE_SIGNATURE",
    "NIRI_SOCKET",
    "KITTY_LISTEN_ON",
    "WEZTERM_UNIX_SOCKET",
    "NVIM",
    "NVIM_LISTEN_ADDRESS",
    "VSCODE_IPC_HOOK_CLI",
    "VSCODE_GIT_IPC_HANDLE",
    "GNOME_KEYRING_CONTROL",
    "NOTIFY_SOCKET",
};

bool glob_match(std::string_view pattern, std::string_view s) {
  // Iterative '*' matching with one backtrack point: linear in practice for these patterns.
  size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = i;
    } else if (p < pattern.size() && pattern[p] == s[i]) {
      ++p;
      ++i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}

// The userinfo parts of every scheme://userinfo@host/... in `v`, the value itself or a part of
// it (`-Drepo=https://u:pw@host/m2`, `--index-url https://...`).
std::vector<std::string_view> url_userinfos(std::string_view v) {
  std::vector<std::string_view> out;
  for (size_t sep = v.find("://"); sep != std::string_view::npos; sep = v.find("://", sep + 3)) {
    size_t b = sep;
    while (b > 0 && scheme_char(v[b - 1])) --b;
    while (b < sep && !((v[b] >= 'a' && v[b] <= 'z') || (v[b] >= 'A' && v[b] <= 'Z'))) ++b;
    if (b == sep) continue;  // no scheme: "://x"
    std::string_view rest = v.substr(sep + 3);
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#\"' \t,;"));
    size_t at = authority.rfind('@');
    if (at != std::string_view::npos) out.push_back(authority.substr(0, at));
  }
  return out;
}

// scheme://user:password@host...: a database or registry URL that carries its password.
bool url_with_password(std::string_view v) {
  for (std::string_view userinfo : url_userinfos(v)) {
    size_t sep = userinfo.find(':');
    if (sep != std::string_view::npos && sep + 1 < userinfo.size()) return true;
  }
  return false;
}

// scheme://TOKEN@host: a token given as the user name (GitHub and GitLab accept that), told
// from `git@` or `deploy@` by its length.
bool url_with_token_user(std::string_view v) {
  constexpr size_t kMinTokenUser = 20;
  for (std::string_view userinfo : url_userinfos(v))
    if (userinfo.find(':') == std::string_view::npos && userinfo.size() >= kMinTokenUser)
      return true;
  return false;
}

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool token_char(char c) {
  return alnum(c) || c == '_' || c == '-';
}

// A known prefix at the start of a word, followed by a body of the issuer's shape.
bool holds_known_token(std::string_view v) {
  for (const TokenShape& t : kTokenShapes) {
    for (size_t at = v.find(t.prefix); at != std::string_view::npos;
         at = v.find(t.prefix, at + 1)) {
      if (at > 0 && token_char(v[at - 1])) continue;
      size_t n = 0;
      for (size_t i = at + t.prefix.size(); i < v.size(); ++i, ++n)
        if (t.alnum_only ? !alnum(v[i]) : !token_char(v[i])) break;
      if (n >= t.min_body) return true;
    }
  }
  return false;
}

bool under(std::string_view path, std::string_view dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  if (dir.empty() || dir[0] != '/' || path.substr(0, dir.size()) != dir) return false;
  return path.size() == dir.size() || path[dir.size()] == '/';
}

// The sandbox's /run and /var/run are empty, and $XDG_RUNTIME_DIR lies in /run (or nowhere the
// sandbox shares): sockets, pid files and session state of host services.
bool in_runtime_dirs(std::string_view value, std::string_view runtime_dir) {
  for (std::string_view prefix : {"unix:path=", "unix://", "unix:"}) {
    if (value.substr(0, prefix.size()) == prefix) {
      value.remove_prefix(prefix.size());
      break;
    }
  }
  if (value.empty() || value[0] != '/') return false;
  value = value.substr(0, value.find_first_of(",;"));  // "unix:path=/run/x,guid=..."
  return under(value, "/run") || under(value, "/var/run") ||
         (!runtime_dir.empty() && under(value, runtime_dir));
}

}  // namespace

std::string secret_env_rule(std::string_view name, std::string_view value) {
  const std::string n = upper(name);
  for (std::string_view p : kSecretPatterns)
    if (glob_match(p, n)) return std::string(p);
  if (url_with_password(value)) return "a URL with a password";
  if (url_with_token_user(value)) return "a URL with a token as its user";
  if (holds_known_token(value)) return "a value holding a known token prefix (ghp_, glpat-, ...)";
  return {};
}

EnvClass classify_env(std::string_view name, std::string_view value, std::string_view runtime_dir) {
  if (std::find(kHostSocketNames.begin(), kHostSocketNames.end(), name) != kHostSocketNames.end())
    return EnvClass::kHostSocket;
  if (in_runtime_dirs(value, runtime_dir)) return EnvClass::kHostSocket;
  return secret_env_rule(name, value).empty() ? EnvClass::kPass : EnvClass::kSecret;
}

bool valid_env_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(c >= '0' && c <= '9' && i > 0)) return false;
  }
  return true;
}

const std::vector<std::string_view>& secret_env_patterns() {
  return kSecretPatterns;
}

const std::vector<std::string_view>& host_socket_env_names() {
  return kHostSocketNames;
}

}  // namespace paddock
