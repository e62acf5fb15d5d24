#pragma once
// git's control files in the mediator (policy/git_control decides; this carries it out): the
// probe that tells a gitdir by what git would accept, the install of a config, todo list or
// .gitmodules from the supervisor's own checked copy, and the adoption of a directory that has
// just become a gitdir (what was planted in it before is checked or set aside, so nothing
// written while it was an ordinary directory is read by git as control files).
#include <string>
#include <string_view>

#include "mediator/call.h"
#include "mediator/locate.h"
#include "policy/git_control.h"

namespace paddock::mediator {

// Is `dir` (canonical, sandbox view) named .git, or does it hold HEAD, commondir, or both
// objects and refs?
bool is_gitdir(const Context& ctx, const std::string& dir);

struct GitCheck {
  GitVerdict::Kind kind = GitVerdict::Kind::Allow;
  std::string reason;
  GitControl control;  // of the canonical path
};

// The git rules for one place (every spelling of it). Nothing on a private mount is checked.
GitCheck check_git(const Context& ctx, const Place& at, GitOp op, bool is_dir);

// rename(src, dst) where dst is a control file: reads src, judges its content, writes the
// supervisor's own copy next to dst and renames that over it, then removes src.
Out<long> install_checked(Call& c, const Location& src, const Location& dst,
                          const GitControl& control, unsigned flags);

// After a call that added HEAD, commondir, objects or refs to `dir`: if `dir` is now a gitdir,
// its config is checked and reinstalled from our copy (descriptors opened on the old one no
// longer reach it), and hooks git would run, legacy remote files and todo lists with commands
// are set aside under a name git never reads.
void adopt_if_gitdir(Context& ctx, const std::string& dir);

}  // namespace paddock::mediator
