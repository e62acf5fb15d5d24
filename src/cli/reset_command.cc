// paddock reset [--all]: discards the home layer of the project in the current directory, or of
// every project.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "base/printable.h"
#include "cli/commands.h"
#include "cli/home_layer_report.h"
#include "cli/host_inputs.h"
#include "policy/home_layer.h"
#include "policy/paths.h"
#include "policy/policy.h"
#include "sandbox/spec_speculation.h"
#include "walls/home_store.h"

namespace paddock {

namespace {

// Discards one store and says so; false when a run is using it.
Result<bool> discard(const std::string& store, const std::string& project) {
  StoreUsage freed;
  auto r = discard_home_store(store, freed);
  if (!r) return r.error();
  // A recorded project path is the user's, but shown escaped like any name in our output.
  const std::string who = printable(project.empty() ? store : project);
  if (*r == StoreLock::Busy) {
    std::fprintf(stderr,
                 "paddock: the home layer of %s is in use by a running paddock; "
                 "try again when it has ended\n",
                 who.c_str());
    return false;
  }
  if (freed.entries == 0)
    std::printf("no home layer kept for %s\n", who.c_str());
  else
    std::printf("discarded the home layer of %s (%s)\n", who.c_str(),
                human_bytes(freed.bytes).c_str());
  return true;
}

}  // namespace

Result<int> reset_command(bool all, const std::string& project_flag) {
  auto state = resolve_path(
      paddock_state_dir(std::getenv("XDG_STATE_HOME"), normalize_path(invoking_user_home())));
  if (!state) return state.error();
  bool all_done = true;
  if (all) {
    for (const auto& s : list_home_stores(*state)) {
      auto r = discard(s.store, s.project);
      if (!r) return r.error();
      all_done = all_done && *r;
    }
    // The walls kept to start runs sooner name the layers just discarded.
    forget_kept_walls(*state);
    return all_done ? 0 : 1;
  }
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return sys_error("getcwd");
  auto project = project_directory(normalize_path(invoking_user_home()), cwd, project_flag);
  if (!project) return project.error();
  auto r = discard(home_layer_store(*state, *project), *project);
  if (!r) return r.error();
  return *r ? 0 : 1;
}

}  // namespace paddock
