#pragma once
// Executes a MountPlan inside a fresh mount namespace and pivots into the result. Child side.
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "policy/mount_plan.h"
#include "walls/overlay_mount.h"

namespace paddock {

// What the view holds beyond the plan, known only when paddock starts.
struct ViewExtras {
  std::vector<unsigned> ptys;  // host ptys of the command's stdio, shown at /dev/pts/N (terminal.h)
  std::string hosts_path;      // where /etc/hosts lands in the view (canonical); empty: leave it
  std::string hosts;           // what the sandbox reads there instead (policy/hosts_file.h)
  std::string resolv_path;     // where /etc/resolv.conf lands in the view; empty: leave it
  std::string resolv;          // what the sandbox reads there: the sandbox's own resolver
};

// Builds the view and makes it the root; afterwards the working directory is `cwd`. `masks`:
// the plan's overlay masks (overlay_mount.h); their tmpfs is attached here. `masks_made`, when
// given, is called before the first overlay and says the masks are there (someone else makes
// them meanwhile); else they are made already.
Status build_mount_view(const MountPlan& plan, const std::string& cwd, const ViewExtras& extras,
                        const PreparedMasks& masks, const std::function<Status()>& masks_made = {});

}  // namespace paddock
