#pragma once
// Executes the Overlay steps of a MountPlan (and the mask steps before each): child side, inside
// the sandbox's user and mount namespaces, before the view is pivoted into. See mount_plan.h.
//
// The mask is a directory on the staging tmpfs: whiteouts (character devices 0:0) for absent
// entries, opaque directories (user.overlay.opaque) beneath which only re-opened paths appear,
// and the directories leading to them with the modes of the host's (what it holds is decided
// by policy/mask_recipe.h). It is the top lower layer, built afresh every run from the policy,
// so nothing that hides a host entry is ever kept in a layer the sandbox writes to. (It cannot
// be kept in paddock's state directory either: overlayfs refuses a lower layer beneath another
// one, and that directory is beneath the home.)
#include <string>
#include <vector>

#include "base/result.h"
#include "policy/mount_plan.h"

namespace paddock {

class OverlayBuilder {
 public:
  // `scratch`: a directory of the staging tmpfs where masks (and in-memory upper layers) go.
  explicit OverlayBuilder(std::string scratch) : scratch_(std::move(scratch)) {}

  void add_mask_step(const MountOp& op) { masks_.push_back(op); }

  // Mounts `op` at `target`. `lower` and `store` are op.source and op.store as reachable now
  // (under the host's old root), empty when op has none.
  Status mount(const MountOp& op, const std::string& target, const std::string& lower,
               const std::string& store);

 private:
  Result<std::string> build_mask(const MountOp& op, const std::string& lower);
  Result<std::string> memory_layer(const std::string& lower);
  Status ensure_store_dirs(const MountOp& op, const std::string& lower, const std::string& store);

  std::string scratch_;
  std::vector<MountOp> masks_;
  unsigned seq_ = 0;
  bool memory_mounted_ = false;
};

// Escapes a path for overlayfs mount options (',' ':' and '\' are separators there).
std::string overlay_option_path(const std::string& path);

}  // namespace paddock
