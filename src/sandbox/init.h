#pragma once
// pid 1 of the sandbox: starts the command, reaps orphans, forwards signals, and exits with the
// command's status (128+N when killed by signal N). When it exits, the kernel kills every
// process left in the pid namespace.
#include "sandbox/sandbox_spec.h"

namespace paddock {

// `factory_fd` (--publish): init's end of the socket factory (socket_factory.h), or -1.
// `terminal_fd` (SandboxSpec::own_terminal): the slave of paddock's pty, close-on-exec, or -1:
// the command begins a session of its own with it as the controlling terminal.
[[noreturn]] void run_init(const SandboxSpec& spec, int sync_fd, int factory_fd = -1,
                           int terminal_fd = -1);

}  // namespace paddock
