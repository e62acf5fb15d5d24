#pragma once
// Overlay masks kept between runs. Making a run's masks (~90 whiteouts, each a hard link on a
// tmpfs, and the directories leading to them) took the supervisor ~0.4 ms of the ~1.6 ms it
// plans while the sandbox side builds the view, and the two end together: most runs of a user
// need the very masks the run before made. So the supervisor keeps each mask it made, named by
// its recipe (policy/mask_recipe.h mask_key), and a later run whose recipe has that name mounts
// the kept one as the lower layer instead of making its own.
//
// Where: beside the control sockets (control/ctl_dir.h), $XDG_RUNTIME_DIR/paddock/masks or
// /tmp/paddock-<uid>/masks, which every sandbox's view hides (control_roots) and which is
// refused when it lies beneath a path this run's sandbox may write. Not in paddock's state
// directory: overlayfs refuses a lower layer beneath another one, and that is beneath the home.
//
//   masks/<key>/whiteout   the character device 0/0 every whiteout of the mask links to
//   masks/<key>/mask/      the lower layer
//
// Trust: a kept mask is used only after it has been checked whole against this run's recipe,
// from its directories' listings: every entry there with its kind (a whiteout is a link to the
// template, itself a character device 0/0 of ours), its mode and its opaque attribute, and
// nothing else; every directory ours. So a mask that was tampered with, or cut short (a
// cleaner that ages out old files in /tmp), is never mounted: it is set aside (renamed) and
// this run makes its own, as without a cache. A mask in use is never changed or removed: the
// run that mounts it holds a shared lock on its directory until the supervisor exits, and a
// set-aside, unfinished or surplus one is removed only under an exclusive one.
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "policy/mask_recipe.h"
#include "policy/mount_plan.h"

namespace paddock {

class MaskCache {
 public:
  // The invoking user's cache for a run of `plan`, its directories made as needed (mode
  // 0700, checked as the control directory is). `sandbox_writable`: host paths that run's
  // sandbox may write. A cache beneath one of those, or beneath a lower layer of one of the
  // plan's overlays (which overlayfs would refuse), is refused. An error: no cache for this
  // run (its masks are made as without one).
  static Result<MaskCache> open(const std::string& xdg_runtime_dir, const MountPlan& plan,
                                const std::vector<std::string>& sandbox_writable);
  // For tests: the cache in the directory open at `dir`, whose path with no symlink on the way
  // is `real`.
  MaskCache(UniqueFd dir, std::string real) : dir_(std::move(dir)), real_(std::move(real)) {}

  // The host path (no symlink on the way) of the lower layer kept for `recipe`, checked whole
  // against it and held (shared lock) until this process exits; nullopt when none is kept or
  // the one kept failed its check (it is then set aside for sweep()).
  std::optional<std::string> use(const MaskRecipe& recipe);

  // Makes a mask of `recipe` and keeps it, unless one is kept already. Made in a directory of
  // its own and renamed into place whole.
  Status keep(const MaskRecipe& recipe);

  // Removes the masks set aside and those left unfinished, and the oldest kept ones beyond
  // kMaxKept, that nobody holds.
  void sweep();

  static constexpr size_t kMaxKept = 32;

 private:
  UniqueFd dir_;
  std::string real_;
};

// Keeps the masks of `plan` that are not kept yet, in the invoking user's cache
// ($XDG_RUNTIME_DIR from the environment), and sweeps it. Best effort: nothing depends on it.
void keep_masks(const MountPlan& plan, const std::vector<std::string>& sandbox_writable);

}  // namespace paddock
