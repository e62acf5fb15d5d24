#pragma once
// Judges the content of a git config file that the sandbox wants installed (issue 9: "config
// content is judged when it lands"). Pure: the write mediator reads the file being installed,
// calls judge_git_config_text, and installs its own copy only when it is allowed.
//
// A repository's config may hold only keys on an allowlist of inert keys: keys git uses as data
// about this repository, which can neither make git on the host run a program nor send it to
// another host. Unknown keys are refused. The allowlist, one line of reason per group, is in
// docs/GIT.md; the table is in git_config_judge.cc.
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/git_config.h"
#include "policy/git_url.h"
#include "settings/git_key_pattern.h"

namespace paddock {

// Judges a repository's config: .git/config, config.worktree, .git/modules/**/config, a bare
// repository's config. (A work tree's .gitmodules is tracked content, not judged: docs/GIT.md.)
struct GitConfigJudgeContext {
  // May git on the host connect to this URL (remote.*.url, remote.*.pushurl, submodule.*.url,
  // and a branch's remote when it is a URL)? The network policy allows the host, or a local
  // path is inside the writable roots. ext::, fd::, other remote helpers and malformed URLs
  // are refused before this is asked. Unset: every URL is refused.
  std::function<bool(const GitUrl&)> url_allowed;

  // May core.worktree name this directory? `path` is the value as written: absolute, or relative
  // to the git directory holding the config. git submodule writes it into
  // .git/modules/NAME/config ("../../../NAME"). Unset: core.worktree is refused.
  std::function<bool(std::string_view path)> worktree_allowed;

  // The repository's own remote URL, to resolve relative submodule URLs ("../lib.git") the way
  // git does. Empty: they are given to url_allowed as local paths relative to the superproject
  // (what git does when the superproject has no remote).
  std::string superproject_remote_url;

  // The entries of the file being replaced (empty when it is new). An entry present there with
  // the same name and value is not a change the sandbox made, and is never refused: the
  // user's own core.pager or filter.lfs.* do not block `git config user.email` inside.
  std::span<const GitConfigEntry> previous;

  // The user's widening (git.allowConfigKeys): matching keys are allowed whatever their value.
  std::span<const GitKeyPattern> extra_allowed;
};

struct GitConfigVerdict {
  bool allowed = true;
  std::string key;       // the first refused entry's full name ("core.fsmonitor")
  std::size_t line = 0;  // its line in the file
  std::string reason;    // one line: "core.fsmonitor runs a program (a file system monitor hook)"
};

// Judges parsed entries; the first refused entry (in file order) decides.
GitConfigVerdict judge_git_config(std::span<const GitConfigEntry> entries,
                                  const GitConfigJudgeContext& ctx);

// Parses `text` strictly and judges it. A file that does not parse is refused (key empty, the
// parser's error as reason).
GitConfigVerdict judge_git_config_text(std::string_view text, const GitConfigJudgeContext& ctx);

// judge_git_config_text for a file that replaces `old_text` (the config being renamed over):
// entries unchanged from it pass (GitConfigJudgeContext::previous). An old file that does not
// parse counts as empty, so everything in the new one is judged.
GitConfigVerdict judge_git_config_replacement(std::string_view new_text, std::string_view old_text,
                                              GitConfigJudgeContext ctx);

// One warning per git.allowConfigKeys pattern that lets the sandbox set a refused key, for the
// policy layer to print: "git.allowConfigKeys: core.pager lets the sandbox make host git run a
// program (core.pager runs a program: the pager)". Patterns that only cover inert keys give
// none; patterns that cover keys paddock does not know say so.
std::vector<std::string> git_allow_config_key_warnings(std::span<const GitKeyPattern> patterns);

}  // namespace paddock
