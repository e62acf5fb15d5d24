#include "policy/project_root.h"

#include "policy/paths.h"

namespace paddock {

namespace {

// "gitdir: X" as git writes it into a gitfile; X may be relative to the gitfile's directory.
std::optional<std::string> gitdir_of(const std::string& text, const std::string& dir) {
  if (text.rfind("gitdir: ", 0) != 0) return std::nullopt;
  std::string t = text.substr(8);
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  if (t.empty() || t.find('\n') != std::string::npos) return std::nullopt;
  return normalize_path(t[0] == '/' ? t : dir + "/" + t);
}

// The repository a worktree's or submodule's gitdir belongs to: its commondir when it has one
// (a worktree: `.git/worktrees/NAME` -> `.git`), else the gitdir itself.
std::string common_dir(const std::string& gitdir, const ProjectLookup& fs) {
  auto c = fs.read_file(gitdir + "/commondir");
  if (!c) return gitdir;
  std::string t = *c;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  if (t.empty()) return gitdir;
  return normalize_path(t[0] == '/' ? t : gitdir + "/" + t);
}

}  // namespace

Result<ProjectRoot> find_project_root(const std::string& cwd, const std::string& home,
                                      const std::string& explicit_root, const ProjectLookup& fs) {
  ProjectRoot r;
  if (!explicit_root.empty()) {
    if (!path_within(cwd, explicit_root))
      return plain_error("--project",
                         "must be the current directory or one of its parents (the command runs "
                         "in the current directory)",
                         explicit_root);
    if (explicit_root == "/") return plain_error("--project", "refusing to make / writable", "/");
    r.root = explicit_root;
    return r;
  }
  r.root = cwd;
  std::string top;
  for (std::string d = cwd;; d = parent_path(d)) {
    if (fs.present(join_path(d, ".git"))) {
      top = d;
      break;
    }
    if (d == "/") break;
  }
  if (top.empty()) return r;
  if (top == home || top == "/") {
    if (top != cwd)
      r.warnings.push_back("the git work tree around " + cwd + " has its top at " + top +
                           ", which is not made writable wholesale; only " + cwd +
                           " is (choose another with --project)");
    return r;
  }
  r.root = top;
  if (top != cwd)
    r.notes.push_back("project: " + top + " (the top of the git work tree around " + cwd + ")");
  // A worktree's or a submodule's repository lives elsewhere: git writes its objects and refs
  // there. Its control files stay protected like any repository's.
  std::string dotgit = join_path(top, ".git");
  if (auto text = fs.read_file(dotgit)) {
    if (auto gd = gitdir_of(*text, top)) {
      auto resolved = fs.resolve(*gd);
      if (resolved) {
        std::string repo = common_dir(*resolved, fs);
        auto rr = fs.resolve(repo);
        if (rr && !path_within(*rr, top) && *rr != "/" && *rr != home) {
          r.extra.push_back(*rr);
          r.notes.push_back("repository of this work tree: " + *rr +
                            " (writable; its config "
                            "and hooks stay protected)");
        }
      }
    }
  }
  return r;
}

}  // namespace paddock
