#pragma once
// paddock run: builds the plan from the policy, launches the sandbox, serves write mediation,
// relays signals, and returns the command's exit status.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "policy/policy.h"
#include "proxy/decide/domain_rules.h"
#include "sandbox/launcher.h"
#include "sandbox/spec_speculation.h"

namespace paddock {

struct RunRequest {
  std::vector<std::string> argv;
  bool debug = false;
  bool quiet = false;
  std::optional<std::string> audit_log;  // one JSON line per network decision
  UniqueFd agent_channel;                // --agent-channel: checked, close-on-exec; or invalid
  // Walls sent ahead to `started` (spec_speculation.h), and where this invocation's walls are
  // kept for the next run (empty: not kept).
  std::optional<Speculation> speculation;
  std::string walls_path;
  // --ask: the user's terminal (open_user_terminal(), sandbox/terminal_relay.h), where questions
  // are asked; the command then runs on paddock's own pty. Invalid: none.
  UniqueFd terminal;
  // Called with the exit status once the run is over and everything printed; it ends the
  // process (the CLI passes end_process(), base/process_end.h), so the run's objects are not
  // taken apart on the way out and its memory is released after the exit is reported. Unset:
  // run_sandboxed returns the status.
  std::function<void(int)> end_process;
};

// The exit status paddock should return (the command's, 128+N, 126, 127), or the error that
// kept the sandbox from starting (exit 125).
// `network` is policy.network compiled; the host's own addresses are added here. `started` is
// the sandbox side, cloned early (start_sandbox) and waiting for its spec.
Result<int> run_sandboxed(const Policy& policy, proxy::NetworkRules network, RunRequest req,
                          StartedSandbox started);

// Renders the plan --debug prints: mounts, Landlock rules, seccomp policy.
Result<std::string> describe_plan(const Policy& policy);

}  // namespace paddock
