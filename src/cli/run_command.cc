#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ask/agent_channel.h"
#include "cli/commands.h"
#include "cli/effective_policy.h"
#include "sandbox/launcher.h"
#include "sandbox/supervisor.h"
#include "sandbox/terminal_relay.h"

namespace paddock {

namespace {

// $SHELL, else the login shell of the user's passwd entry, else /bin/sh.
std::string interactive_shell() {
  const char* sh = std::getenv("SHELL");
  if (sh != nullptr && sh[0] == '/' && ::access(sh, X_OK) == 0) return sh;
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::string buf(16384, '\0');
  if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
      found->pw_shell != nullptr && found->pw_shell[0] == '/' &&
      ::access(found->pw_shell, X_OK) == 0) {
    std::string_view shell(found->pw_shell);
    // An account that may not log in (nologin, false) still gets a shell here.
    if (!shell.ends_with("/nologin") && !shell.ends_with("/false")) return found->pw_shell;
  }
  return "/bin/sh";
}

}  // namespace

Result<int> run_command(const RunFlags& flags, Result<StartedSandbox> started) {
  // The sandbox side is already making its namespaces; it waits for the plan (and is killed if
  // there is none to give).
  auto effective = effective_policy(flags.common);
  if (!effective) return effective.error();
  if (!started) return started.error();
  const Policy* policy = &effective->policy;
  if (!flags.quiet) {
    for (const auto& n : policy->notes) std::fprintf(stderr, "paddock: note: %s\n", n.c_str());
    for (const auto& w : policy->warnings)
      std::fprintf(stderr, "paddock: warning: %s\n", w.c_str());
  }
  RunRequest req;
  if (flags.agent_channel) {
    auto fd = ask::adopt_agent_channel_fd(*flags.agent_channel);
    if (!fd) return fd.error();
    req.agent_channel = std::move(*fd);
  }
  if (policy->network.ask) req.terminal = open_user_terminal();
  // Refusing quietly instead would look like asking to whoever wrote --ask.
  if (policy->network.ask && !req.agent_channel.valid() && !req.terminal.valid())
    return plain_error("--ask",
                       "nobody to ask: paddock has no terminal to ask on (none, or it runs in "
                       "the background) and no --agent-channel FD; run it in the foreground of "
                       "a terminal, give --agent-channel FD, or leave out --ask / network.ask");
  req.debug = flags.debug;
  req.quiet = flags.quiet;
  req.audit_log = flags.common.audit_log;
  if (flags.shell_command) {
    if (!flags.argv.empty())
      return plain_error("run", "give either -c 'COMMAND' or -- PROGRAM [ARG]..., not both");
    // bash when present: agents write bash; /bin/sh otherwise.
    std::string sh = ::access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh";
    req.argv = {sh, "-c", *flags.shell_command};
  } else if (flags.argv.empty()) {
    req.argv = {interactive_shell()};
  } else {
    req.argv = flags.argv;
  }
  return run_sandboxed(*policy, std::move(effective->network), std::move(req), std::move(*started));
}

}  // namespace paddock
