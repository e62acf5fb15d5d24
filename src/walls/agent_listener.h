#pragma once
// --ssh-agent: the socket the sandbox's SSH_AUTH_SOCK names, created by the sandbox side on its
// own private /tmp after the view is built (so the mediator knows it as the sandbox's own) and
// handed to the supervisor with the other listeners. No host socket is ever bound in the view.
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace paddock {

inline constexpr const char* kAgentSocketInSandbox = "/tmp/paddock-ssh-agent/agent.sock";

// Creates the socket's directory (0700) and a listening stream socket at `path`.
Result<UniqueFd> create_agent_listener(const std::string& path);

}  // namespace paddock
