#include "policy/policy.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <unordered_map>
#include <unordered_set>

#include "policy/credential_stores.h"
#include "policy/host_fs.h"
#include "policy/paths.h"
#include "policy/protected_names.h"
#include "policy/system_secrets.h"

namespace paddock {

namespace {

// A list that keeps the first spelling of each path, in order, without a scan per insertion.
class UniqueList {
 public:
  explicit UniqueList(std::vector<std::string>& v) : v_(v), seen_(v.begin(), v.end()) {}
  void add(const std::string& s) {
    if (seen_.insert(s).second) v_.push_back(s);
  }

 private:
  std::vector<std::string>& v_;
  std::unordered_set<std::string> seen_;
};

Result<std::string> canonical(PathResolver& resolver, const std::string& raw,
                              const std::string& home, const std::string& cwd, const char* key) {
  auto e = expand_path(raw, home, cwd);
  if (!e) {
    Error err = e.error();
    err.op = key;
    return err;
  }
  auto r = resolver.resolve(*e);
  if (!r) {
    Error err = r.error();
    err.op = std::string(key) + ": resolve";
    return err;
  }
  return *r;
}

// A denied name and, when it is a symlink, the place it points to: both disappear.
Status add_denied(PathResolver& resolver, UniqueList& out, UniqueList& absent,
                  const std::string& raw, const std::string& home, const std::string& cwd,
                  const char* key) {
  auto e = expand_path(raw, home, cwd);
  if (!e) {
    Error err = e.error();
    err.op = key;
    return err;
  }
  if (*e == "/") return plain_error(key, "denying / leaves nothing to run", raw);
  auto parent = resolver.resolve(parent_path(*e));
  if (!parent) return parent.error();
  // Nothing there, nothing to hide: most built-in stores do not exist on a given machine, and
  // skipping them keeps start-up cheap.
  std::string name = join_path(*parent, base_name(*e));
  auto there = resolver.present(name);
  if (!there) return there.error();
  if (!*there) {
    absent.add(name);
    return ok_status();
  }
  out.add(name);
  auto full = resolver.resolve(*e);
  if (!full) return full.error();
  if (*full != "/") out.add(*full);
  return ok_status();
}

// For each writable root, the protected names found there through a symlink, with where they
// lead. One directory read per root decides which names need a closer look.
Result<std::vector<std::pair<std::string, std::string>>> protected_link_targets(
    PathResolver& resolver, const std::vector<std::string>& writable,
    const std::vector<std::string>& extra_names, std::vector<std::string>& warnings) {
  std::vector<std::string> names;
  for (const auto& n : ProtectedPaths::builtin_names())
    if (n.find('*') == std::string::npos) names.push_back(n);
  for (const auto& n : extra_names)
    if (n.find('*') == std::string::npos) names.push_back(n);
  std::vector<std::string> firsts;
  std::unordered_set<std::string> seen;
  for (const auto& n : names) {
    std::string f = n.substr(0, n.find('/'));
    if (seen.insert(f).second) firsts.push_back(f);
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& w : writable) {
    std::vector<EntryType> types = real_host_fs().types_in(w, firsts);
    std::unordered_map<std::string, EntryType> type_of;
    for (size_t i = 0; i < firsts.size(); ++i) type_of[firsts[i]] = types[i];
    for (const auto& n : names) {
      bool multi = n.find('/') != std::string::npos;
      EntryType t = type_of[n.substr(0, n.find('/'))];
      if (t != EntryType::Symlink && !(multi && t == EntryType::Dir)) continue;
      std::string lexical = join_path(w, n);
      auto r = resolver.resolve(lexical);
      if (!r) return r.error();
      if (*r == lexical) continue;
      // A target holding a writable root cannot be read-only without the root.
      bool holds_root = *r == "/";
      for (const auto& other : writable) holds_root = holds_root || path_within(other, *r);
      if (holds_root) {
        warnings.push_back(lexical + " is a symlink to " + *r +
                           ", which holds a writable path: its target cannot be protected");
        continue;
      }
      out.emplace_back(*r, n + " (the target of the symlink " + lexical + ")");
    }
  }
  return out;
}

}  // namespace

Result<Policy> build_policy(const Settings& s, const std::string& home_raw,
                            const std::string& cwd_raw, const std::string& path_env,
                            const HostInputs& host) {
  Policy p;
  p.settings_source = s.source_path;
  p.notes = s.notes;
  p.network = s.network;
  p.unset_env = s.unset_env;
  PathResolver resolver;
  auto home = resolver.resolve(normalize_path(home_raw));
  if (!home) return home.error();
  auto cwd = resolver.resolve(normalize_path(cwd_raw));
  if (!cwd) return cwd.error();
  p.fs.home = *home;
  p.fs.cwd = *cwd;
  const std::string& H = home_raw;  // ~ expands to the user's spelling; resolution follows

  UniqueList deny_read(p.fs.deny_read);
  UniqueList deny_absent(p.fs.deny_read_absent);
  for (const auto& rel : builtin_credential_stores())
    PADDOCK_TRY(
        add_denied(resolver, deny_read, deny_absent, "~/" + rel, H, *cwd, "built-in denyRead"));
  for (const auto& d : s.filesystem.deny_read)
    PADDOCK_TRY(add_denied(resolver, deny_read, deny_absent, d, H, *cwd, "filesystem.denyRead"));
  // paddock's own state (every project's home layer) is nobody's business inside.
  if (!host.state_dir.empty()) {
    auto st = resolver.resolve(normalize_path(host.state_dir));
    if (!st) return st.error();
    p.fs.state_dir = *st;
    PADDOCK_TRY(
        add_denied(resolver, deny_read, deny_absent, *st, H, *cwd, "paddock's state directory"));
  }
  UniqueList allow_read(p.fs.allow_read);
  for (const auto& a : s.filesystem.allow_read) {
    auto c = canonical(resolver, a, H, *cwd, "filesystem.allowRead");
    if (!c) return c.error();
    allow_read.add(*c);
  }

  UniqueList writable(p.fs.writable);
  writable.add(*cwd);
  UniqueList create_writable(p.fs.create_writable);
  for (const auto& w : s.filesystem.allow_write) {
    auto c = canonical(resolver, w, H, *cwd, "filesystem.allowWrite");
    if (!c) return c.error();
    if (*c == "/") return plain_error("filesystem.allowWrite", "refusing to make / writable", w);
    auto there = resolver.present(*c);
    if (!there) return there.error();
    if (!*there) create_writable.add(*c);
    writable.add(*c);
  }

  // Secrets of the system and other users' homes, unless they hold what this run works on.
  for (const auto& sp : system_secret_paths(real_host_fs(), host.passwd)) {
    bool holds_ours = path_within(*home, sp);
    for (const auto& w : p.fs.writable) holds_ours = holds_ours || path_within(w, sp);
    for (const auto& a : p.fs.allow_read) holds_ours = holds_ours || path_within(a, sp);
    if (!holds_ours)
      PADDOCK_TRY(add_denied(resolver, deny_read, deny_absent, sp, H, *cwd,
                             "built-in denyRead (system secrets)"));
  }

  // The current directory inside a denied path must be re-opened explicitly.
  for (const auto& d : p.fs.deny_read) {
    if (!path_within(*cwd, d)) continue;
    bool reopened = false;
    for (const auto& a : p.fs.allow_read)
      if (path_within(*cwd, a)) reopened = true;
    if (!reopened)
      return plain_error(
          "current directory",
          "is inside the denied path " + d + "; re-open it with --allow-read " + *cwd, *cwd);
  }
  // An explicit allowWrite beneath a denied path re-opens it.
  const PathSet denied(p.fs.deny_read);
  for (const auto& w : p.fs.writable)
    if (w != *cwd && denied.covering(w) != nullptr) allow_read.add(w);

  // An entry protects every spelling along its resolution: the canonical path is the file's
  // own (bound read-only when it exists), the others are names that lead to it.
  std::vector<std::string> exact;
  std::vector<std::string> aliases;
  UniqueList exact_list(exact);
  std::vector<std::string> all_spellings;
  for (const auto& w : s.filesystem.deny_write) {
    auto e = expand_path(w, H, *cwd);
    if (!e) {
      Error err = e.error();
      err.op = "filesystem.denyWrite";
      return err;
    }
    auto forms = resolver.spellings(*e);
    if (!forms) {
      Error err = forms.error();
      err.op = "filesystem.denyWrite: resolve";
      return err;
    }
    exact_list.add(forms->back());
    all_spellings.insert(all_spellings.end(), forms->begin(), forms->end() - 1);
  }
  if (!s.source_path.empty()) exact_list.add(s.source_path);
  {
    const std::unordered_set<std::string> canonical_set(exact.begin(), exact.end());
    UniqueList alias_list(aliases);
    for (const auto& a : all_spellings)
      if (canonical_set.count(a) == 0) alias_list.add(a);
  }
  std::vector<std::string> extra_names;
  for (const auto& n : s.filesystem.protected_names) {
    auto name = parse_protected_name(n);
    if (!name) return name.error();
    extra_names.push_back(std::move(*name));
  }
  // A protected name that is a symlink protects where it leads as well (a stow-style
  // ~/.bashrc -> dotfiles/bashrc, .vscode -> editor-settings): the mediator judges a write
  // through the link by the link's name, and this covers a write to the target itself.
  auto linked = protected_link_targets(resolver, p.fs.writable, extra_names, p.warnings);
  if (!linked) return linked.error();
  p.fs.protect = ProtectedPaths(std::move(exact), std::move(aliases), extra_names, *linked);
  for (const auto& w : p.fs.writable)
    if (const std::string* e = p.fs.protect.exact_covering(w))
      return plain_error("filesystem.allowWrite", "is inside the write-protected path " + *e, w);

  UniqueList unix_sockets(p.fs.unix_sockets);
  for (const auto& sock : s.network.allow_unix_sockets) {
    auto c = canonical(resolver, sock, H, *cwd, "network.allowUnixSockets");
    if (!c) return c.error();
    unix_sockets.add(*c);
    if (c->find("docker.sock") != std::string::npos || c->find("podman") != std::string::npos ||
        c->find("containerd") != std::string::npos)
      p.warnings.push_back(
          "network.allowUnixSockets: " + *c +
          " is a container engine socket: whoever reaches it is root on this host");
    else
      p.warnings.push_back("network.allowUnixSockets: " + *c +
                           " passes a host service into the sandbox; it acts with its own rights");
  }
  if (s.network.allow_all_unix_sockets)
    p.warnings.push_back(
        "network.allowAllUnixSockets is not supported: only sockets named in "
        "network.allowUnixSockets are reachable");

  // Writable $PATH directories: a command written there runs outside the sandbox later.
  const PathSet writable_set(p.fs.writable);
  size_t i = 0;
  while (i <= path_env.size()) {
    size_t j = path_env.find(':', i);
    if (j == std::string::npos) j = path_env.size();
    std::string dir = path_env.substr(i, j - i);
    i = j + 1;
    if (dir.empty() || dir[0] != '/') continue;
    auto r = resolver.resolve(dir);
    if (!r) continue;
    if (writable_set.covering(*r) != nullptr)
      p.warnings.push_back("$PATH directory " + dir + " is writable inside the sandbox: a " +
                           "program planted there runs unsandboxed when you next call it");
  }
  for (const auto& w : p.fs.writable)
    if (path_within(*home, w))
      p.warnings.push_back("the home directory " + *home + " is writable (" + w +
                           "): shell rc files stay read-only, but any other dotfile can change");

  HomeLayerInputs li;
  li.home = *home;
  li.home_is_dir = real_host_fs().type(*home) == EntryType::Dir;
  li.state_dir = p.fs.state_dir;
  li.project = *cwd;
  li.ephemeral = host.ephemeral_home;
  li.writable = &p.fs.writable;
  li.deny_read = &p.fs.deny_read;
  p.fs.home_layer = decide_home_layer(li);
  for (const auto& d : s.network.allowed_domains)
    if (d.rfind("*.", 0) == 0)
      p.warnings.push_back("network.allowedDomains: " + d + " allows every subdomain");
  if (s.network.allow_private_addresses)
    p.warnings.push_back(
        "network.allowPrivateAddresses is true: an allowed name that resolves into a private "
        "network (RFC 1918, 100.64.0.0/10, fc00::/7, fec0::/10) is dialled, so whoever controls "
        "its DNS can point it at your LAN, VPN or tailnet");
  return p;
}

}  // namespace paddock
