#pragma once
// What the mask of one overlay holds (mount_plan.h: the mask steps before an Overlay), decided
// without touching it: the entries in the order they are made, each with its mode
// (walls/overlay_mount.cc makes them).
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "policy/mount_plan.h"

namespace paddock {

struct MaskEntry {
  enum class Kind { Dir, OpaqueDir, Whiteout, File };
  Kind kind;
  std::string rel;  // beneath the mask's root, never empty
  mode_t mode = 0;  // directories: the host's (or 0755 where it has none); files 0644
};

struct MaskRecipe {
  mode_t root_mode = 0755;
  std::vector<MaskEntry> entries;  // parents before children
};

// The mode of the lower layer's directory at `rel` ("" is its root), 0 when it has none there.
using LowerDirMode = std::function<mode_t(const std::string& rel)>;

// The recipe for the mask steps `steps` of the overlay at view path `overlay_path`. Whiteouts
// whose directory the host does not have are left out (that directory would appear, empty),
// and so is anything beneath an entry that is not a directory (hidden already).
Result<MaskRecipe> plan_mask(const std::string& overlay_path,
                             const std::vector<const MountOp*>& steps,
                             const LowerDirMode& lower_mode);
Result<MaskRecipe> plan_mask(const std::string& overlay_path, const std::vector<MountOp>& steps,
                             const LowerDirMode& lower_mode);

// The name a mask made from `recipe` is kept under between runs (walls/mask_cache.h): 32 hex
// digits of a SHA-256 over every entry (kind, mode, path) and the root's mode, so that two
// recipes share a name only if they would make the same mask.
std::string mask_key(const MaskRecipe& recipe);

}  // namespace paddock
