#pragma once
// The filesystem half of the effective policy: every path canonical, every list final.
#include <string>
#include <vector>

#include "policy/protected_paths.h"

namespace paddock {

// Where paddock's own binary appears inside every sandbox, whatever its host path.
inline constexpr const char* kSelfInSandbox = "/run/paddock";

struct FsPolicy {
  std::string home;                       // canonical
  std::string cwd;                        // canonical; where the command starts
  std::string project;                    // canonical; the first writable root (holds cwd)
  std::vector<std::string> deny_read;     // canonical names to make absent
  std::vector<std::string> allow_read;    // canonical re-openings beneath denied paths
  std::vector<std::string> writable;      // canonical writable roots, cwd first
  std::vector<std::string> unix_sockets;  // host socket paths bound into the view
  ProtectedPaths protect;                 // read-only even beneath writable roots
  std::string self_binary;  // paddock itself, bound at kSelfInSandbox (ssh ProxyCommand)
};

}  // namespace paddock
