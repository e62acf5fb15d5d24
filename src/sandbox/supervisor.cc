#include "sandbox/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <optional>

#include "base/printable.h"
#include "mediator/mediator.h"
#include "policy/mount_plan.h"
#include "policy/paths.h"
#include "policy/seccomp_policy.h"
#include "proxy/decide/address_filter.h"
#include "proxy/decide/denial_advice.h"
#include "proxy/proxy_server.h"
#include "sandbox/agent_link.h"
#include "sandbox/agent_setup.h"
#include "sandbox/control_setup.h"
#include "sandbox/dns_setup.h"
#include "sandbox/environment.h"
#include "sandbox/git_judge.h"
#include "sandbox/host_services.h"
#include "sandbox/hosts_setup.h"
#include "sandbox/launcher.h"
#include "sandbox/run_preparation.h"
#include "sandbox/spec_codec.h"
#include "sandbox/stale_work_sweep.h"
#include "sandbox/sync_channel.h"
#include "sandbox/terminal_relay.h"
#include "sshagent/agent_relay.h"
#include "walls/agent_listener.h"
#include "walls/landlock.h"
#include "walls/layer_tenant.h"
#include "walls/mask_cache.h"
#include "walls/overlay_mount.h"
#include "walls/proxy_listeners.h"
#include "walls/seccomp.h"
#include "walls/terminal.h"

extern char** environ;

namespace paddock {

namespace {

constexpr int kRelayed[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
constexpr std::chrono::microseconds kPollAfterStart{1500};
// How long a mediator that could not start waits for init's exit to say why (milliseconds):
// a sandbox that ended releases its view a moment before its pidfd turns readable.
constexpr int kMediatorFailureGrace = 1000;

// TCP ports the sandbox may reach and bind without allowLocalBinding: the proxy's, the host
// services' relays inside, and the published ones (its own servers, which its clients reach too).
struct HostPorts {
  std::vector<uint16_t> connect;
  std::vector<uint16_t> bind;
};

HostPorts host_ports(const NetworkSettings& n) {
  HostPorts p;
  p.connect = {kHttpProxyPort, kSocksProxyPort, kDnsPort};
  for (uint16_t port : n.allow_host_ports) p.connect.push_back(port);
  for (const auto& pub : n.publish_ports) {
    p.connect.push_back(pub.port);
    p.bind.push_back(pub.port);
  }
  return p;
}

Result<std::string> self_binary() {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return sys_error("readlink", "/proc/self/exe");
  return std::string(self, size_t(n));
}

// `fs`: the run's filesystem policy (policy.fs, with the home layer prepare_run() settled on
// and paddock's own binary, for ssh's ProxyCommand); the files the view needs beneath /run are
// added to it. `withheld`, when given, receives the names of variables kept out because they
// look secret.
Result<SandboxSpec> build_spec(const Policy& policy, FsPolicy& fs,
                               std::vector<std::string>* withheld = nullptr) {
  SandboxSpec spec;
  plan_resolv(policy.fs.deny_read, spec.view_extras, fs.view_files);
  auto mounts = plan_mounts(fs, real_host_fs());
  if (!mounts) return mounts.error();
  spec.mounts = std::move(*mounts);
  spec.view_extras.ptys = stdio_ptys();
  plan_hosts(policy.fs.deny_read, spec.view_extras);
  int abi = landlock_abi();
  if (abi < 1)
    return plain_error("landlock",
                       "not available on this kernel (needs Linux 5.13+ with "
                       "landlock in the lsm= list); run `paddock doctor`");
  // The home layer takes writes too (none reach the host).
  std::vector<std::string> writable = fs.writable;
  if (fs.home_layer.enabled()) writable.push_back(fs.home_layer.path);
  const HostPorts ports = host_ports(policy.network);
  spec.landlock =
      plan_landlock(abi, writable, policy.network.allow_local_binding, ports.connect, ports.bind);
  spec.host_ports = policy.network.allow_host_ports;
  spec.socket_factory = !policy.network.publish_ports.empty();
  spec.seccomp = sandbox_seccomp_program();
  spec.cwd = policy.fs.cwd;
  EnvironmentOptions env;
  env.writable = policy.fs.writable;
  env.proxy.enabled = true;
  env.proxy.paddock_path = kSelfInSandbox;
  env.unset = policy.unset_env;
  env.pass = policy.pass_env;
  if (policy.ssh_agent.enabled) {
    env.ssh_auth_sock = kAgentSocketInSandbox;
    spec.ssh_agent_socket = kAgentSocketInSandbox;
  }
  SandboxEnvironment built = sandbox_environment(environ, env);
  spec.env = std::move(built.env);
  if (withheld != nullptr) *withheld = std::move(built.withheld_secrets);
  return spec;
}

void print_network_denials(const std::vector<proxy::DenialSummary>& denials) {
  size_t shown = 0;
  for (const auto& d : denials) {
    if (++shown > 20) {
      std::fprintf(stderr, "paddock: ... and %zu more denied destinations\n", denials.size() - 20);
      break;
    }
    std::string where = d.host.empty() ? "(unparsable request)"
                                       : d.host + (d.port ? ":" + std::to_string(d.port) : "");
    const std::string advice = proxy::denial_advice(d);
    std::fprintf(stderr, "paddock: denied %s %s (%s: %s)%s%s\n", printable(d.protocol).c_str(),
                 printable(where).c_str(), printable(d.rule).c_str(), printable(d.reason).c_str(),
                 d.count > 1 ? (" x" + std::to_string(d.count)).c_str() : "",
                 advice.empty() ? "" : ("; " + printable(advice)).c_str());
  }
}

void print_denials(const std::map<std::string, unsigned>& denials) {
  size_t shown = 0;
  for (const auto& [what, count] : denials) {
    if (++shown > 20) {
      std::fprintf(stderr, "paddock: ... and %zu more denied writes\n", denials.size() - 20);
      break;
    }
    // Names in `what` were chosen inside the sandbox.
    if (count > 1)
      std::fprintf(stderr, "paddock: denied %s x%u\n", printable(what).c_str(), count);
    else
      std::fprintf(stderr, "paddock: denied %s\n", printable(what).c_str());
  }
}

}  // namespace

namespace {

std::string describe_mount(const MountOp& op) {
  std::string out = std::string(mount_op_name(op.kind)) + " " + op.path;
  if (is_mask_op(op.kind)) return out + " (in the mask of " + op.source + ")";
  if (op.kind == MountOp::Kind::Overlay) {
    out += " <- " + (op.source.empty() ? std::string("(the mask alone)") : op.source);
    if (!op.writable) return out + " (ro)";
    return out + (op.store.empty() ? " (upper layer in memory)"
                                   : " (upper layer " + join_path(op.store, op.upper) + ")");
  }
  if (!op.source.empty()) out += (op.kind == MountOp::Kind::Symlink ? " -> " : " <- ") + op.source;
  if (op.kind == MountOp::Kind::Bind) out += op.writable ? " (rw)" : " (ro)";
  if (op.kind == MountOp::Kind::Tmpfs && !op.source.empty()) out += " (home layer, in memory)";
  return out;
}

std::string describe_spec(const Policy& policy, const SandboxSpec& spec) {
  std::string out = "mounts (" + std::to_string(spec.mounts.ops.size()) + " steps):\n";
  for (const auto& op : spec.mounts.ops) out += "  " + describe_mount(op) + "\n";
  for (const auto& n : spec.mounts.notes) out += "  note: " + n + "\n";
  if (spec.own_terminal.enabled)
    out +=
        "  terminal: paddock's own pty (--ask): relayed to the user's terminal, where questions "
        "are asked\n";
  for (unsigned n : spec.view_extras.ptys)
    out += "  terminal: /dev/pts/" + std::to_string(n) + " (the command's own, under its name)\n";
  if (!spec.ssh_agent_socket.empty())
    out += "  ssh agent: " + spec.ssh_agent_socket +
           " (SSH_AUTH_SOCK inside) <- paddock's filter (list and sign only) <- $SSH_AUTH_SOCK\n";
  if (!spec.view_extras.resolv_path.empty())
    out += "  resolver: " + spec.view_extras.resolv_path +
           " <- names only 127.0.0.1:53, paddock's resolver (it forwards nothing)\n";
  for (const auto& p : policy.network.publish_ports)
    out += "  published: host 127.0.0.1:" + std::to_string(p.host_port) +
           " -> 127.0.0.1:" + std::to_string(p.port) + " inside\n";
  for (uint16_t p : policy.network.allow_host_ports)
    out += "  host port: 127.0.0.1:" + std::to_string(p) +
           " inside -> the host's 127.0.0.1:" + std::to_string(p) + "\n";
  if (!spec.view_extras.hosts_path.empty())
    out += "  hosts: " + spec.view_extras.hosts_path + " <- the host's, naming the hostname " +
           kSandboxHostname + "\n";
  out += "landlock:\n" + describe_landlock(spec.landlock);
  out += "seccomp (" + std::to_string(spec.seccomp.size()) + " BPF instructions):\n" +
         describe_seccomp(sandbox_seccomp_policy(true));
  out += "write mediation: protected names at any depth:";
  for (const auto& n : policy.fs.protect.names()) out += " " + n;
  out +=
      "\n  git control files (of any directory git accepts as a repository): config and "
      "config.worktree (checked installs only), hooks/ (*.sample only), todo lists (no exec), "
      "remotes/ and branches/ files\n";
  for (const auto& e : policy.fs.protect.exact()) out += "  write-protected: " + e + "\n";
  for (const auto& a : policy.fs.protect.aliases())
    out += "  write-protected (a spelling that leads to one above): " + a + "\n";
  return out;
}

}  // namespace

Result<std::string> describe_plan(const Policy& policy) {
  FsPolicy fs = policy.fs;
  auto self = self_binary();
  if (!self) return self.error();
  fs.self_binary = *self;
  auto spec = build_spec(policy, fs);
  if (!spec) return spec.error();
  return describe_spec(policy, *spec);
}

Result<int> run_sandboxed(const Policy& policy, proxy::NetworkRules network, RunRequest req,
                          StartedSandbox started) {
  FsPolicy fs = policy.fs;  // this run's: its home layer, paddock's own binary
  auto self = self_binary();
  if (!self) return self.error();
  fs.self_binary = *self;
  auto prepared = prepare_run(fs, req.speculation ? &req.speculation->layer : nullptr);
  if (!prepared) return prepared.error();
  // paddock ctl: its live rules join `network` before any copy of it is made.
  ControlLink control = prepare_control(network, policy.fs.project, req.argv);
  if (!req.quiet)
    for (const auto& n : prepared->notes) std::fprintf(stderr, "paddock: note: %s\n", n.c_str());
  std::vector<std::string> withheld;
  auto spec = build_spec(policy, fs, &withheld);
  if (!spec) return spec.error();
  spec->argv = req.argv;
  // --ask on the user's terminal: the command runs on paddock's own pty (terminal_relay.h).
  std::unique_ptr<TerminalRelay> terminal;
  if (req.terminal.valid()) {
    auto t = TerminalRelay::create(std::move(req.terminal));
    if (!t) return t.error();
    terminal = std::move(*t);
    spec->view_extras.ptys = stdio_ptys(terminal->command_stdio());
    spec->own_terminal = {true, terminal->stdio_mask()};
  }
  if (!req.quiet && !withheld.empty()) {
    std::string names;
    for (const auto& n : withheld) names += (names.empty() ? "" : " ") + n;
    // Names only, never values; names come from the user's own environment.
    std::fprintf(stderr,
                 "paddock: note: not passed in (they look like secrets; --pass-env NAME keeps "
                 "one): %s\n",
                 printable(names).c_str());
  }
  // The mediator treats what the sandbox writes on these mounts as its own (nothing reaches
  // the host through them).
  fs.home_layer.mounts = home_layer_mounts(spec->mounts);
  if (req.debug) std::fprintf(stderr, "%s", describe_spec(policy, *spec).c_str());

  // Before the sandbox starts: a host port in use stops the run here.
  auto published = bind_published_ports(policy.network.publish_ports);
  if (!published) return published.error();

  std::optional<AgentSetup> agent;
  if (policy.ssh_agent.enabled) {
    auto a = agent_setup(policy);
    if (!a) return a.error();
    agent = std::move(*a);
  }

  // Relayed signals are read from a signalfd; init restores the command's defaults.
  sigset_t mask, old;
  sigemptyset(&mask);
  for (int s : kRelayed) sigaddset(&mask, s);
  if (::sigprocmask(SIG_BLOCK, &mask, &old) != 0) return sys_error("sigprocmask");
  spec->signal_mask = old;
  UniqueFd sfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd.valid()) return sys_error("signalfd");
  if (terminal) PADDOCK_TRY(terminal->start());

  // Capture by name: connects to the resolver's addresses are joined to the proxy.
  auto capture = std::make_shared<dns::Capture>();
  capture->listener_port = kCapturePort;
  capture->name_callers = policy.network.ask;
  // Opened now: a path that cannot take the log stops the run before the command starts.
  std::unique_ptr<proxy::AuditLog> audit;
  if (req.audit_log) {
    auto a = proxy::AuditLog::open(*req.audit_log);
    if (!a) return a.error();
    audit = std::move(*a);
  }
  // Walls sent ahead are used only when they are exactly this run's; a sandbox side that got
  // other walls, or failed on them, is killed (nothing has run in it) and a new one started.
  const std::string walls = encode_walls(*spec);
  // (A terminal of its own travels with the spec: never speculated.)
  bool walls_sent = req.speculation && !terminal && req.speculation->walls == walls;
  if (req.speculation && !walls_sent) {
    auto fresh = start_sandbox();
    if (!fresh) return fresh.error();
    started = std::move(*fresh);
  }
  req.speculation.reset();  // the layer's lock, when not this run's, goes with it
  const int terminal_fd = terminal ? terminal->slave() : -1;
  auto launched = launch_sandbox(std::move(started), *spec, terminal_fd, walls_sent);
  if (!launched && walls_sent) {
    auto fresh = start_sandbox();
    if (!fresh) return fresh.error();
    launched = launch_sandbox(std::move(*fresh), *spec, terminal_fd);
  }
  if (!launched) return launched.error();
  ProxyListeners& listeners = launched->listeners;
  // --ask and --agent-channel: before the mediator and the proxy, which report to it.
  const std::string settings_file =
      policy.settings_source.empty() ? default_settings_path() : policy.settings_source;
  auto link = start_agent_link(policy.network, std::move(req.agent_channel), settings_file,
                               terminal != nullptr);
  if (!link) {
    ::kill(launched->init_pid, SIGKILL);
    ::waitpid(launched->init_pid, nullptr, 0);
    return link.error();
  }
  if (terminal && link->broker) terminal->attach(link->broker);

  // The write mediator starts with the command: every bash start needs it (bash opens /dev/tty
  // read-write to look for a terminal, and an open for writing is always mediated), and it is
  // ready by then instead of being started while the call waits. The other services start when
  // the sandbox first needs them: the proxy and the resolver at the first connection or query,
  // the control socket 50 ms in. Until then the kernel holds what arrives: a connection in the
  // listener's backlog, a query in the socket's buffer. A command that needs none of them (most
  // of an agent's: ls, cat, grep, git status) runs and ends with only the mediator's thread
  // beside it, which is left to end with the process if it has nothing in hand.
  std::unique_ptr<mediator::Mediator> mediator;
  std::unique_ptr<proxy::ProxyServer> proxy;
  std::unique_ptr<dns::DnsServer> resolver;  // after the proxy: its judge refers to the proxy
  bool rules_complete = false;
  auto complete_rules = [&]() -> Status {
    // The host's own addresses are only the proxy's business (its address filter: the git
    // judge and the mediator decide by name and port alone, so the mediator, which every bash
    // start needs for its open of /dev/tty, starts without this enumeration); paddock ctl
    // decides with the same rules.
    if (rules_complete) return ok_status();
    auto own = proxy::enumerate_host_addresses();
    if (!own) return own.error();
    network.add_host_addresses(*own);
    control.attach(network, link->broker);
    rules_complete = true;
    return ok_status();
  };
  auto start_mediator = [&]() -> Status {
    mediator::SocketRules socket_rules;
    socket_rules.allow_local_binding = policy.network.allow_local_binding;
    const HostPorts ports = host_ports(policy.network);
    socket_rules.connect_ports = ports.connect;
    socket_rules.bind_ports = ports.bind;
    socket_rules.capture = capture;
    auto m = std::make_unique<mediator::Mediator>(std::move(launched->notify), fs, socket_rules);
    m->set_git_judge(make_git_judge(policy, network));
    m->set_refusal_sink(control.mediator_sink(link->mediator_sink()));
    // A mediator thread that cannot act for the sandbox ends it (reported below).
    m->set_on_failure([pidfd = launched->pidfd.get()] {
      (void)::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
    });
    Status ms = m->start(std::move(launched->root));
    mediator = std::move(m);
    return ms;
  };
  auto start_network = [&]() -> Status {
    PADDOCK_TRY(complete_rules());
    proxy::ProxyOptions popts;
    popts.rules = network;
    popts.audit_log = std::move(audit);
    popts.captures = capture->pending;
    popts.asks = link->broker;
    popts.on_denial = control.network_sink(link->network_sink());
    auto p = proxy::ProxyServer::start(std::move(listeners.http), std::move(listeners.socks),
                                       std::move(popts), std::move(listeners.capture));
    if (!p) return p.error();
    proxy = std::move(*p);
    auto r = start_resolver(std::move(listeners.dns_udp), std::move(listeners.dns_tcp), network,
                            *proxy, capture->names, policy.network.ask);
    if (!r) return r.error();
    resolver = std::move(*r);
    return ok_status();
  };
  auto fail_started = [&](const Error& e) -> Result<int> {
    ::kill(launched->init_pid, SIGKILL);
    ::waitpid(launched->init_pid, nullptr, 0);
    if (mediator) mediator->stop();
    if (resolver) resolver->stop();
    if (proxy) proxy->stop();
    return e;
  };
  if (Status ms = start_mediator(); !ms.ok()) {
    // A command may end before this (one CPU, a short command): init releases the namespaces,
    // and with them the home layer the mediator opens, a moment before its pidfd turns
    // readable. Then there is nothing to serve; otherwise the failure stands.
    pollfd gone{launched->pidfd.get(), POLLIN, 0};
    if (::poll(&gone, 1, kMediatorFailureGrace) <= 0) return fail_started(ms.error());
    mediator.reset();
  }
  // The work directories of earlier runs of this layer go while the command runs (the lock
  // prepare_run() took keeps other runs away from them).
  std::future<Status> sweep;
  if (fs.home_layer.mode == HomeLayer::Mode::Persistent) {
    sweep = start_stale_work_sweep(fs.home_layer.store, fs.home_layer.run);
    // The next run's work directories, made now while the command runs rather than when that
    // run starts. Failing here costs nothing but that: the next run makes its own.
    (void)make_spare_work_dirs(spec->mounts);
  }
  // This run's masks, kept for the next runs that need the same (walls/mask_cache.h), also
  // while the command runs. Best effort: a mask not kept is made again.
  keep_masks(spec->mounts, fs.writable);

  std::unique_ptr<sshagent::AgentRelay> agent_relay;
  if (agent) {
    auto r = sshagent::AgentRelay::start(std::move(launched->agent_listener), agent->agent_path,
                                         std::move(agent->allow));
    if (!r) return fail_started(r.error());
    agent_relay = std::move(*r);
  }

  auto relay = start_host_services(
      policy.network, HostServiceFds{std::move(*published), std::move(launched->socket_factory),
                                     std::move(launched->host_port_listeners)});
  if (!relay) {
    if (agent_relay) agent_relay->stop();
    return fail_started(relay.error());
  }

  // The next run of this invocation starts building these walls at once.
  if (!req.walls_path.empty() && fs.home_layer.mode == HomeLayer::Mode::Persistent && !walls_sent)
    keep_walls(req.walls_path, *spec, fs.home_layer.run);
  // The next run of this project waits for this sandbox to be gone (walls/layer_tenant.h).
  if (prepared->layer_lock.valid()) {
    Status recorded = record_layer_tenant(prepared->layer_lock.get(), launched->init_pid);
    if (!recorded.ok() && !req.quiet)
      std::fprintf(stderr, "paddock: warning: %s\n", recorded.error().message().c_str());
  }
  std::unique_ptr<control::ControlServer> control_server;
  bool control_due = true;
  const auto control_at = std::chrono::steady_clock::now() + control::kSocketDelay;

  // For its first moments the command is waited for by polling, not by sleeping: many of an
  // agent's commands end within them, and on a virtual machine an idle vCPU takes ~0.2-0.3 ms
  // to be woken (measured here: init's word that the command ended reached a sleeping
  // supervisor 0.27 ms later; 0.2-0.3 ms off every short run). The CPU is yielded to anything
  // else runnable on it meanwhile.
  const auto poll_until = std::chrono::steady_clock::now() + kPollAfterStart;
  std::optional<Error> exec_error;
  bool sync_open = true;
  bool ended = false;  // init said the command has ended: it is exiting
  bool reaped = false;
  int exit_code = 125;
  while (!ended && !reaped) {
    const bool network_due = !proxy;
    pollfd p[8] = {{launched->pidfd.get(), POLLIN, 0},
                   {sfd.get(), POLLIN, 0},
                   {sync_open ? launched->sync.get() : -1, POLLIN, 0},
                   {network_due ? listeners.http.get() : -1, POLLIN, 0},
                   {network_due ? listeners.socks.get() : -1, POLLIN, 0},
                   {network_due ? listeners.capture.get() : -1, POLLIN, 0},
                   {network_due ? listeners.dns_udp.get() : -1, POLLIN, 0},
                   {network_due ? listeners.dns_tcp.get() : -1, POLLIN, 0}};
    int timeout = -1;
    if (control_due) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          control_at - std::chrono::steady_clock::now());
      timeout = int(std::max<long>(0, long(left.count())));
    }
    const bool polling = std::chrono::steady_clock::now() < poll_until;
    int n = ::poll(p, 8, polling ? 0 : timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_started(sys_error("poll", "supervisor"));
    }
    if (n == 0 && polling) {
      ::sched_yield();
      continue;
    }
    if (control_due && std::chrono::steady_clock::now() >= control_at) {
      control_due = false;
      if (Status st = complete_rules(); !st.ok()) return fail_started(st.error());
      control_server = control.serve(fs.writable, req.quiet, req.debug);
    }
    if ((p[3].revents | p[4].revents | p[5].revents | p[6].revents | p[7].revents) != 0)
      if (Status st = start_network(); !st.ok()) return fail_started(st.error());
    if (p[2].revents) {
      auto m = receive_message(launched->sync.get());
      if (!m || m->type == ChannelMessage::Type::Eof) {
        sync_open = false;
      } else if (m->type == ChannelMessage::Type::Failed) {
        exec_error = m->error;
      } else if (m->type == ChannelMessage::Type::Exited) {
        ended = true;
        exit_code = m->exit_code;
      }
    }
    if (p[1].revents & POLLIN) {
      signalfd_siginfo si;
      while (::read(sfd.get(), &si, sizeof si) == sizeof si) {
        // The terminal already signalled the whole foreground group, command included; a
        // command on paddock's own pty has it signalled by that pty instead.
        if (si.ssi_code != SI_KERNEL)
          ::kill(launched->init_pid, int(si.ssi_signo));
        else if (terminal)
          terminal->signal_foreground(int(si.ssi_signo));
      }
    }
    if (p[0].revents & POLLIN) {
      int status = 0;
      if (::waitpid(launched->init_pid, &status, 0) < 0) return sys_error("waitpid", "init");
      reaped = true;
      if (WIFEXITED(status))
        exit_code = WEXITSTATUS(status);
      else if (WIFSIGNALED(status))
        exit_code = 128 + WTERMSIG(status);
    }
  }
  // The socket goes with the command; its thread ends while the others stop.
  if (control_server) control_server->request_stop();
  while (sync_open && !ended) {
    pollfd p{launched->sync.get(), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) break;
    auto m = receive_message(launched->sync.get());
    if (!m || m->type == ChannelMessage::Type::Eof) break;
    if (m->type == ChannelMessage::Type::Failed) exec_error = m->error;
  }
  if (terminal) terminal->stop();  // the terminal is the user's again before anything is printed
  // Our threads stop while the kernel tears the sandbox down: init has queued SIGKILL for
  // everything left in it before it said the command ended (the mediator refuses what a dying
  // process still asks). Every stop is asked for before any is waited for. We do not wait for
  // init: the next run of this project waits for it instead (walls/layer_tenant.h).
  if (resolver) resolver->request_stop();
  if (proxy) proxy->request_stop();
  // When the process ends right after the run is printed, a mediator with no call in hand is
  // left to end with it: stopping its thread is a wake-up of an idle CPU and a join.
  if (mediator && !(req.end_process && mediator->stop_when_idle())) mediator->stop();
  if (resolver) resolver->stop();
  if (proxy) proxy->stop();
  control_server.reset();  // joined: the socket is gone
  link->stop();            // after the proxy: its last refusals are on their way to the agent
  if (agent_relay) agent_relay->stop();
  if (*relay) (*relay)->stop();
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (sweep.valid()) {
    Status swept = sweep.get();
    if (!swept.ok() && !req.quiet)
      std::fprintf(stderr, "paddock: warning: %s\n", swept.error().message().c_str());
  }
  if (!req.quiet) {
    if (mediator) print_denials(mediator->denials());
    if (proxy) print_network_denials(proxy->denials());
  }
  if (mediator)
    if (auto failed = mediator->failure()) return *failed;
  if (exec_error) {
    Error e = *exec_error;
    e.exit_code = exit_code;
    return e;
  }
  if (req.end_process) req.end_process(exit_code);
  return exit_code;
}

}  // namespace paddock
