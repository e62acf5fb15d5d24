#pragma once
// New gitfiles (a `.git` regular file; `git worktree add` writes one) are recorded when the
// mediator creates them and judged when the sandbox has ended: any that is not a worktree link
// is renamed aside. No step follows a symlink, so a symlink left in place of a recorded
// directory leads nowhere.
#include <string>
#include <vector>

#include "mediator/context.h"

namespace paddock::mediator {

std::vector<std::string> quarantine_gitfiles(const Context& ctx);

}  // namespace paddock::mediator
