#include "policy/policy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "base/unique_fd.h"
#include "policy/credential_stores.h"
#include "policy/env_rules.h"
#include "policy/git_config_judge.h"
#include "policy/host_fs.h"
#include "policy/path_glob.h"
#include "policy/paths.h"
#include "policy/project_root.h"
#include "policy/protected_names.h"
#include "policy/repo_hooks.h"
#include "policy/ssh_files.h"
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

// A denied name and, when it is a symlink, the place it points to: both disappear. Returns the
// name as added (its directory resolved), whether it exists or not.
Result<std::string> add_denied(PathResolver& resolver, UniqueList& out, UniqueList& absent,
                               const std::string& raw, const std::string& home,
                               const std::string& cwd, const char* key) {
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
    return name;
  }
  out.add(name);
  auto full = resolver.resolve(*e);
  if (!full) return full.error();
  if (*full != "/") out.add(*full);
  return name;
}

// A denyRead or allowRead entry as paths: a glob pattern expands to the existing paths it
// matches (path_glob.h), plus, for a pattern, its literal spelling: a file really named
// `a[1].env` stays denied.
Result<std::vector<std::string>> read_rule_paths(const std::string& raw, const std::string& home,
                                                 const std::string& cwd, const char* key) {
  if (!has_glob(raw)) return std::vector<std::string>{raw};
  auto e = expand_path(raw, home, cwd);
  if (!e) {
    Error err = e.error();
    err.op = key;
    return err;
  }
  auto matches = expand_glob(*e, real_host_fs(), key, raw);
  if (!matches) return matches.error();
  matches->push_back(*e);
  return matches;
}

// Write rules must hold for names that do not exist yet, which a start-up expansion cannot do.
Status refuse_globs(const std::vector<std::string>& entries, const char* key) {
  for (const auto& raw : entries)
    if (has_glob(raw))
      return plain_error(key,
                         "glob patterns are not supported here (a rule expanded at start-up "
                         "would miss names created later); name the paths, or use "
                         "filesystem.protectedNames for read-only names with `*`",
                         raw);
  return ok_status();
}

// The first 256 KiB of a regular file (an ssh config larger than that is not one; a key is at
// the start). Opened without waiting: a symlink to a FIFO must not hang start-up.
std::optional<std::string> read_small_file(const std::string& path) {
  constexpr size_t kMax = 256 * 1024;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) return std::nullopt;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::string text(kMax, '\0');
  size_t used = 0;
  while (used < kMax) {
    ssize_t n = ::read(fd.get(), text.data() + used, kMax - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    used += size_t(n);
  }
  text.resize(used);
  return text;
}

// ~/.ssh stays hidden; what ssh needs from it and that holds no key is re-opened
// (policy/ssh_files.h). A user's own denyRead of one of them wins; a symlink is re-opened only
// when it leads to a regular file that no denied path covers.
void reopen_ssh_files(PathResolver& resolver, const std::vector<std::string>& deny_read,
                      const std::string& home, bool public_keys, UniqueList& allow_read) {
  const std::string ssh_dir = join_path(home, ".ssh");
  if (std::find(deny_read.begin(), deny_read.end(), ssh_dir) == deny_read.end()) return;
  std::vector<std::string> others;
  for (const auto& d : deny_read)
    if (d != ssh_dir) others.push_back(d);
  const PathSet denied_elsewhere(others);
  const PathSet denied(deny_read);
  std::vector<std::string> files =
      ssh_readable_files(ssh_dir, home, real_host_fs(), read_small_file, public_keys);
  const PathSet chosen(files);
  for (const auto& f : files) {
    if (denied_elsewhere.covering(f) != nullptr) continue;
    if (real_host_fs().type(f) == EntryType::Symlink) {
      auto target = resolver.resolve(f);
      if (!target || real_host_fs().type(*target) != EntryType::File) continue;
      if (denied.covering(*target) != nullptr && !chosen.contains(*target)) continue;
    }
    allow_read.add(f);
  }
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

namespace {

// The project: --project, else the top of the git work tree around cwd, else cwd.
Result<ProjectRoot> project_root_on_host(PathResolver& resolver, const std::string& home_raw,
                                         const std::string& home, const std::string& cwd,
                                         const std::string& project_raw) {
  std::string explicit_project;
  if (!project_raw.empty()) {
    auto c = canonical(resolver, project_raw, home_raw, cwd, "--project");
    if (!c) return c.error();
    explicit_project = *c;
  }
  ProjectLookup lookup;
  lookup.present = [&resolver](const std::string& path) {
    auto r = resolver.present(path);
    return r.ok() && *r;
  };
  lookup.read_file = [](const std::string& path) { return read_small_host_file(path); };
  lookup.resolve = [&resolver](const std::string& path) { return resolver.resolve(path); };
  return find_project_root(cwd, home, explicit_project, lookup);
}

}  // namespace

Result<std::string> project_directory(const std::string& home_raw, const std::string& cwd_raw,
                                      const std::string& project_raw) {
  PathResolver resolver;
  auto home = resolver.resolve(normalize_path(home_raw));
  if (!home) return home.error();
  auto cwd = resolver.resolve(normalize_path(cwd_raw));
  if (!cwd) return cwd.error();
  auto project = project_root_on_host(resolver, home_raw, *home, *cwd, project_raw);
  if (!project) return project.error();
  return project->root;
}

bool is_system_directory(std::string_view dir) {
  // The directory itself and everything beneath: the system's programs, libraries,
  // configuration and kernel interfaces.
  static const std::string_view kTrees[] = {
      "/usr",     "/etc",       "/bin",       "/sbin",     "/lib",        "/lib32", "/lib64",
      "/libx32",  "/boot",      "/sys",       "/proc",     "/dev",        "/run",   "/var/lib",
      "/var/log", "/var/cache", "/var/spool", "/var/mail", "/var/backups"};
  // Only the directory itself: beneath them lie homes and projects (/home/me, /var/www/site,
  // /opt/app, /srv/data), but the directory is shared by every user and package.
  static const std::string_view kExact[] = {"/", "/home", "/var", "/opt", "/srv", "/mnt", "/media"};
  for (auto e : kExact)
    if (dir == e) return true;
  for (auto t : kTrees)
    if (path_within(dir, t)) return true;
  return false;
}

Result<Policy> build_policy(const Settings& s, const std::string& home_raw,
                            const std::string& cwd_raw, const std::string& path_env,
                            const HostInputs& host, const std::string& project_raw) {
  Policy p;
  p.settings_source = s.source_path;
  p.notes = s.notes;
  p.network = s.network;
  p.unset_env = s.unset_env;
  p.git_allow_config_keys = s.git.allow_config_keys;
  for (auto& w : git_allow_config_key_warnings(p.git_allow_config_keys)) p.warnings.push_back(w);
  p.pass_env = s.paddock.pass_env;
  for (const auto& n : p.pass_env)
    if (!valid_env_name(n))
      return plain_error("--pass-env",
                         "not a variable name (letters, digits and _); patterns are not "
                         "supported: name each variable to pass in",
                         n);
  p.ssh_agent.keys = s.paddock.ssh_agent_keys;
  p.ssh_agent.enabled = s.paddock.ssh_agent || !p.ssh_agent.keys.empty();
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
  // Most built-in stores are missing on a given machine: two directory reads instead of a
  // lookup for each (about a hundred).
  resolver.list_directory(*home);
  if (auto config = resolver.resolve(join_path(*home, ".config"));
      config && path_within(*config, *home))
    resolver.list_directory(*config);
  for (const auto& rel : builtin_credential_stores())
    PADDOCK_TRY(
        add_denied(resolver, deny_read, deny_absent, "~/" + rel, H, *cwd, "built-in denyRead"));
  for (const auto& d : s.filesystem.deny_read) {
    auto paths = read_rule_paths(d, H, *cwd, "filesystem.denyRead");
    if (!paths) return paths.error();
    for (const auto& one : *paths)
      PADDOCK_TRY(
          add_denied(resolver, deny_read, deny_absent, one, H, *cwd, "filesystem.denyRead"));
  }
  // paddock's own state (every project's home layer) is nobody's business inside.
  if (!host.state_dir.empty()) {
    auto st = resolver.resolve(normalize_path(host.state_dir));
    if (!st) return st.error();
    p.fs.state_dir = *st;
    PADDOCK_TRY(
        add_denied(resolver, deny_read, deny_absent, *st, H, *cwd, "paddock's state directory"));
  }
  // The control sockets of the user's running sandboxes (paddock ctl): another sandbox must not
  // even see them. Most lie beneath /run or /tmp, which the view replaces anyway; not all do.
  for (const auto& c : host.control_roots) {
    auto root =
        add_denied(resolver, deny_read, deny_absent, c, H, *cwd, "paddock's control sockets");
    if (!root) return root.error();
    p.fs.runtime_roots.push_back(std::move(*root));
  }
  UniqueList allow_read(p.fs.allow_read);
  reopen_ssh_files(resolver, p.fs.deny_read, *home,
                   s.paddock.ssh_agent || !s.paddock.ssh_agent_keys.empty(), allow_read);
  for (const auto& raw : s.filesystem.allow_read) {
    auto paths = read_rule_paths(raw, H, *cwd, "filesystem.allowRead");
    if (!paths) return paths.error();
    for (const auto& a : *paths) {
      auto c = canonical(resolver, a, H, *cwd, "filesystem.allowRead");
      if (!c) return c.error();
      allow_read.add(*c);
    }
  }
  PADDOCK_TRY(refuse_globs(s.filesystem.allow_write, "filesystem.allowWrite"));
  PADDOCK_TRY(refuse_globs(s.filesystem.deny_write, "filesystem.denyWrite"));
  PADDOCK_TRY(refuse_globs(s.network.allow_unix_sockets, "network.allowUnixSockets"));

  auto project = project_root_on_host(resolver, H, *home, *cwd, project_raw);
  if (!project) return project.error();
  p.fs.project = project->root;
  for (auto& n : project->notes) p.notes.push_back(std::move(n));
  for (auto& w : project->warnings) p.warnings.push_back(std::move(w));

  UniqueList writable(p.fs.writable);
  // A project that is / or a system directory stays read-only unless allowWrite names it.
  const bool system_project = is_system_directory(p.fs.project);
  if (!system_project) {
    writable.add(p.fs.project);
    for (const auto& e : project->extra) writable.add(e);
  }
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
  if (system_project && PathSet(p.fs.writable).covering(p.fs.project) == nullptr)
    p.notes.push_back(p.fs.project == "/"
                          ? std::string("the project directory is /: it stays read-only (run "
                                        "paddock from a project directory)")
                          : "the project directory " + p.fs.project +
                                " is a system directory: it stays read-only (--allow-write " +
                                p.fs.project + " makes it writable)");

  // A path the user allowed must not be redirected by a symlink a sandbox could have made: one
  // that lies inside a writable path. (`allowWrite: ["./.cache"]` with a planted `.cache ->
  // ~/.local/bin` would make the next run write a $PATH directory; `allowUnixSockets:
  // ["./app.sock"]` would pass docker.sock in.) The user names the target instead.
  // A link that stays within the project changes nothing and is left alone.
  {
    const PathSet writable_set(p.fs.writable);
    PathSet project_set;
    if (!system_project) {
      project_set.insert(p.fs.project);
      for (const auto& e : project->extra) project_set.insert(e);
    }
    auto check = [&](const std::vector<std::string>& raws, const char* key,
                     bool within_project_harmless) -> Status {
      for (const auto& raw : raws) {
        auto paths = read_rule_paths(raw, H, *cwd, key);
        if (!paths) continue;  // reported where the entry is resolved
        for (const auto& one : *paths) {
          auto e = expand_path(one, H, *cwd);
          if (!e) continue;
          std::vector<std::string> links;
          auto r = resolver.resolve(*e, links);
          if (!r || (within_project_harmless && project_set.covering(*r) != nullptr)) continue;
          for (const auto& l : links) {
            const std::string* w = writable_set.covering(l);
            if (w == nullptr) continue;
            return plain_error(key,
                               "leads through the symlink " + l +
                                   ", which lies in the writable "
                                   "path " +
                                   *w +
                                   " (a sandbox could have made it); name where it "
                                   "leads instead: " +
                                   *r,
                               raw);
          }
        }
      }
      return ok_status();
    };
    PADDOCK_TRY(check(s.filesystem.allow_write, "filesystem.allowWrite", true));
    PADDOCK_TRY(check(s.filesystem.allow_read, "filesystem.allowRead", true));
    PADDOCK_TRY(check(s.network.allow_unix_sockets, "network.allowUnixSockets", false));
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
    if (w != p.fs.project && denied.covering(w) != nullptr) allow_read.add(w);

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
  // The hook directories git runs from for the repositories at the writable roots.
  for (auto& h : repository_hook_dirs(resolver, p.fs.writable, *home)) {
    bool holds_root = false;
    for (const auto& w : p.fs.writable) holds_root = holds_root || path_within(w, h.first);
    if (holds_root)
      p.warnings.push_back(h.second + " is " + h.first +
                           ", which holds a writable path: the hooks there cannot be protected");
    else
      linked->push_back(std::move(h));
  }
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
  std::unordered_set<std::string> warned;  // once per directory, however often $PATH names it
  size_t i = 0;
  while (i <= path_env.size()) {
    size_t j = path_env.find(':', i);
    if (j == std::string::npos) j = path_env.size();
    std::string dir = path_env.substr(i, j - i);
    i = j + 1;
    if (dir.empty() || dir[0] != '/') continue;
    auto r = resolver.resolve(dir);
    if (!r) continue;
    if (writable_set.covering(*r) != nullptr && warned.insert(*r).second)
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
  li.project = p.fs.project;
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
