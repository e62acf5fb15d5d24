#pragma once
// Where the repositories at the writable roots keep the hooks git runs, when that is not a
// plain `.git/hooks` directory: a `.git/hooks` that is a symlink (`-> ../githooks`, a common way
// to version hooks) and a `core.hooksPath` the user set (`.githooks`, `.husky/_`). Their targets
// are protected as a whole (a hook often sources a helper beside it), and so is the target of a
// hook that is itself a symlink (`pre-commit -> ../../scripts/pre-commit`). The mediator also
// judges hook-named files by the repository around them (mediator/git_rules), which covers nested
// repositories; this covers every file in the hook directories of the project's own.
#include <string>
#include <utility>
#include <vector>

#include "policy/paths.h"

namespace paddock {

// (directory, rule) pairs for ProtectedPaths' linked entries. `home` expands `~/` in
// core.hooksPath, as git does.
std::vector<std::pair<std::string, std::string>> repository_hook_dirs(
    PathResolver& resolver, const std::vector<std::string>& writable, const std::string& home);

}  // namespace paddock
