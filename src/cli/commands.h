#pragma once
// One function per subcommand; main.cc is the only place that prints errors.
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "sandbox/launcher.h"

namespace paddock {

struct CommonFlags {
  std::optional<std::string> settings;
  std::vector<std::string> allow_write, deny_read, allow_read, deny_write;
  std::vector<std::string> allow_domain, deny_domain, resolve;
  std::optional<std::string> audit_log;
  std::optional<std::string> project;
  std::vector<std::string> pass_env;         // --pass-env NAME
  bool ssh_agent = false;                    // --ssh-agent
  std::vector<std::string> ssh_agent_key;    // --ssh-agent-key KEY (implies --ssh-agent)
  bool ephemeral_home = false;               // the home layer in memory, discarded at exit
  bool allow_local_binding = false;          // --allow-local-binding
  std::vector<std::string> publish;          // --publish [HOST_PORT:]PORT
  std::vector<std::string> allow_host_port;  // --allow-host-port PORT
  bool ask = false;                          // --ask
  std::optional<unsigned> ask_timeout;       // --ask-timeout SECONDS
};

struct RunFlags {
  CommonFlags common;
  std::optional<std::string> shell_command;  // -c
  std::vector<std::string> argv;             // after --
  bool debug = false;
  bool quiet = false;
  std::optional<int> agent_channel;  // --agent-channel FD
};

// `started`: the sandbox side, cloned as early as possible (start_sandbox()).
Result<int> run_command(const RunFlags& flags, Result<StartedSandbox> started);
Result<int> doctor_command(bool json);
Result<int> policy_command(const CommonFlags& flags, bool json);
// Discards the home layer of the project in the current directory (every project's: all).
Result<int> reset_command(bool all, const std::string& project);

}  // namespace paddock
