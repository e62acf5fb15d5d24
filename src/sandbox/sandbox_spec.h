#pragma once
// Everything the sandbox side needs from the policy, computed by the supervisor and sent to the
// waiting sandbox side (launcher.h, spec_codec.h), which only executes it.
#include <signal.h>
#include <sys/types.h>

#include <span>
#include <string>
#include <vector>

#include "policy/mount_plan.h"
#include "walls/landlock.h"
#include "walls/mount_view.h"
#include "walls/seccomp.h"

namespace paddock {

// The sandbox's own UTS name (set by the sandbox side; named in its /etc/hosts).
inline constexpr const char* kSandboxHostname = "paddock";

struct SandboxSpec {
  MountPlan mounts;
  ViewExtras view_extras;
  LandlockPlan landlock;
  // sandbox_seccomp_program(): static data both processes hold, so spec_codec does not carry it
  std::span<const sock_filter> seccomp;
  std::string cwd;
  std::vector<std::string> argv;  // argv[0] is looked up in the sandbox's PATH
  std::vector<std::string> env;
  sigset_t signal_mask{};  // the mask the command starts with (the user's)
  // --ssh-agent: where the sandbox side listens (on its private /tmp) for the supervisor's agent
  // filter; empty: no agent inside.
  std::string ssh_agent_socket;
  // --allow-host-port: the sandbox side listens on 127.0.0.1:PORT inside (before any of the
  // command's code runs, so nothing else there holds the port) and hands the listeners out;
  // the supervisor relays each connection to the host's 127.0.0.1:PORT.
  std::vector<uint16_t> host_ports;
  // --publish: init makes TCP sockets inside the network namespace on the supervisor's request
  // (sandbox/socket_factory.h), which connects them to the published ports.
  bool socket_factory = false;
  // --ask with the user's terminal (sandbox/terminal_relay.h): the command runs on paddock's own
  // pty, whose slave travels beside the spec. Each of fds 0-2 with its bit set in `stdio` (they
  // were the user's terminal) becomes the slave; init and the command each begin a session of
  // their own, so nothing inside is left in the user's session (/dev/tty inside is paddock's
  // pty), and the slave is the command's controlling terminal.
  struct OwnTerminal {
    bool enabled = false;
    uint8_t stdio = 0;
  } own_terminal;
};

// At most this many --allow-host-port listeners (each one fd on the sync channel).
inline constexpr size_t kMaxHostPorts = 32;

}  // namespace paddock
