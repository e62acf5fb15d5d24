#pragma once
// Executes a MountPlan inside a fresh mount namespace and pivots into the result. Child side.
#include <string>

#include "base/result.h"
#include "policy/mount_plan.h"

namespace paddock {

// Builds the view and makes it the root; afterwards the working directory is `cwd`.
Status build_mount_view(const MountPlan& plan, const std::string& cwd);

}  // namespace paddock
