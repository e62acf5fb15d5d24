#pragma once
// The work directories earlier runs of a kept home layer left behind (each holds overlayfs's
// `volatile` marker, so none can be mounted again) are removed on a thread of their own while
// the view is built and the command runs. On a filesystem mounted with `discard` every rmdir
// waits for the disk (~0.2 ms each here): on the supervisor's own thread that wait delayed even
// `paddock run -- true` by a millisecond, and beside the command the thread still took a CPU
// from it and from the namespaces' teardown on a machine of two. So they are swept in batches:
// only once kSweepBatch have gathered (a work directory is a few empty directories).
#include <cstddef>
#include <future>
#include <string>

#include "base/result.h"

namespace paddock {

inline constexpr size_t kSweepBatch = 16;

// Starts removing every work directory of `store` but `run`'s (walls/home_store.h
// discard_stale_work) when there are kSweepBatch or more; else the future is ready at once. The
// caller holds the store's lock until the future is ready; destroying the future waits for the
// sweep. When no thread can be made, the sweep runs here.
std::future<Status> start_stale_work_sweep(const std::string& store, const std::string& run);

}  // namespace paddock
