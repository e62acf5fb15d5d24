#pragma once
// Everything the sandbox side needs, computed by the supervisor before clone: after clone the
// child only executes this plan.
#include <signal.h>
#include <sys/types.h>

#include <span>
#include <string>
#include <vector>

#include "policy/mount_plan.h"
#include "walls/landlock.h"
#include "walls/seccomp.h"

namespace paddock {

struct SandboxSpec {
  MountPlan mounts;
  LandlockPlan landlock;
  std::span<const sock_filter> seccomp;  // static data: survives the clone as is
  std::string cwd;
  std::vector<std::string> argv;  // argv[0] is looked up in the sandbox's PATH
  std::vector<std::string> env;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string hostname = "paddock";
  sigset_t signal_mask{};  // the mask the command starts with (the user's)
};

}  // namespace paddock
