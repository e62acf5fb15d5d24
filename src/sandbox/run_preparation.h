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

// A home layer store whose lock the supervisor took before planning (spec_speculation.h), and
// the run name it gave the sandbox side already.
struct HeldLayer {
  std::string store;
  UniqueFd lock;
  std::string run;
};

// A name for this run's work directory: the pid and the time.
std::string new_run_name();

// `fs` is the run's copy of the policy's: its home layer becomes the one this run will have.
// Errors (exit 125) name the path that could not be made and how to do without it. `held` is
// taken (its lock moved out) when it is the store this run's layer is in.
Result<PreparedRun> prepare_run(FsPolicy& fs, HeldLayer* held = nullptr);

}  // namespace paddock
