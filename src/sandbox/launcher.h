#pragma once
// Starts the sandbox in two steps. start_sandbox() clones into new user, mount, pid, ipc and uts
// namespaces before the policy is known; the child maps its ids and builds its network
// namespace (the costliest kernel work of a start) while the supervisor reads settings and
// plans. launch_sandbox() then hands it the spec; the child builds the remaining walls in
// security order (contain() in launcher.cc) and becomes init.
#include <sys/types.h>

#include <optional>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "sandbox/sandbox_spec.h"
#include "walls/mask_cache.h"
#include "walls/proxy_listeners.h"

namespace paddock {

// A sandbox side waiting for its spec. Destroying it unlaunched kills and reaps the child.
struct StartedSandbox {
  pid_t pid = -1;
  UniqueFd pidfd;
  UniqueFd sync;  // supervisor's end of the sync channel
  // The sandbox side's tmpfs for the overlay masks, once received (Scratch; it sends it first).
  UniqueFd mask_tmpfs;

  StartedSandbox() = default;
  StartedSandbox(StartedSandbox&& o) noexcept;
  // The sandbox side held before is killed and reaped.
  StartedSandbox& operator=(StartedSandbox&& o) noexcept;
  ~StartedSandbox();
};

Result<StartedSandbox> start_sandbox();

struct LaunchedSandbox {
  pid_t init_pid = -1;
  UniqueFd pidfd;           // init's pidfd
  UniqueFd sync;            // supervisor's end of the sync channel
  UniqueFd notify;          // seccomp user-notification listener
  UniqueFd root;            // the sandbox's root directory (O_PATH)
  UniqueFd agent_listener;  // --ssh-agent: the socket SSH_AUTH_SOCK names inside
  UniqueFd socket_factory;  // --publish: the supervisor's end (socket_factory.h)
  // --allow-host-port: 127.0.0.1:PORT inside, in the order of spec.host_ports
  std::vector<UniqueFd> host_port_listeners;
  // The listeners the sandbox side made in its network namespace (127.0.0.1:3128, :1080, :3129
  // for captured connections, :53 UDP and TCP for the resolver), handed over before the spec.
  ProxyListeners listeners;
};

// Sends the spec and returns once every wall is up and the command is about to start, or with
// the error that stopped the sandbox side (which has then exited). `terminal_fd`: the slave of
// paddock's pty when spec.own_terminal is enabled (a copy is sent), else -1. `walls_sent`:
// send_speculative_walls() sent exactly encode_walls(spec) already (never with a terminal of its
// own): the go-ahead is sent at once, and the command starts once the walls are up, possibly
// before this returns.
Result<LaunchedSandbox> launch_sandbox(StartedSandbox started, const SandboxSpec& spec,
                                       int terminal_fd = -1, bool walls_sent = false);

// Sends `walls` (encode_walls of the spec an earlier run of the same invocation had) before
// the policy is known, so that the view is built while the supervisor plans; the sandbox then
// waits for launch_sandbox(..., walls_sent=true), which the supervisor calls only when its own
// spec has exactly these walls (spec_speculation.h).
Status send_speculative_walls(const StartedSandbox& started, const std::string& walls);

// After send_speculative_walls(): makes the overlay masks `walls` need in the sandbox side's
// tmpfs, but for those `cache` (may be null) has kept, checked and now holds, and tells the
// sandbox side which is where (or, when they cannot be made here, that it makes them itself).
// The sandbox side, meanwhile, makes its network namespace: the masks leave its path.
void make_speculative_masks(StartedSandbox& started, const SandboxSpec& walls, MaskCache* cache);

}  // namespace paddock
