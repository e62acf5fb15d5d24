#include "policy/protected_paths.h"

#include <algorithm>

#include "policy/paths.h"

namespace paddock {

namespace {

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool is_git_control(std::string_view c) {
  return c == "hooks" || c == "config" || c == "config.worktree";
}

// Components after a ".git" component: protect hooks/, config and config.worktree of the
// repository, of each worktree (.git/worktrees/NAME/) and of submodules (.git/modules/.../NAME/),
// whose gitdirs have the same layout.
std::string git_rule(const std::vector<std::string_view>& comps, size_t git_index) {
  size_t n = comps.size();
  size_t i = git_index + 1;
  if (i >= n) return {};
  if (is_git_control(comps[i])) return ".git/" + std::string(comps[i]);
  // commondir redirects git to another directory's config and hooks (worktree gitdirs have one,
  // written once by `git worktree add`; the repository's own .git never does).
  if (comps[i] == "commondir") return ".git/commondir";
  if (comps[i] == "worktrees" && i + 2 < n && is_git_control(comps[i + 2]))
    return ".git/worktrees/*/" + std::string(comps[i + 2]);
  if (comps[i] == "modules") {
    for (size_t k = i + 2; k < n; ++k)
      if (is_git_control(comps[k])) return ".git/modules/**/" + std::string(comps[k]);
  }
  return {};
}

}  // namespace

const std::vector<std::string>& ProtectedPaths::protected_names() {
  static const std::vector<std::string> names = {
      // shells: rc and profile files run at the next login or interactive shell
      ".bashrc",
      ".bash_profile",
      ".bash_login",
      ".bash_logout",
      ".bash_aliases",
      ".profile",
      ".zshrc",
      ".zshenv",
      ".zprofile",
      ".zlogin",
      ".zlogout",
      ".cshrc",
      ".tcshrc",
      ".login",
      ".kshrc",
      ".mkshrc",
      // git: global config and submodule definitions
      ".gitconfig",
      ".gitmodules",
      // editors: task and launch files run on open
      ".vscode",
      ".idea",
      // direnv, MCP client configuration, husky hook scripts (core.hooksPath)
      ".envrc",
      ".mcp.json",
      ".husky",
  };
  return names;
}

const std::vector<std::string>& ProtectedPaths::names_to_bind_in_root() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v = protected_names();
    v.push_back(".git/hooks");
    v.push_back(".git/config");
    v.push_back(".git/config.worktree");
    v.push_back(".config/fish");
    return v;
  }();
  return names;
}

ProtectionVerdict ProtectedPaths::check(std::string_view path) const {
  // Every mediated write asks this: a lookup per ancestor, not a scan of the denyWrite list.
  if (const std::string* e = exact_covering(path)) return {true, "denyWrite " + *e};
  auto comps = path_components(path);
  for (size_t i = 0; i < comps.size(); ++i) {
    if (contains(protected_names(), comps[i])) return {true, std::string(comps[i])};
    if (comps[i] == ".git") {
      std::string r = git_rule(comps, i);
      if (!r.empty()) return {true, r};
    }
    // fish keeps its rc file under .config/fish/
    if (comps[i] == ".config" && i + 1 < comps.size() && comps[i + 1] == "fish")
      return {true, ".config/fish"};
  }
  return {};
}

ProtectionVerdict ProtectedPaths::check_rename(std::string_view src, std::string_view dst,
                                               bool src_is_dir) const {
  if (auto v = check(src); v.is_protected) return v;
  if (auto v = check(dst); v.is_protected) return v;
  // A repository's .git is never moved away nor replaced: a gitfile put in its place could
  // point git at a gitdir whose config and hooks are not protected by name.
  if (base_name(src) == ".git") return {true, ".git (moved)"};
  if (base_name(dst) == ".git") return {true, ".git (replaced)"};
  if (src_is_dir) {
    for (auto c : path_components(dst))
      if (c == ".git") return {true, "directory moved into .git"};
  }
  for (const auto& e : exact_)
    if (path_within(e, src)) return {true, "denyWrite " + e + " (ancestor moved)"};
  return {};
}

}  // namespace paddock
