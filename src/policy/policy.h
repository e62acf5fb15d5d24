#pragma once
// The effective policy: built-in defaults + settings file + command-line flags, with every path
// resolved. Immutable once built; the walls and the proxy only read it.
#include <string>
#include <vector>

#include "base/result.h"
#include "policy/fs_policy.h"
#include "settings/settings.h"

namespace paddock {

struct Policy {
  FsPolicy fs;
  NetworkSettings network;
  std::string settings_source;         // empty for built-in defaults
  std::vector<std::string> unset_env;  // variables removed from the command's environment
  std::vector<std::string> notes;      // informational (srt keys not acted on, ...)
  std::vector<std::string> warnings;   // self-sabotage: writable $PATH dirs, docker.sock, ...
};

// What the policy needs to know about paddock's own state and the host's users.
struct HostInputs {
  std::string state_dir;        // paddock's state directory (absent inside; holds the home layers)
  bool ephemeral_home = false;  // --ephemeral-home: the home layer is kept in memory
  std::string passwd;           // the contents of /etc/passwd (other users' homes are absent)
};

// `path_env` is $PATH, used for the writable-$PATH warning.
Result<Policy> build_policy(const Settings& settings, const std::string& home,
                            const std::string& cwd, const std::string& path_env,
                            const HostInputs& host = {});

}  // namespace paddock
