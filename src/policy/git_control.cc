#include "policy/git_control.h"

#include "policy/paths.h"

namespace paddock {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

GitVerdict allow() {
  return {};
}
GitVerdict refuse(std::string why) {
  return {GitVerdict::Kind::Refuse, std::move(why)};
}
GitVerdict install() {
  return {GitVerdict::Kind::Install, {}};
}

// Config and todo lists: their content decides what git runs, so they change only
// by a rename the supervisor performs from its own checked copy (git always writes them through
// a lock file renamed into place).
GitVerdict judged_file(GitOp op, bool is_dir, const char* what) {
  switch (op) {
    case GitOp::Chmod:
    case GitOp::Remove:
    case GitOp::RenameFrom:
      return allow();
    case GitOp::RenameTo:
      if (is_dir) return refuse(std::string(what) + " must be a file");
      return install();
    case GitOp::Create:
    case GitOp::Write:
      return refuse(std::string(what) +
                    " changes only through a lock file renamed into place, so its content can be "
                    "checked");
    case GitOp::Exchange:
    case GitOp::LinkTo:
      return refuse(std::string(what) + " changes only through a checked rename");
  }
  return refuse(what);
}

}  // namespace

bool is_gitdir_marker(std::string_view name) {
  return name == "HEAD" || name == "commondir" || name == "objects" || name == "refs";
}

bool is_inert_hook_name(std::string_view name) {
  return ends_with(name, ".sample") && name.size() > 7;
}

GitControl classify_git_path(std::string_view path,
                             const std::function<bool(const std::string&)>& is_gitdir) {
  GitControl c;
  if (path.empty() || path == "/") return c;
  std::string name = base_name(path);
  std::string parent = parent_path(path);
  std::string pname = base_name(parent);
  // `git init` on the host takes a directory named .git as its gitdir whatever it holds, and
  // keeps the config and hooks it finds there: a .git made or renamed into place is adopted like
  // a directory a marker completes.
  if (name == ".git") {
    c.role = GitRole::Completing;
    c.gitdir = std::string(path);
    return c;
  }
  auto in = [&](GitRole role, const std::string& dir) {
    if (!is_gitdir(dir)) return false;
    c.role = role;
    c.gitdir = dir;
    return true;
  };
  if ((name == "config" || name == "config.worktree") && in(GitRole::Config, parent)) return c;
  if (name == "hooks" && in(GitRole::HooksDir, parent)) return c;
  if (parent != "/") {
    std::string grand = parent_path(parent);
    if (pname == "hooks" && in(GitRole::Hook, grand)) return c;
    bool todo = (pname == "rebase-merge" && name == "git-rebase-todo") ||
                (pname == "sequencer" && name == "todo");
    if (todo && in(GitRole::TodoList, grand)) return c;
    // git stopped writing these long ago but still reads them when the config names no such
    // remote: a planted .git/remotes/origin would send the user's next push elsewhere.
    if ((pname == "remotes" || pname == "branches") && in(GitRole::RemoteFile, grand)) return c;
  }
  if (is_gitdir_marker(name) && !is_gitdir(parent)) {
    c.role = GitRole::Completing;
    c.gitdir = parent;
  }
  return c;
}

GitVerdict judge_git_op(const GitControl& c, std::string_view path, GitOp op, bool is_dir) {
  switch (c.role) {
    case GitRole::None:
    case GitRole::Completing:
      return allow();
    case GitRole::Config:
      return judged_file(op, is_dir, "a repository's config");
    case GitRole::TodoList:
      return judged_file(op, is_dir, "a rebase or sequencer todo list");
    case GitRole::RemoteFile:
      switch (op) {
        case GitOp::Chmod:
        case GitOp::Remove:
        case GitOp::RenameFrom:
          return allow();
        default:
          return refuse("git reads it as a remote's URL (legacy remotes/ and branches/ files)");
      }
    case GitRole::HooksDir:
      switch (op) {
        case GitOp::Create:
          return is_dir ? allow() : refuse("a repository's hooks must be a directory");
        case GitOp::Chmod:
        case GitOp::Remove:  // rmdir: only an empty one
          return allow();
        default:
          return refuse("a repository's hooks directory stays where git looks for hooks");
      }
    case GitRole::Hook: {
      if (is_inert_hook_name(base_name(path))) return allow();
      switch (op) {
        case GitOp::Create:
        case GitOp::RenameTo:
        case GitOp::LinkTo:
        case GitOp::Exchange:
          return refuse("git would run it as a hook (only *.sample names may be made)");
        default:
          return refuse("a repository's hook");
      }
    }
  }
  return refuse("unknown git role");
}

}  // namespace paddock
