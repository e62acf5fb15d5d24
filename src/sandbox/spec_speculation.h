#pragma once
// Speculative walls. Planning the policy takes the supervisor ~2 ms, building the view takes
// the sandbox side as long again, one after the other. Most runs of a project plan the same
// walls as the run before, so the supervisor sends those (kept in paddock's state directory,
// keyed by the invocation) before it plans; the sandbox side builds them while the supervisor
// plans, and waits. The command is sent only if the walls the supervisor then plans are the
// same bytes; otherwise that sandbox is killed, nothing having run in it, and a new one gets
// the new walls. What is kept is never trusted: it only ever saves time when it is exactly
// what this run's policy gives.
#include <optional>
#include <string>

#include "base/unique_fd.h"
#include "sandbox/launcher.h"
#include "sandbox/run_preparation.h"
#include "sandbox/sandbox_spec.h"

namespace paddock {

struct Speculation {
  std::string walls;  // the bytes sent
  HeldLayer layer;    // the home layer store they mount, locked, and the run name in them
};

// Where the walls of an invocation are kept: `state_dir`/specs/<digest of `invocation`>.
std::string kept_walls_path(const std::string& state_dir, const std::string& invocation);

// Sends the walls kept at `path`, with a fresh run name, when there are any and the home layer
// store they mount is free (its lock is then held in the result), and makes the overlay masks
// they need for the sandbox side (make_speculative_masks). nullopt: nothing was sent.
std::optional<Speculation> speculate(StartedSandbox& started, const std::string& path);

// Keeps this run's walls at `path` for the next run (its run name `run` left out). Best effort:
// a walls file that cannot be written only costs the next run its head start.
void keep_walls(const std::string& path, const SandboxSpec& spec, const std::string& run);

// `paddock reset --all`: every kept walls file goes (only regular files; nothing is followed).
void forget_kept_walls(const std::string& state_dir);

}  // namespace paddock
