#pragma once
// The environment the command sees: the user's, minus pointers to host services that are absent
// inside (agent sockets, session buses), plus a marker.
#include <string>
#include <vector>

namespace paddock {

struct ProxyEnvironment {
  bool enabled = false;
  std::string paddock_path;  // for ssh's ProxyCommand (`paddock connect %h %p`)
};

std::vector<std::string> sandbox_environment(char** host_env,
                                             const std::vector<std::string>& writable,
                                             const ProxyEnvironment& proxy = {},
                                             const std::vector<std::string>& unset = {});

}  // namespace paddock
