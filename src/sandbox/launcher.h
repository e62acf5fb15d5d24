#pragma once
// Starts the sandbox: clone into new user, mount, pid, net, ipc and uts namespaces, then the
// child builds every wall in security order (containProc-style script in launcher.cc) and
// becomes init.
#include <sys/types.h>

#include <functional>

#include "base/result.h"
#include "base/unique_fd.h"
#include "sandbox/sandbox_spec.h"

namespace paddock {

struct LaunchedSandbox {
  pid_t init_pid = -1;
  UniqueFd pidfd;           // init's pidfd
  UniqueFd sync;            // supervisor's end of the sync channel
  UniqueFd notify;          // seccomp user-notification listener
  UniqueFd root;            // the sandbox's root directory (O_PATH)
  UniqueFd http_listener;   // 127.0.0.1:3128 inside the sandbox's network namespace
  UniqueFd socks_listener;  // 127.0.0.1:1080
};

// Returns once every wall is up and the command is about to start, or with the error that
// stopped the sandbox side (which has then exited). `meanwhile` runs in the supervisor while
// the sandbox side builds its walls (work that the child does not need); when it fails, the
// sandbox side is killed and its error returned.
Result<LaunchedSandbox> launch_sandbox(const SandboxSpec& spec,
                                       const std::function<Status()>& meanwhile);

}  // namespace paddock
