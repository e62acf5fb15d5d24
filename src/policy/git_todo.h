#pragma once
// A rebase or sequencer todo list (.git/rebase-merge/git-rebase-todo, .git/sequencer/todo) that
// the sandbox wants installed. `exec` lines run a shell command when the rebase continues, and
// the one who continues it may be the user on the host: such lines are never installed. (So
// `git rebase --exec` does not work inside; the other commands do.)
#include <string>
#include <string_view>

namespace paddock {

// Empty when the list may be installed; else why not ("line 3: exec runs a command ...").
std::string judge_todo_list(std::string_view text);

}  // namespace paddock
