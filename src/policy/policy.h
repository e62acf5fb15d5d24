#pragma once
// The effective policy: built-in defaults + settings file + command-line flags, with every path
// resolved. Immutable once built; the walls and the proxy only read it.
#include <string>
#include <vector>

#include "base/result.h"
#include "policy/fs_policy.h"
#include "settings/git_key_pattern.h"
#include "settings/settings.h"

namespace paddock {

struct Policy {
  FsPolicy fs;
  NetworkSettings network;
  std::string settings_source;         // empty for built-in defaults
  std::vector<std::string> unset_env;  // variables removed from the command's environment
  std::vector<GitKeyPattern> git_allow_config_keys;  // git.allowConfigKeys (with a warning)
  std::vector<std::string> notes;                    // informational (srt keys not acted on, ...)
  std::vector<std::string> warnings;  // self-sabotage: writable $PATH dirs, docker.sock, ...
};

// `path_env` is $PATH, used for the writable-$PATH warning. `project` (--project; empty:
// chosen as policy/project_root says) is the writable root the command works in.
Result<Policy> build_policy(const Settings& settings, const std::string& home,
                            const std::string& cwd, const std::string& path_env,
                            const std::string& project = {});

}  // namespace paddock
