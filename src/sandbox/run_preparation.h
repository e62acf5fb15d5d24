#pragma once
// What `paddock run` does on the host before planning: allowWrite paths that do not exist are
// made (the user asked for them by name), and the project's home layer is made ready and
// locked. The result is the filesystem policy this run plans with.
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "policy/fs_policy.h"

namespace paddock {

struct PreparedRun {
  UniqueFd layer_lock;             // held while the sandbox runs (a kept layer only)
  std::vector<std::string> notes;  // what was made, and why a layer is not kept
};

// `fs` is the run's copy of the policy's: its home layer becomes the one this run will have.
// Errors (exit 125) name the path that could not be made and how to do without it.
Result<PreparedRun> prepare_run(FsPolicy& fs);

}  // namespace paddock
