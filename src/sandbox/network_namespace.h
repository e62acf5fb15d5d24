#pragma once
// The sandbox's network namespace is built by a short-lived helper process while the sandbox
// side builds its mount view. Creating a network namespace is the most expensive step of a start
// (~0.4 ms of kernel work: per-protocol state, sysctl tables, the loopback device); on its own
// process it runs beside the mounts instead of before them.
//
// The helper unshares the namespace, brings `lo` up, creates the proxy's two listeners in it and
// sends them back with a handle on the namespace; the sandbox side then joins that namespace.
#include <sys/types.h>

#include "base/result.h"
#include "base/unique_fd.h"

namespace paddock {

struct NetworkBuild {
  pid_t pid = -1;
  UniqueFd channel;
};

struct SandboxNetwork {
  UniqueFd http_listener;
  UniqueFd socks_listener;
};

// Forks the helper. Call it in the sandbox side while it still holds its capabilities.
Result<NetworkBuild> start_network_namespace();

// Waits for the helper, joins its namespace and returns the listeners.
Result<SandboxNetwork> enter_network_namespace(NetworkBuild& build);

}  // namespace paddock
