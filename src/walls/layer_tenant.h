#pragma once
// Which sandbox last mounted a kept home layer, so that the next run of the project waits for
// it to be gone. paddock returns as soon as the command has ended and everything left in the
// sandbox has been sent SIGKILL (as bubblewrap does); the kernel then tears the namespaces down
// beside paddock's exit (~0.5 ms), and until it has, the old overlay still holds the upper
// layer. The store's lock cannot cover that (a process's descriptors close before its
// namespaces go), so the lock file names the sandbox's init (pid and start time, which no
// reused pid repeats) and whoever takes the lock next waits for that process: its pidfd turns
// readable only after every process of its pid namespace is gone with its mounts.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.h"

namespace paddock {

struct LayerTenant {
  pid_t pid = 0;
  uint64_t start_time = 0;  // field 22 of /proc/PID/stat, in clock ticks since boot
};

// "PID START\n", as record_layer_tenant writes it; nullopt for anything else.
std::optional<LayerTenant> parse_layer_tenant(std::string_view text);
// The start time in the text of /proc/PID/stat (the command name may hold spaces and ')').
std::optional<uint64_t> stat_start_time(std::string_view stat_text);

// Writes `init` (a process of ours) into the lock file open at `lock_fd`, which we hold.
Status record_layer_tenant(int lock_fd, pid_t init);

// Under the lock: waits up to `limit` for the recorded process (when it is still the same
// process) to be gone. False on timeout.
bool wait_for_layer_tenant(int lock_fd, std::chrono::milliseconds limit);

}  // namespace paddock
