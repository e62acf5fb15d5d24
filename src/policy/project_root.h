#pragma once
// Which directory is "the project", the writable root of a run: the one given with --project;
// else, when the current directory lies in a git work tree, the top of that work tree (git in
// a subdirectory writes .git/index.lock at the top); else the current directory. A work tree
// whose top is the home directory or / is not made writable wholesale.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace paddock {

struct ProjectRoot {
  std::string root;                // canonical
  std::vector<std::string> extra;  // a gitfile's repository (worktree, submodule): writable too
  std::vector<std::string> notes;  // for the user
  std::vector<std::string> warnings;
};

struct ProjectLookup {
  // Is there an entry at this canonical path (a `.git` directory or file)?
  std::function<bool(const std::string&)> present;
  // The content of a small regular file (a gitfile), nullopt when it is not one.
  std::function<std::optional<std::string>(const std::string&)> read_file;
  // Resolves symlinks in an absolute path (components that do not exist stay as written).
  std::function<Result<std::string>(const std::string&)> resolve;
};

// `cwd`, `home` and `explicit_root` (empty: choose) are canonical.
Result<ProjectRoot> find_project_root(const std::string& cwd, const std::string& home,
                                      const std::string& explicit_root, const ProjectLookup& fs);

}  // namespace paddock
