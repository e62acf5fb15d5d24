#pragma once
// Executes the Overlay steps of a MountPlan (and the mask steps before each): child side, inside
// the sandbox's user and mount namespaces, before the view is pivoted into. See mount_plan.h.
//
// The mask is a directory of a tmpfs of its own: whiteouts (character devices 0:0) for absent
// entries, opaque directories (user.overlay.opaque) beneath which only re-opened paths appear,
// and the directories leading to them with the modes of the host's (what it holds is decided
// by policy/mask_recipe.h). It is the top lower layer, made from the policy, so nothing that
// hides a host entry is ever kept in a layer the sandbox writes to. The masks go in a tmpfs of
// their own that the sandbox side makes first (mask_tmpfs) and attaches to the staging root;
// with walls sent ahead the supervisor fills it (make_masks) while the sandbox side makes its
// network namespace, which takes ~100 mknods (~0.4 ms) off the sandbox side's path, the longer
// of the two; and where an earlier run kept the very mask this run's policy makes
// (walls/mask_cache.h, checked whole first), the overlay reads that one instead. (A mask
// cannot be kept in paddock's state directory: overlayfs refuses a lower layer beneath
// another one, and that directory is beneath the home.)
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "policy/mask_recipe.h"
#include "policy/mount_plan.h"

namespace paddock {

// A tmpfs of the sandbox's user namespace, attached nowhere yet (fsmount's descriptor). Sandbox
// side, before the view.
Result<UniqueFd> mask_tmpfs();

// Pure: per overlay step of `plan`, in order, the directory of its mask in that tmpfs ("" when
// the overlay has none).
std::vector<std::string> mask_names(const MountPlan& plan);

// Per overlay step of `plan`, in order, the recipe of its mask (nullopt where it has none),
// from the mask steps and the modes of the lower layer's directories at their host paths.
Result<std::vector<std::optional<MaskRecipe>>> plan_masks(const MountPlan& plan);

// Makes the masks `recipes` (plan_masks) in the empty tmpfs open at `tmpfs`, under `names`
// (mask_names), but for those `kept` names a kept mask for (walls/mask_cache.h; by index, ""
// where none; may be empty).
Status make_masks(const std::vector<std::string>& names,
                  const std::vector<std::optional<MaskRecipe>>& recipes, int tmpfs,
                  const std::vector<std::string>& kept = {});
// All the masks of `plan`, under mask_names(plan). Either side, before the view: the
// overlays' lower layers are read at their host paths (the modes of their directories).
Status make_masks(const MountPlan& plan, int tmpfs);

// The whiteout every whiteout of a mask is a hard link to, at the root of the directory open
// at `root` (no mask's own directory: it would show in the view), and one mask made from
// `recipe` in the empty directory open at `dir` beneath it. Also how a kept mask is made.
inline constexpr const char* kWhiteoutName = "whiteout";
Status make_whiteout_template(int root);
Status make_mask(int root, int dir, const MaskRecipe& recipe, const std::string& shown);

// Makes the work directory of every overlay of `plan` with a kept layer (beneath its store,
// mode 0700, following no symlink), as the sandbox side would make it when it mounts the
// overlay. With walls sent ahead the supervisor makes them beside the sandbox side's work: a
// new directory on the store's filesystem is one of the costlier steps of the view.
Status make_layer_work_dirs(const MountPlan& plan);

// Makes, beside the work directory of every overlay of `plan` with a kept layer, the spare one
// the next run's is taken from (home_layer.h): called while the command runs, under the
// store's lock. One there already is kept.
Status make_spare_work_dirs(const MountPlan& plan);

// The masks of a plan, made: the tmpfs and mask_names(), and the kept masks the supervisor
// found for some of them (by index: their host paths, with no symlink on the way; "" where
// the tmpfs holds the mask), used in its place.
struct PreparedMasks {
  int tmpfs = -1;
  std::vector<std::string> names;
  std::vector<std::string> kept;
};

class OverlayBuilder {
 public:
  // `scratch`: a directory of the staging tmpfs where in-memory upper layers go. `masks`:
  // the masks of the plan whose overlays this mounts, their tmpfs attached at `masks_dir`, the
  // kept ones reached beneath `host_root` (where the host's tree is now).
  OverlayBuilder(std::string scratch, const PreparedMasks& masks, std::string masks_dir,
                 std::string host_root)
      : scratch_(std::move(scratch)),
        masks_(masks),
        masks_dir_(std::move(masks_dir)),
        host_root_(std::move(host_root)) {}

  // Mounts `op`, the plan's next overlay step, at `target`. `lower` and `store` are op.source
  // and op.store as reachable now (under the host's old root), empty when op has none.
  Status mount(const MountOp& op, const std::string& target, const std::string& lower,
               const std::string& store);

 private:
  Result<std::string> memory_layer(const std::string& lower);
  Status ensure_store_dirs(const MountOp& op, const std::string& lower, const std::string& store);

  std::string scratch_;
  const PreparedMasks& masks_;
  std::string masks_dir_;
  std::string host_root_;
  unsigned seq_ = 0;
  bool memory_mounted_ = false;
};

// Escapes a path for overlayfs mount options (',' ':' and '\' are separators there).
std::string overlay_option_path(const std::string& path);

}  // namespace paddock
