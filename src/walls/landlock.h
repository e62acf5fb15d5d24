#pragma once
// Landlock: the second, independent lock on writes. Write rights exist only beneath the writable
// roots, /tmp and the few /dev nodes; on ABI 6+ abstract unix sockets and signals are scoped
// to the sandbox.
#include <string>
#include <vector>

#include "base/result.h"

namespace paddock {

struct LandlockRule {
  std::string path;     // in the sandbox's view
  uint64_t access = 0;  // LANDLOCK_ACCESS_FS_* bits
};

struct LandlockPlan {
  int abi = 0;
  uint64_t handled_fs = 0;
  uint64_t handled_net = 0;
  uint64_t scoped = 0;
  std::vector<LandlockRule> rules;
  std::vector<uint16_t> connect_ports;  // TCP ports the sandbox may connect to (ABI 4+)
  std::vector<uint16_t> bind_ports;     // TCP ports it may bind (published ports; ABI 4+)
};

// The highest Landlock ABI the running kernel offers; 0 when Landlock is unavailable.
int landlock_abi();

// Pure: which rights beneath which paths, for the given ABI.
// Unless `allow_local_binding`, the sandbox may not bind TCP ports and may connect only to the
// proxy's ports (ABI 4+): a second lock behind the network namespace. `bind_ports` (published
// ports) may be bound anyway; `connect_ports` may then be connected to as well.
LandlockPlan plan_landlock(int abi, const std::vector<std::string>& writable_roots,
                           bool allow_local_binding, const std::vector<uint16_t>& connect_ports,
                           const std::vector<uint16_t>& bind_ports = {});

// Applies the plan to the calling thread (child side, after the view is built).
Status apply_landlock(const LandlockPlan& plan);

std::string describe_landlock(const LandlockPlan& plan);

}  // namespace paddock
