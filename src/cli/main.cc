// paddock: the command line. This is the only place that prints errors.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/closest_word.h"
#include "base/printable.h"
#include "cli/commands.h"
#include "cli/connect_command.h"
#include "cli/ctl_command.h"
#include "settings/settings.h"

namespace {

// Repeatable options collect raw strings: CLI11 would read "[::1]" as a list and drop the
// brackets an IPv6 rule needs.
void add_list(CLI::App* cmd, const char* name, const char* value, std::vector<std::string>& into,
              const char* help) {
  cmd->add_option(name)
      ->description(help)
      ->type_name(value)
      ->each([&into](const std::string& s) { into.push_back(s); })
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->expected(1);
}

void add_common(CLI::App* cmd, paddock::CommonFlags& f) {
  cmd->add_option("--settings", f.settings, "settings file (srt-compatible JSON)")
      ->type_name("FILE");
  add_list(cmd, "--allow-write", "PATH", f.allow_write, "make PATH writable (repeatable)");
  add_list(cmd, "--deny-read", "PATH", f.deny_read, "make PATH absent (repeatable)");
  add_list(cmd, "--allow-read", "PATH", f.allow_read,
           "re-open PATH beneath a denied one (repeatable)");
  add_list(cmd, "--deny-write", "PATH", f.deny_write,
           "keep PATH read-only even if writable (repeatable)");
  add_list(cmd, "--allow-domain", "DOMAIN", f.allow_domain,
           "allow a network destination (repeatable)");
  add_list(cmd, "--deny-domain", "DOMAIN", f.deny_domain,
           "deny a network destination (repeatable)");
  add_list(cmd, "--resolve", "NAME=ADDR[,ADDR]", f.resolve,
           "pin NAME to ADDR for the proxy; several are dialled in turn (repeatable)");
  add_list(cmd, "--publish", "[HOST_PORT:]PORT", f.publish,
           "serve the sandbox's 127.0.0.1:PORT on the host's 127.0.0.1:HOST_PORT (default: PORT; "
           "implies binding PORT inside; repeatable)");
  add_list(cmd, "--allow-host-port", "PORT", f.allow_host_port,
           "let the sandbox reach the host's loopback service on PORT as localhost:PORT "
           "(repeatable)");
  cmd->add_flag("--ask", f.ask,
                "ask (on the terminal, or through --agent-channel) about a destination no rule "
                "matches, instead of refusing it (network.ask)");
  cmd->add_option("--ask-timeout", f.ask_timeout,
                  "seconds to wait for an answer before refusing (default 60; network.askTimeout)")
      ->type_name("SECONDS")
      ->check(CLI::Range(1u, paddock::kMaxAskTimeoutSeconds));
  cmd->add_flag("--allow-local-binding", f.allow_local_binding,
                "let the sandbox bind TCP ports (network.allowLocalBinding)");
  cmd->add_option("--audit-log", f.audit_log, "append one JSON line per network decision to FILE")
      ->type_name("FILE");
  cmd->add_option("--project", f.project,
                  "the writable project directory (default: the top of the git work tree "
                  "around the current directory, else the current directory)")
      ->type_name("DIR");
  cmd->add_flag("--ephemeral-home", f.ephemeral_home,
                "keep the home layer in memory and discard it at exit (CI)");
  add_list(cmd, "--pass-env", "NAME", f.pass_env,
           "pass variable NAME in although it looks like a secret (repeatable)");
  cmd->add_flag("--ssh-agent", f.ssh_agent,
                "serve your ssh agent inside through a filter: list and sign only");
  add_list(cmd, "--ssh-agent-key", "KEY", f.ssh_agent_key,
           "offer only this key (SHA256:... fingerprint or a .pub file; repeatable; implies "
           "--ssh-agent)");
}

constexpr std::string_view kSubcommands[] = {"run", "doctor", "policy", "reset", "connect", "ctl"};

// "paddock rn": CLI11 would say only that a subcommand is required.
std::optional<std::string> unknown_subcommand(int argc, char** argv) {
  if (argc < 2) return std::nullopt;
  std::string_view first = argv[1];
  if (first.empty() || first[0] == '-') return std::nullopt;
  for (auto s : kSubcommands)
    if (first == s) return std::nullopt;
  std::string msg = "unknown subcommand " + paddock::printable(first);
  std::string best = paddock::closest_word(
      first, std::vector<std::string_view>(std::begin(kSubcommands), std::end(kSubcommands)));
  if (!best.empty()) msg += " (did you mean " + best + "?)";
  return msg + "; subcommands: run, doctor, policy, reset, connect, ctl (see paddock --help)";
}

int report(const paddock::Result<int>& r) {
  if (r.ok()) return *r;
  std::fprintf(stderr, "paddock: %s\n", r.error().message().c_str());
  return r.error().exit_code;
}

int paddock_main(int argc, char** argv) {
  // `paddock run` starts its sandbox side first (launcher.h): the namespaces are built while the
  // command line and the settings are read. If the run goes no further, it is killed.
  std::optional<paddock::Result<paddock::StartedSandbox>> early;
  if (argc > 1 && std::string_view(argv[1]) == "run") early.emplace(paddock::start_sandbox());

  if (auto bad = unknown_subcommand(argc, argv)) {
    std::fprintf(stderr, "paddock: %s\n", bad->c_str());
    return 125;
  }
  CLI::App app{"paddock: run a command inside kernel-enforced filesystem and network walls",
               "paddock"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "paddock 0.1.0");

  paddock::RunFlags run;
  CLI::App* run_cmd =
      app.add_subcommand("run", "run PROGRAM (or -c COMMAND, or your shell) inside the sandbox");
  add_common(run_cmd, run.common);
  run_cmd->add_option("-c", run.shell_command, "run a shell command (bash if present, else sh)")
      ->type_name("COMMAND");
  run_cmd->add_flag("--debug", run.debug,
                    "print the plan: every mount, Landlock rule, seccomp rule");
  run_cmd->add_flag("--quiet", run.quiet, "no notes, warnings or denial summary on stderr");
  run_cmd
      ->add_option("--agent-channel", run.agent_channel,
                   "talk to the agent harness on FD, a connected stream socket: questions "
                   "(--ask) and a notice of every refusal, as JSON lines (docs/AGENT_CHANNEL.md)")
      ->type_name("FD");
  run_cmd->prefix_command();
  run_cmd->footer(
      "Forms:\n"
      "  paddock run [OPTIONS] -- PROGRAM [ARG]...   run PROGRAM\n"
      "  paddock run [OPTIONS] -c COMMAND            run COMMAND with bash (sh without bash)\n"
      "  paddock run [OPTIONS]                       start your shell ($SHELL, else passwd's)\n"
      "Exit status: the command's; 128+N if killed by signal N; 125 paddock could not\n"
      "build the sandbox or the settings are bad; 126 not executable; 127 not found.\n"
      "See paddock(1).");

  // The other subcommands' parsers are not made for `paddock run` (`early` is set exactly then):
  // their options (`policy` has all of run's) cost ~0.1 ms before the sandbox gets its plan.
  bool doctor_json = false;
  CLI::App* doctor_cmd = nullptr;
  paddock::CommonFlags policy_flags;
  bool policy_json = false;
  CLI::App* policy_cmd = nullptr;
  bool reset_all = false;
  std::string reset_project;
  CLI::App* reset_cmd = nullptr;
  paddock::CtlFlags ctl_flags;
  paddock::CtlCommands ctl;
  std::string connect_host;
  uint16_t connect_port = 0;
  CLI::App* connect_cmd = nullptr;
  if (!early) {
    doctor_cmd = app.add_subcommand(
        "doctor", "which walls this host supports and how to enable missing ones");
    doctor_cmd->add_flag("--json", doctor_json, "machine-readable output");

    policy_cmd = app.add_subcommand("policy", "print the effective policy and warnings");
    add_common(policy_cmd, policy_flags);
    policy_cmd->add_flag("--json", policy_json, "machine-readable output");

    reset_cmd = app.add_subcommand(
        "reset", "discard the home layer of this project (what its sandboxes wrote to the home)");
    reset_cmd->add_flag("--all", reset_all, "discard the home layers of every project");
    reset_cmd
        ->add_option("--project", reset_project,
                     "the project whose layer to discard (default: as paddock run chooses it)")
        ->type_name("DIR");

    ctl = paddock::add_ctl_subcommand(app, ctl_flags);

    connect_cmd = app.add_subcommand(
        "connect", "SOCKS5 client for ssh's ProxyCommand inside the sandbox (relays stdin/stdout)");
    connect_cmd->add_option("host", connect_host, "destination host")
        ->required()
        ->type_name("HOST");
    connect_cmd->add_option("port", connect_port, "destination port")
        ->required()
        ->type_name("PORT");
  }

  // Everything after the first "--" is the program and its arguments, untouched by the parser.
  std::vector<std::string> args;
  std::vector<std::string> program;
  bool after = false;
  for (int i = 1; i < argc; ++i) {
    if (!after && std::string(argv[i]) == "--") {
      after = true;
      continue;
    }
    (after ? program : args).emplace_back(argv[i]);
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector form reversed

  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const bool in_ctl = argc > 1 && std::string_view(argv[1]) == "ctl";
    std::fprintf(stderr, "paddock: %s (see paddock %s--help)\n", e.what(), in_ctl ? "ctl " : "");
    return in_ctl ? paddock::kCtlUsage : 125;
  }

  if (run_cmd->parsed()) {
    std::vector<std::string> rest = run_cmd->remaining();
    if (!rest.empty() && rest[0].size() > 1 && rest[0][0] == '-')
      return report(
          paddock::plain_error("run", "unknown option " + rest[0] + " (put the program after --)"));
    if (!rest.empty() && !program.empty())
      return report(paddock::plain_error("run", "unexpected " + rest[0] + " before --"));
    run.argv = rest.empty() ? program : rest;
    if (!early) early.emplace(paddock::start_sandbox());
    return report(paddock::run_command(run, std::move(*early)));
  }
  if (doctor_cmd != nullptr && doctor_cmd->parsed())
    return report(paddock::doctor_command(doctor_json));
  if (connect_cmd != nullptr && connect_cmd->parsed()) {
    auto r = paddock::connect_command(connect_host, connect_port);
    if (!r.ok()) {
      std::fprintf(stderr, "paddock: %s\n", r.error().message().c_str());
      return 255;  // what ssh expects from a failed ProxyCommand
    }
    return *r;
  }
  if (policy_cmd != nullptr && policy_cmd->parsed())
    return report(paddock::policy_command(policy_flags, policy_json));
  if (reset_cmd != nullptr && reset_cmd->parsed())
    return report(paddock::reset_command(reset_all, reset_project));
  if (ctl.ctl != nullptr && ctl.ctl->parsed()) return report(paddock::ctl_command(ctl, ctl_flags));
  return 125;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return paddock_main(argc, argv);
  } catch (const std::exception& e) {
    // Out of memory or a library's bug: nothing was run unprotected, say so and stop.
    std::fprintf(stderr, "paddock: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "paddock: internal error\n");
  }
  return 125;
}
