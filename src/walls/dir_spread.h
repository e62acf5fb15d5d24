#pragma once
// A placement hint for the filesystem holding the home layer's work directories: their
// subdirectories are unrelated to one another and short-lived (one per run, removed a few runs
// later), so the filesystem may put each where it finds room rather than beside the last.
//
// Why it matters (measured, docs/ARCHITECTURE.md "Where start-up time goes"): ext4 without a
// journal will not reuse an inode freed in the last minute and, to find a free one, scans its
// block group past every such inode. Each run frees about eight inodes beneath the work
// directories, and overlayfs allocates six there at every mount, so under steady use the home
// overlay's mount(2) grew from ~0.2 ms to 0.7 ms and more. Asked to spread (ext4's "top of a
// directory hierarchy" flag, FS_TOPDIR_FL, which its Orlov allocator honours), each run's work
// directory lands in a block group of its own choosing, away from the ones the last runs freed.
#include <string>

#include "base/result.h"

namespace paddock {

enum class SpreadHint { Set, Unsupported };

// Asks the filesystem to spread the subdirectories of the directory open at `dir` (any
// descriptor of it, O_PATH included). Set: the hint is set (or already was). Unsupported: this
// filesystem takes no such hint (tmpfs, btrfs, ...), which is not an error: nothing depends on
// it. An error: the directory could not be opened or its flags not read or written, with the
// path `shown` in its message.
Result<SpreadHint> spread_subdirectories(int dir, const std::string& shown);

}  // namespace paddock
