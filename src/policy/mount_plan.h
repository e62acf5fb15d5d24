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
    Tmpfs,     // fresh tmpfs at path (writable: stays rw; else made read-only by a later ReadOnly)
    MakeDir,   // create a directory (mount point) inside a tmpfs
    MakeFile,  // create an empty file (mount point) inside a tmpfs
    Symlink,   // create a symlink at path pointing to source
    Bind,      // bind host `source` at path, recursively; read-only unless writable
    HideDir,   // cover path with an empty read-only directory (name stays, contents absent)
    HideFile,  // cover path with an empty read-only file
    Proc,      // the sandbox's own procfs
    Dev,       // minimal /dev: null zero full random urandom tty, pts, ptmx, shm, fd links
    ReadOnly,  // make the tmpfs mounted at path read-only (not recursive)
  };
  Kind kind;
  std::string path;    // in the sandbox's view
  std::string source;  // host path (Bind) or link target (Symlink)
  bool writable = false;
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

}  // namespace paddock
