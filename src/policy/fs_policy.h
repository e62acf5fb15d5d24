#pragma once
// The filesystem half of the effective policy: every path canonical, every list final.
#include <string>
#include <vector>

#include "policy/home_layer.h"
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
  // Denied names that were not on the host when the policy was built. The home layer's lower is
  // the live home, so they are masked there anyway: a store created on the host during a run
  // (`aws configure` in another terminal) does not appear inside.
  std::vector<std::string> deny_read_absent;
  // allowWrite roots missing on the host: created (as the invoking user) before the run, so a
  // path listed as writable is never read-only inside.
  std::vector<std::string> create_writable;
  std::string state_dir;  // paddock's own (canonical); absent inside
  // paddock's runtime roots (control sockets, kept overlay masks; canonical), denied like the
  // state directory and, existing or not, never made, written or renamed by the sandbox: one it
  // made where a writable root let it would be a directory of the user's that later runs trust.
  std::vector<std::string> runtime_roots;
  // Files the view needs where it shows nothing of the host (beneath the empty /run): made
  // empty there, for a generated file to be bound over (the host's /etc/resolv.conf leading to
  // /run/systemd/resolve/stub-resolv.conf).
  std::vector<std::string> view_files;
  HomeLayer home_layer;
};

}  // namespace paddock
