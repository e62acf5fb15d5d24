#include "policy/ssh_files.h"

#include <fnmatch.h>

#include <algorithm>
#include <set>

#include "base/ascii.h"
#include "policy/path_glob.h"
#include "policy/paths.h"

namespace paddock {

namespace {

constexpr size_t kMaxConfigFiles = 16;  // ssh's own Include depth limit is 16 as well

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// Splits the arguments of one line as ssh does: whitespace-separated, "double quotes" group.
std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && space(line[i])) ++i;
    if (i >= line.size()) break;
    std::string w;
    if (line[i] == '"') {
      ++i;
      while (i < line.size() && line[i] != '"') w.push_back(line[i++]);
      if (i < line.size()) ++i;
    } else {
      while (i < line.size() && !space(line[i])) w.push_back(line[i++]);
    }
    out.push_back(std::move(w));
  }
  return out;
}

// ~ and relative paths as ssh reads them in a user's config: relative to ~/.ssh.
std::string ssh_path(const std::string& raw, const std::string& ssh_dir, const std::string& home) {
  if (raw == "~") return home;
  if (raw.rfind("~/", 0) == 0) return normalize_path(home + raw.substr(1));
  if (!raw.empty() && raw[0] == '/') return normalize_path(raw);
  return normalize_path(ssh_dir + "/" + raw);
}

}  // namespace

SshConfigRefs parse_ssh_config_refs(std::string_view text) {
  SshConfigRefs refs;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    size_t i = 0;
    while (i < line.size() && space(line[i])) ++i;
    if (i >= line.size() || line[i] == '#') continue;
    // "Keyword value", "Keyword=value" and "Keyword = value" are all ssh_config syntax.
    size_t k = i;
    while (k < line.size() && !space(line[k]) && line[k] != '=') ++k;
    std::string_view keyword = line.substr(i, k - i);
    while (k < line.size() && space(line[k])) ++k;
    if (k < line.size() && line[k] == '=') ++k;
    std::vector<std::string> args = words(line.substr(k));
    if (equal_ascii_ci(keyword, "Include")) {
      for (auto& a : args) refs.includes.push_back(std::move(a));
    } else if ((equal_ascii_ci(keyword, "IdentityFile") ||
                equal_ascii_ci(keyword, "CertificateFile")) &&
               !args.empty()) {
      refs.identity_files.push_back(std::move(args[0]));
    }
  }
  return refs;
}

bool looks_like_ssh_key(std::string_view name) {
  static const char* kPatterns[] = {"id_*",       "*.pem",        "*.key",   "*.ppk",
                                    "*_rsa",      "*_dsa",        "*_ecdsa", "*_ed25519",
                                    "*_ecdsa_sk", "*_ed25519_sk", "*-cert*", "*private*"};
  if (name.size() > 4 && name.substr(name.size() - 4) == ".pub") return false;
  const std::string n(name);
  for (const char* p : kPatterns)
    if (::fnmatch(p, n.c_str(), 0) == 0) return true;
  return false;
}

bool holds_private_key(std::string_view text) {
  // "-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN
  // ENCRYPTED PRIVATE KEY-----", "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----", and SSH1's
  // "SSH PRIVATE KEY FILE FORMAT 1.1" all say so; PuTTY's .ppk has a header of its own.
  return text.find("PRIVATE KEY") != std::string_view::npos ||
         text.find("PuTTY-User-Key-File-") != std::string_view::npos;
}

std::vector<std::string> ssh_readable_files(
    const std::string& ssh_dir, const std::string& home, const HostFs& fs,
    const std::function<std::optional<std::string>(const std::string&)>& read,
    bool with_public_keys) {
  std::set<std::string> keys;  // IdentityFile targets, from every config read
  std::vector<std::string> candidates;
  for (const char* n : {"known_hosts", "known_hosts2"}) candidates.push_back(join_path(ssh_dir, n));
  // config, then what it includes, breadth first.
  std::vector<std::string> configs = {join_path(ssh_dir, "config")};
  std::set<std::string> seen;
  for (size_t i = 0; i < configs.size() && seen.size() < kMaxConfigFiles; ++i) {
    const std::string cfg = configs[i];
    if (!seen.insert(cfg).second) continue;
    const EntryType t = fs.type(cfg);
    if (!path_within(cfg, ssh_dir) || (t != EntryType::File && t != EntryType::Symlink)) continue;
    candidates.push_back(cfg);
    std::optional<std::string> text = read(cfg);
    if (!text) continue;
    SshConfigRefs refs = parse_ssh_config_refs(*text);
    for (const auto& id : refs.identity_files) keys.insert(ssh_path(id, ssh_dir, home));
    for (const auto& inc : refs.includes) {
      const std::string pattern = ssh_path(inc, ssh_dir, home);
      if (!path_within(pattern, ssh_dir)) continue;  // readable where it is, unless denied
      if (!has_glob(pattern)) {
        configs.push_back(pattern);
        continue;
      }
      auto matches = expand_glob(pattern, fs, "~/.ssh/config: Include", inc, 256);
      if (!matches) continue;
      for (auto& m : *matches) configs.push_back(std::move(m));
    }
  }
  if (with_public_keys)
    for (const HostEntry& e : fs.list(ssh_dir))
      if (e.type == EntryType::File && e.name.size() > 4 &&
          e.name.substr(e.name.size() - 4) == ".pub")
        candidates.push_back(join_path(ssh_dir, e.name));
  std::vector<std::string> out;
  for (const auto& c : candidates) {
    if (keys.count(c) != 0 || looks_like_ssh_key(base_name(c))) continue;
    const EntryType t = fs.type(c);
    if (t != EntryType::File && t != EntryType::Symlink) continue;  // a symlink: caller judges
    // Read through a symlink or a hard link alike: a key under any name stays absent.
    if (std::optional<std::string> text = read(c); text && holds_private_key(*text)) continue;
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

}  // namespace paddock
