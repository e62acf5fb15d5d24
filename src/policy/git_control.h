#pragma once
// Which files git reads as a repository's control files, decided by what git itself would accept
// as a repository, not by how the path is spelled. A directory is a gitdir when it holds a HEAD,
// a commondir, or both objects and refs: the conditions under which git's is_git_directory()
// can accept it, taken by presence alone (a HEAD whose content is written later counts from the
// moment the name exists). That covers `.git`, a bare repository embedded in a project, a
// submodule's gitdir under .git/modules, a worktree's gitdir, and a `.git` that is a symlink
// into `.repo/`. A directory named .git counts whatever it holds, because the host's `git init`
// would make it one and keep the config and hooks in it. Pure: the caller answers "is this
// directory a gitdir?" from the filesystem.
#include <functional>
#include <string>
#include <string_view>

namespace paddock {

enum class GitRole {
  None,
  Config,      // D/config, D/config.worktree of a gitdir D: changed only by a judged install
  HooksDir,    // D/hooks of a gitdir D
  Hook,        // an entry of D/hooks: only names git never runs (*.sample) may be made
  TodoList,    // D/rebase-merge/git-rebase-todo, D/sequencer/todo: judged install, no exec
  RemoteFile,  // D/remotes/NAME, D/branches/NAME: legacy remote definitions git still reads
  Completing,  // HEAD, objects, refs or commondir added to a directory that is no gitdir yet,
               // or a directory given the name .git
};

struct GitControl {
  GitRole role = GitRole::None;
  std::string gitdir;  // D, for every role but None
};

// The names whose presence makes a directory a gitdir (see above).
bool is_gitdir_marker(std::string_view name);

// The role of `path` (canonical). `is_gitdir(dir)` answers for a canonical directory path; it is
// asked only when a component's name makes the answer matter (config, hooks, HEAD, ...), so an
// ordinary write costs nothing.
GitControl classify_git_path(std::string_view path,
                             const std::function<bool(const std::string&)>& is_gitdir);

// Hook entries git never runs. Everything else in a hooks directory might be run (git runs any
// executable with a hook's name; new git versions add names), so the allowed set is the one
// suffix git's own templates use.
bool is_inert_hook_name(std::string_view name);

// The operations the mediator performs, for the verdict below.
enum class GitOp {
  Create,  // open O_CREAT, mkdir, mknod, symlink, bind: a new entry at the path
  Write,   // open for writing or O_TRUNC, truncate, setxattr
  Chmod,
  Remove,      // unlink, rmdir
  RenameFrom,  // the path is a rename's source
  RenameTo,    // the path is a rename's destination (a plain rename)
  Exchange,    // either end of RENAME_EXCHANGE
  LinkTo,      // the path is a hard link's new name
};

struct GitVerdict {
  enum class Kind { Allow, Refuse, Install } kind = Kind::Allow;
  std::string reason;  // for Refuse: one line for the user
};

// What may happen to a path with this role. Install: a rename over it is allowed only as the
// supervisor's own copy of content that passed the role's content judge. `is_dir`: the entry
// being created or moved is a directory.
GitVerdict judge_git_op(const GitControl& c, std::string_view path, GitOp op, bool is_dir);

}  // namespace paddock
