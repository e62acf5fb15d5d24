#pragma once
// The host side of the home layer: paddock's state directory and, in it, one store per project
// (homes/<sha256 of the project's path>/ holding upper/, work/ and the project's path), made by
// the supervisor as the invoking user, mode 0700. A lock (homes/<name>.lock, flock) keeps two
// runs of one project from mounting the same upper layer (overlayfs forbids it) and keeps
// `paddock reset` from discarding a layer in use.
//
// What lies beneath upper/ was written by sandboxes. paddock reads it in two places only, the
// size shown by `paddock policy` and the removal by `paddock reset`, and both walk it without
// following a symlink, without opening anything but directories, and without keeping more
// than one descriptor per level.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace paddock {

enum class StoreLock { Held, Busy };

// Makes the state directory and the store `store` (with upper/ of mode `upper_mode`, the
// home's, and work/) as needed, and takes its lock into `lock`. Busy: another run holds it.
// An existing directory of paddock's that is not the user's own, or is writable by others, is
// refused.
// `lock` may hold the store's lock already (try_lock_home_store).
Result<StoreLock> open_home_store(const std::string& state_dir, const std::string& store,
                                  const std::string& project, mode_t upper_mode, UniqueFd& lock);
// The lock of an existing store, when nobody holds it (and its last sandbox is gone); else an
// invalid descriptor.
UniqueFd try_lock_home_store(const std::string& store);

struct StoreUsage {
  uint64_t bytes = 0;  // allocated (st_blocks), as du counts
  uint64_t entries = 0;
  bool partial = false;  // deeper or larger than paddock walks: at least this much
};

// The size of what the sandboxes of a project wrote (its upper layer). A missing store is 0.
Result<StoreUsage> measure_home_store(const std::string& store);

struct StoreInfo {
  std::string store;    // the directory
  std::string project;  // the project's path, as recorded when the store was made
};

// Every store under the state directory.
std::vector<StoreInfo> list_home_stores(const std::string& state_dir);

// Removes a store, under its lock. Busy when a run uses it (nothing is removed); a missing
// store is removed already. `freed` gets what was removed.
Result<StoreLock> discard_home_store(const std::string& store, StoreUsage& freed);

// Removes the work directories of earlier runs (every one but `run`'s and the spare one), under
// the store's lock that the caller holds.
Status discard_stale_work(const std::string& store, const std::string& run);
// The names in the directory open at `dir` (not . and ..); none when it cannot be read.
std::vector<std::string> directory_names(int dir);

// Removes `name` in the directory open at `dir` (whose path is `dir_path`, for messages) and
// everything beneath it, as discard_home_store does: nothing is followed, directories left
// without permissions are opened up, trees deeper than it walks are moved aside and removed
// from there.
Status remove_entry(int dir, const std::string& dir_path, const std::string& name);

// How many there are (an unreadable work directory counts as none).
size_t count_stale_work(const std::string& store, const std::string& run);

// The project recorded in a store ("" when unreadable).
std::string store_project(const std::string& store);

}  // namespace paddock
