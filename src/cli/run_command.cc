#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ask/agent_channel.h"
#include "base/process_end.h"
#include "cli/commands.h"
#include "cli/effective_policy.h"
#include "cli/host_inputs.h"
#include "policy/home_layer.h"
#include "policy/paths.h"
#include "sandbox/launcher.h"
#include "sandbox/spec_speculation.h"
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

// Everything of an invocation that may change its walls and is cheap to know before planning:
// kept walls are found by it (a wrong guess only costs a restart, spec_speculation.h).
std::string invocation_key(const CommonFlags& f) {
  std::string k = "uid " + std::to_string(::geteuid()) + "\n";
  auto add = [&k](const char* name, const std::string& v) {
    k += name;
    k += '=';
    k += v;
    k += '\0';
  };
  auto add_all = [&](const char* name, const std::vector<std::string>& vs) {
    for (const auto& v : vs) add(name, v);
  };
  char cwd[4096];
  add("cwd", ::getcwd(cwd, sizeof cwd) != nullptr ? cwd : "");
  add("settings", f.settings.value_or(""));
  add_all("allow-write", f.allow_write);
  add_all("deny-read", f.deny_read);
  add_all("allow-read", f.allow_read);
  add_all("deny-write", f.deny_write);
  add_all("allow-domain", f.allow_domain);
  add_all("deny-domain", f.deny_domain);
  add_all("resolve", f.resolve);
  add("project", f.project.value_or(""));
  add_all("pass-env", f.pass_env);
  add_all("ssh-agent-key", f.ssh_agent_key);
  add_all("publish", f.publish);
  add_all("allow-host-port", f.allow_host_port);
  add("flags", std::to_string(f.ssh_agent) + std::to_string(f.ephemeral_home) +
                   std::to_string(f.allow_local_binding) + std::to_string(f.ask));
  for (const char* v : {"HOME", "USER", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR",
                        "PATH", "SHELL", "SSH_AUTH_SOCK", "TMPDIR"}) {
    const char* value = std::getenv(v);
    add(v, value != nullptr ? value : "-");
  }
  // The terminal of each standard stream decides which ptys the view shows.
  for (int fd = 0; fd < 3; ++fd) {
    struct stat st;
    add("stdio", ::fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) ? std::to_string(st.st_rdev) : "-");
  }
  return k;
}

}  // namespace

Result<int> run_command(const RunFlags& flags, Result<StartedSandbox> started) {
  // The sandbox side is already making its namespaces; it waits for the plan (and is killed if
  // there is none to give). The walls the last such run had are sent to it now, to be built
  // while we plan (used only if we plan exactly those).
  std::string walls_path;
  std::optional<Speculation> speculation;
  if (started && !flags.common.ephemeral_home) {
    const std::string state_dir =
        paddock_state_dir(std::getenv("XDG_STATE_HOME"), normalize_path(invoking_user_home()));
    walls_path = kept_walls_path(state_dir, invocation_key(flags.common));
    speculation = speculate(*started, walls_path);
  }
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
  req.speculation = std::move(speculation);
  req.walls_path = walls_path;
  // Nothing is left to print or undo once the run is over: the process ends there.
  req.end_process = [](int code) { end_process(code); };
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
