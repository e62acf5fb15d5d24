#pragma once
// Serves the sandbox's SSH_AUTH_SOCK: accepts on the listener the sandbox side created (on its
// private /tmp, handed over like the proxy's listeners), and for each connection talks to the
// user's agent with the filter of agent_filter.h in between. One thread accepts; each
// connection has a thread of its own (at most kMaxConnections at once; more are closed), which
// opens its own connection to the agent at the first forwarded request. Threads block no signal
// the supervisor relays (all are blocked in them).
#include <memory>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "sshagent/agent_filter.h"

namespace paddock::sshagent {

inline constexpr int kMaxConnections = 16;

class AgentRelay {
 public:
  // `agent_path`: the user's agent socket (paddock's own $SSH_AUTH_SOCK).
  static Result<std::unique_ptr<AgentRelay>> start(UniqueFd listener, std::string agent_path,
                                                   KeyAllowlist allow);
  // Stops accepting; connections being served finish on their own (each ends when the sandbox
  // side closes it, at the latest when the sandbox is gone).
  void stop();
  ~AgentRelay();

  struct State;

 private:
  explicit AgentRelay(std::shared_ptr<State> s) : state_(std::move(s)) {}
  std::shared_ptr<State> state_;
};

}  // namespace paddock::sshagent
