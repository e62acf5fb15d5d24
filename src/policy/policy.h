#pragma once
// The effective policy: built-in defaults + settings file + command-line flags, with every path
// resolved. Immutable once built; the walls and the proxy only read it.
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "policy/fs_policy.h"
#include "settings/git_key_pattern.h"
#include "settings/settings.h"

namespace paddock {

// --ssh-agent: the user's agent, served inside through the supervisor's filter.
struct SshAgentPolicy {
  bool enabled = false;
  std::vector<std::string> keys;  // as given: "SHA256:..." or a public key file; empty: all
};

struct Policy {
  FsPolicy fs;
  NetworkSettings network;
  std::string settings_source;         // empty for built-in defaults
  std::vector<std::string> unset_env;  // variables removed from the command's environment
  std::vector<GitKeyPattern> git_allow_config_keys;  // git.allowConfigKeys (with a warning)
  std::vector<std::string> pass_env;  // kept although they look like secrets (--pass-env)
  SshAgentPolicy ssh_agent;
  std::vector<std::string> notes;     // informational (srt keys not acted on, ...)
  std::vector<std::string> warnings;  // self-sabotage: writable $PATH dirs, docker.sock, ...
};

// What the policy needs to know about paddock's own state and the host's users.
struct HostInputs {
  std::string state_dir;  // paddock's state directory (absent inside; holds the home layers)
  // Where the control sockets of the user's sandboxes may be (paddock ctl; absent inside).
  std::vector<std::string> control_roots;
  bool ephemeral_home = false;  // --ephemeral-home: the home layer is kept in memory
  std::string passwd;           // the contents of /etc/passwd (other users' homes are absent)
};

// `/`, a directory shared by the system (/usr, /etc, /var/lib, ... and everything beneath), or a
// parent of users' directories (/home, /var, /opt, /srv, /mnt, /media themselves). A project
// directory that is one is not made writable unless allowWrite names it.
bool is_system_directory(std::string_view canonical_dir);

// The project directory build_policy() would choose (`project`: --project, may be empty): what
// names a home layer.
Result<std::string> project_directory(const std::string& home, const std::string& cwd,
                                      const std::string& project);

// `path_env` is $PATH, used for the writable-$PATH warning. `project` (--project; empty:
// chosen as policy/project_root says) is the writable root the command works in.
Result<Policy> build_policy(const Settings& settings, const std::string& home,
                            const std::string& cwd, const std::string& path_env,
                            const HostInputs& host = {}, const std::string& project = {});

}  // namespace paddock
