#pragma once
// The view the sandbox sees, decided before any syscall: one tree of nodes (what each path is)
// flattened into an ordered list of operations that walls/mount_view.cc executes. Landlock reads
// the same FsPolicy, so the two locks cannot disagree.
#include <string>
#include <vector>

#include "base/result.h"
#include "policy/fs_policy.h"
#include "policy/host_fs.h"

namespace paddock {

struct MountOp {
  enum class Kind {
    // fresh tmpfs at path (writable: stays rw; else made read-only by a later ReadOnly). With a
    // `source`, a directory of the home layer: writable, with the mode of that host directory.
    Tmpfs,
    MakeDir,   // create a directory (mount point) inside a tmpfs
    MakeFile,  // create an empty file (mount point) inside a tmpfs
    Symlink,   // create a symlink at path pointing to source
    Bind,      // bind host `source` at path, recursively; read-only unless writable
    HideDir,   // cover path with an empty read-only directory (name stays, contents absent)
    HideFile,  // cover path with an empty read-only file
    Proc,      // the sandbox's own procfs
    Dev,       // minimal /dev: null zero full random urandom tty, pts, ptmx, shm, fd links
    ReadOnly,  // make the tmpfs mounted at path read-only (not recursive)
    // overlayfs at path. Lower layers: the mask made by the mask steps just before it (if any)
    // over the host directory `source` (none when empty: the mask alone). writable: with an
    // upper layer, kept on the host at `store`/`upper` (work directory `store`/`work`), or in
    // memory when `store` is empty. Without an upper layer the overlay is read-only.
    Overlay,
    // Mask steps: entries made in the mask of the next Overlay (whose view path is `source`).
    Whiteout,   // path is absent (hides the host's entry, whether it exists yet or not)
    OpaqueDir,  // a directory that hides everything of the host's beneath it
    MaskDir,    // a plain directory (a mount point beneath an OpaqueDir)
    MaskFile,   // an empty file (a mount point beneath an OpaqueDir)
  };
  Kind kind;
  std::string path;    // in the sandbox's view
  std::string source;  // host path (Bind, Overlay, Tmpfs), link target (Symlink), overlay (masks)
  bool writable = false;
  std::string store;  // Overlay: the host directory holding the upper layer, or empty
  std::string upper;  // Overlay: the upper directory, relative to store
  std::string work;   // Overlay: its work directory, relative to store
};

const char* mount_op_name(MountOp::Kind k);

struct MountPlan {
  std::vector<MountOp> ops;
  std::vector<std::string>
      notes;  // e.g. denied paths shown empty because a writable root holds them
};

Result<MountPlan> plan_mounts(const FsPolicy& policy, const HostFs& fs);

// Does the plan start from the host's root bound read-only (its first step), rather than from a
// tmpfs on which it rebuilds the top level?
bool starts_from_host_root(const MountPlan& plan);

// The mounts that make up the home layer (writable overlays, and the writable tmpfs directories
// made on the way to filesystems mounted beneath the home): nothing written there reaches the
// host.
std::vector<std::string> home_layer_mounts(const MountPlan& plan);

// A mask step (it belongs to the next Overlay).
bool is_mask_op(MountOp::Kind k);

}  // namespace paddock
