#include "policy/policy.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "policy/credential_stores.h"
#include "policy/paths.h"

namespace paddock {

namespace {

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

Result<std::string> canonical(const std::string& raw, const std::string& home,
                              const std::string& cwd, const char* key) {
  auto e = expand_path(raw, home, cwd);
  if (!e) {
    Error err = e.error();
    err.op = key;
    return err;
  }
  auto r = resolve_path(*e);
  if (!r) {
    Error err = r.error();
    err.op = std::string(key) + ": resolve";
    return err;
  }
  return *r;
}

// A denied name and, when it is a symlink, the place it points to: both disappear.
Status add_denied(std::vector<std::string>& out, const std::string& raw, const std::string& home,
                  const std::string& cwd, const char* key) {
  auto e = expand_path(raw, home, cwd);
  if (!e) {
    Error err = e.error();
    err.op = key;
    return err;
  }
  if (*e == "/") return plain_error(key, "denying / leaves nothing to run", raw);
  // Nothing there, nothing to hide: most built-in stores do not exist on a given machine, and
  // skipping them keeps start-up cheap.
  struct stat st;
  if (::lstat(e->c_str(), &st) != 0 && errno == ENOENT) return ok_status();
  auto parent = resolve_path(parent_path(*e));
  if (!parent) return parent.error();
  add_unique(out, join_path(*parent, base_name(*e)));
  auto full = resolve_path(*e);
  if (!full) return full.error();
  if (*full != "/") add_unique(out, *full);
  return ok_status();
}

}  // namespace

Result<Policy> build_policy(const Settings& s, const std::string& home_raw,
                            const std::string& cwd_raw, const std::string& path_env) {
  Policy p;
  p.settings_source = s.source_path;
  p.notes = s.notes;
  p.network = s.network;
  p.unset_env = s.unset_env;
  auto home = resolve_path(normalize_path(home_raw));
  if (!home) return home.error();
  auto cwd = resolve_path(normalize_path(cwd_raw));
  if (!cwd) return cwd.error();
  p.fs.home = *home;
  p.fs.cwd = *cwd;
  const std::string& H = home_raw;  // ~ expands to the user's spelling; resolution follows

  for (const auto& rel : builtin_credential_stores())
    PADDOCK_TRY(add_denied(p.fs.deny_read, "~/" + rel, H, *cwd, "built-in denyRead"));
  for (const auto& d : s.filesystem.deny_read)
    PADDOCK_TRY(add_denied(p.fs.deny_read, d, H, *cwd, "filesystem.denyRead"));
  for (const auto& a : s.filesystem.allow_read) {
    auto c = canonical(a, H, *cwd, "filesystem.allowRead");
    if (!c) return c.error();
    add_unique(p.fs.allow_read, *c);
  }

  p.fs.writable.push_back(*cwd);
  for (const auto& w : s.filesystem.allow_write) {
    auto c = canonical(w, H, *cwd, "filesystem.allowWrite");
    if (!c) return c.error();
    if (*c == "/") return plain_error("filesystem.allowWrite", "refusing to make / writable", w);
    add_unique(p.fs.writable, *c);
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
  for (const auto& w : p.fs.writable)
    for (const auto& d : p.fs.deny_read)
      if (path_within(w, d) && w != *cwd) add_unique(p.fs.allow_read, w);

  std::vector<std::string> exact;
  for (const auto& w : s.filesystem.deny_write) {
    auto c = canonical(w, H, *cwd, "filesystem.denyWrite");
    if (!c) return c.error();
    add_unique(exact, *c);
  }
  if (!s.source_path.empty()) add_unique(exact, s.source_path);
  for (const auto& e : exact)
    for (const auto& w : p.fs.writable)
      if (path_within(w, e))
        return plain_error("filesystem.allowWrite", "is inside the write-protected path " + e, w);
  p.fs.protect = ProtectedPaths(std::move(exact));

  for (const auto& sock : s.network.allow_unix_sockets) {
    auto c = canonical(sock, H, *cwd, "network.allowUnixSockets");
    if (!c) return c.error();
    add_unique(p.fs.unix_sockets, *c);
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
  size_t i = 0;
  while (i <= path_env.size()) {
    size_t j = path_env.find(':', i);
    if (j == std::string::npos) j = path_env.size();
    std::string dir = path_env.substr(i, j - i);
    i = j + 1;
    if (dir.empty() || dir[0] != '/') continue;
    auto r = resolve_path(dir);
    if (!r) continue;
    for (const auto& w : p.fs.writable)
      if (path_within(*r, w)) {
        p.warnings.push_back("$PATH directory " + dir + " is writable inside the sandbox: a " +
                             "program planted there runs unsandboxed when you next call it");
        break;
      }
  }
  for (const auto& w : p.fs.writable)
    if (path_within(*home, w))
      p.warnings.push_back("the home directory " + *home + " is writable (" + w +
                           "): shell rc files stay read-only, but any other dotfile can change");
  for (const auto& d : s.network.allowed_domains)
    if (d.rfind("*.", 0) == 0)
      p.warnings.push_back("network.allowedDomains: " + d + " allows every subdomain");
  return p;
}

}  // namespace paddock
