#pragma once
// paddock ctl list | show ID | allow ID DOMAIN | deny ID DOMAIN: live control of the user's
// running sandboxes through their control sockets (src/control). Exit status: 0 done; 1 no such
// sandbox, or it refused; 2 usage (a malformed id or domain).
#include <string>

#include "base/result.h"

namespace CLI {
class App;
}

namespace paddock {

inline constexpr int kCtlUsage = 2;

struct CtlFlags {
  std::string id;      // show, allow, deny: the sandbox's id or an unambiguous prefix of it
  std::string domain;  // allow, deny
};

struct CtlCommands {
  CLI::App* ctl = nullptr;
  CLI::App* list = nullptr;
  CLI::App* show = nullptr;
  CLI::App* allow = nullptr;
  CLI::App* deny = nullptr;
};

// Adds `ctl` and its four subcommands to `app`, filling `flags` when parsed.
CtlCommands add_ctl_subcommand(CLI::App& app, CtlFlags& flags);

// After parsing: runs the subcommand that was given.
Result<int> ctl_command(const CtlCommands& cmds, const CtlFlags& flags);

}  // namespace paddock
