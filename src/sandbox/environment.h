#pragma once
// The environment the command sees: the user's, minus variables that carry secrets and pointers
// to host services that are absent inside (agent sockets, session buses), plus the proxy
// variables and a marker. Pure: the host environment comes in as an argument.
#include <string>
#include <vector>

namespace paddock {

struct ProxyEnvironment {
  bool enabled = false;
  std::string paddock_path;  // for ssh's ProxyCommand (`paddock connect %h %p`)
};

struct EnvironmentOptions {
  std::vector<std::string> writable;  // canonical writable roots (for $TMPDIR)
  ProxyEnvironment proxy;
  std::vector<std::string> unset;  // credentials.envVars: removed whatever else says
  std::vector<std::string> pass;   // --pass-env / paddock.passEnv: kept though they look secret
  std::string ssh_auth_sock;       // set as SSH_AUTH_SOCK when --ssh-agent serves one inside
};

struct SandboxEnvironment {
  std::vector<std::string> env;
  // Names withheld because they look like secrets (for the one-line note), in host order.
  std::vector<std::string> withheld_secrets;
};

SandboxEnvironment sandbox_environment(char** host_env, const EnvironmentOptions& options);

}  // namespace paddock
