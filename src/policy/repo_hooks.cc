#include "policy/repo_hooks.h"

#include "policy/git_config.h"
#include "policy/git_control.h"
#include "policy/host_fs.h"

namespace paddock {

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// The gitdir of a work tree's `.git` (a directory, or a gitfile naming one), and the
// repository's common directory (a worktree's commondir).
struct Repo {
  std::string gitdir;
  std::string common;
};

std::optional<Repo> repo_at(PathResolver& resolver, const std::string& top) {
  std::string dotgit = join_path(top, ".git");
  auto present = resolver.present(dotgit);
  if (!present || !*present) return std::nullopt;
  Repo r;
  if (auto text = read_small_host_file(dotgit)) {
    std::string t = trimmed(*text);
    if (t.rfind("gitdir: ", 0) != 0) return std::nullopt;
    t = t.substr(8);
    if (t.empty()) return std::nullopt;
    r.gitdir = normalize_path(t[0] == '/' ? t : top + "/" + t);
  } else {
    r.gitdir = dotgit;
  }
  auto g = resolver.resolve(r.gitdir);
  if (!g) return std::nullopt;
  r.gitdir = *g;
  r.common = r.gitdir;
  if (auto c = read_small_host_file(join_path(r.gitdir, "commondir"))) {
    std::string t = trimmed(*c);
    if (!t.empty()) {
      auto rc = resolver.resolve(normalize_path(t[0] == '/' ? t : r.gitdir + "/" + t));
      if (rc) r.common = *rc;
    }
  }
  return r;
}

// core.hooksPath as git reads it from the repository's own config files (the user's global
// config is protected by name; a hooksPath there points into the home, not a writable root
// unless the user made it one: covered by the same rule when read here is not).
std::optional<std::string> hooks_path(const Repo& r) {
  std::optional<std::string> value;
  for (const std::string& f :
       {join_path(r.common, "config"), join_path(r.gitdir, "config.worktree")}) {
    auto text = read_small_host_file(f, kMaxGitConfigBytes);
    if (!text) continue;
    auto entries = parse_git_config(*text);
    if (!entries) continue;
    for (const auto& e : *entries)
      if (e.section == "core" && !e.subsection && e.key == "hookspath" && e.value) value = e.value;
  }
  return value;
}

// A hook that is a symlink (`pre-commit -> ../../scripts/pre-commit`, how hooks are versioned
// with the code) runs whatever its target holds: the target is protected like the hook.
void linked_hooks(PathResolver& resolver, const std::string& dir, const std::string& what,
                  std::vector<std::pair<std::string, std::string>>& out) {
  for (const HostEntry& e : real_host_fs().list(dir)) {
    if (e.type != EntryType::Symlink || is_inert_hook_name(e.name)) continue;
    std::string link = join_path(dir, e.name);
    auto target = resolver.resolve(link);
    if (target && *target != link && *target != "/")
      out.emplace_back(*target, "hook " + e.name + " in " + what + " (the target of its symlink)");
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> repository_hook_dirs(
    PathResolver& resolver, const std::vector<std::string>& writable, const std::string& home) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& w : writable) {
    auto repo = repo_at(resolver, w);
    if (!repo) continue;
    std::string hooks = join_path(repo->common, "hooks");
    auto hr = resolver.resolve(hooks);
    if (hr && *hr != hooks)
      out.emplace_back(*hr, ".git/hooks of " + w + " (the target of its symlink)");
    if (hr) linked_hooks(resolver, *hr, ".git/hooks of " + w, out);
    if (auto hp = hooks_path(*repo)) {
      std::string p = *hp;
      if (p.rfind("~/", 0) == 0) p = home + p.substr(1);
      // Relative to the work tree, as git resolves it for a non-bare repository.
      std::string abs = normalize_path(!p.empty() && p[0] == '/' ? p : w + "/" + p);
      auto ar = resolver.resolve(abs);
      if (ar && *ar != "/") {
        out.emplace_back(*ar, "core.hooksPath of " + w);
        linked_hooks(resolver, *ar, "core.hooksPath of " + w, out);
      }
    }
  }
  return out;
}

}  // namespace paddock
