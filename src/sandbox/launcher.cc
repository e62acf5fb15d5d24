#include "sandbox/launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "base/kernel_abi.h"
#include "sandbox/cpu_placement.h"
#include "sandbox/init.h"
#include "sandbox/spec_codec.h"
#include "sandbox/sync_channel.h"
#include "walls/agent_listener.h"
#include "walls/identity.h"
#include "walls/landlock.h"
#include "walls/loopback.h"
#include "walls/mount_view.h"
#include "walls/proxy_listeners.h"
#include "walls/seccomp.h"

namespace paddock {

namespace {

// The two sides end their work within a fraction of a millisecond of each other: the one done
// first polls for the other's word this long before it blocks (sync_channel.h).
constexpr std::chrono::microseconds kHandOverSpin{1500};

// Sandbox side, before the spec: what needs no policy. The network namespace is made here
// rather than by clone() so that its cost falls in the child, beside the supervisor's work.
Result<ProxyListeners> prepare(int sync_fd, UniqueFd& masks) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return sys_error("prctl(PR_SET_PDEATHSIG)");
  // getppid() is 0 across the pid namespace; a hung-up channel says the supervisor is gone.
  pollfd p{sync_fd, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) < 0 || (p.revents & (POLLHUP | POLLRDHUP)))
    return plain_error("sandbox", "the supervisor died during setup");
  if (::sethostname(kSandboxHostname, std::char_traits<char>::length(kSandboxHostname)) != 0)
    return sys_error("sethostname", kSandboxHostname);
  // The overlay masks' tmpfs, first: with walls sent ahead the supervisor fills it meanwhile.
  auto tmpfs = mask_tmpfs();
  if (!tmpfs) return tmpfs.error();
  masks = std::move(*tmpfs);
  PADDOCK_TRY(send_scratch(sync_fd, masks.get()));
  if (::unshare(CLONE_NEWNET) != 0) return sys_error("unshare(CLONE_NEWNET)", "sandbox network");
  PADDOCK_TRY(bring_loopback_up());
  PADDOCK_TRY(add_resolver_address());
  return create_proxy_listeners();
}

Result<std::string> read_memory_file(const UniqueFd& fd, const char* what) {
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return sys_error("fstat", what);
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  if (::pread(fd.get(), bytes.data(), bytes.size(), 0) != st.st_size)
    return sys_error("read", what);
  return bytes;
}

// The spec, whole, or its walls alone (speculative: the command comes with the go-ahead).
// `terminal` receives the slave of paddock's pty when the spec has one (own_terminal; never
// speculative).
Result<SandboxSpec> receive_spec(int sync_fd, bool& speculative, UniqueFd& terminal) {
  auto m = receive_message(sync_fd);
  if (!m) return m.error();
  speculative = m->type == ChannelMessage::Type::Walls;
  if ((m->type != ChannelMessage::Type::Spec && !speculative) || m->fds.empty() ||
      m->fds.size() > (speculative ? 1u : 2u))
    return plain_error("sandbox", "the supervisor went away before sending the policy");
  auto bytes = read_memory_file(m->fds[0], "sandbox spec");
  if (!bytes) return bytes.error();
  auto spec = speculative ? decode_walls(*bytes) : decode_spec(*bytes);
  if (!spec) return spec.error();
  if (spec->own_terminal.enabled != (m->fds.size() == 2))
    return plain_error("sandbox", "the spec and its terminal do not agree");
  if (spec->own_terminal.enabled) terminal = std::move(m->fds[1]);
  return spec;
}

// For walls sent ahead, the supervisor makes the overlay masks in the sandbox side's tmpfs and
// says when they are made (the next message after the walls): awaited only before the first
// overlay, so the view's first steps go on meanwhile. A supervisor that could not make them
// says so; this sandbox side then fails, and the supervisor starts one without walls sent ahead
// (supervisor.cc), which makes its masks itself.
Status await_masks(int sync_fd, PreparedMasks& masks) {
  auto m = receive_message(sync_fd);
  if (!m) return m.error();
  if (m->type == ChannelMessage::Type::MasksReady) {
    if (!m->kept_masks.empty() && m->kept_masks.size() != masks.names.size())
      return plain_error("sandbox", "the supervisor's kept masks do not match the overlays");
    masks.kept = std::move(m->kept_masks);
    return ok_status();
  }
  if (m->type == ChannelMessage::Type::MasksNone)
    return plain_error("sandbox", "the supervisor could not make the overlay masks");
  return plain_error("sandbox", "the supervisor did not say whether it made the overlay masks");
}

// After speculative walls: the command, once the supervisor has found them to be the walls
// its policy gives. Anything else (it found other walls, or went away) ends this sandbox.
Status receive_go(int sync_fd, SandboxSpec& spec) {
  auto m = receive_message_soon(sync_fd, kHandOverSpin);
  if (!m) return m.error();
  if (m->type != ChannelMessage::Type::Go || m->fds.size() != 1)
    return plain_error("sandbox", "the supervisor did not confirm the speculative walls");
  auto bytes = read_memory_file(m->fds[0], "sandbox command");
  if (!bytes) return bytes.error();
  return decode_command(*bytes, spec);
}

// --ask with the user's terminal: the stdio descriptors that were the user's terminal become
// paddock's pty, and init leaves the user's session (the command begins one of its own, init.cc),
// so nothing in the sandbox holds the user's terminal or can open it as /dev/tty. Before the
// view: the pty is what expose_ptys() shows under its name.
Status take_own_terminal(const SandboxSpec::OwnTerminal& own, UniqueFd& terminal) {
  if (!own.enabled) return ok_status();
  // Above stdio, so that dup2 below never meets itself.
  UniqueFd moved(::fcntl(terminal.get(), F_DUPFD_CLOEXEC, 3));
  if (!moved.valid()) return sys_error("fcntl(F_DUPFD_CLOEXEC)", "paddock's pty");
  terminal = std::move(moved);
  for (int fd = 0; fd <= 2; ++fd)
    if ((own.stdio & (1u << fd)) != 0 && ::dup2(terminal.get(), fd) < 0)
      return sys_error("dup2", "paddock's pty onto fd " + std::to_string(fd));
  if (::setsid() < 0) return sys_error("setsid", "sandbox init");
  return ok_status();
}

// The proxy's and the resolver's sockets go to the supervisor before the spec arrives: this
// side holds nothing of the network wall's door while it builds the view.
Status hand_over_listeners(ProxyListeners listeners, int sync_fd) {
  return send_listeners(sync_fd,
                        {listeners.http.get(), listeners.socks.get(), listeners.capture.get(),
                         listeners.dns_udp.get(), listeners.dns_tcp.get()});
}

// The rest of the walls, in the order that matters for security: nothing is exec'd before every
// wall is up, and seccomp comes last because it also forbids the mounts made before it.
// `factory` receives init's end of the socket factory (--publish).
Status contain(const SandboxSpec& spec, PreparedMasks& masks, bool speculative, int sync_fd,
               UniqueFd& factory) {
  std::function<Status()> masks_made;
  // Before the first overlay: which of its masks the supervisor made, and which it had kept.
  if (speculative) masks_made = [sync_fd, &masks] { return await_masks(sync_fd, masks); };
  PADDOCK_TRY(build_mount_view(spec.mounts, spec.cwd, spec.view_extras, masks, masks_made));
  UniqueFd agent;
  if (!spec.ssh_agent_socket.empty()) {
    auto l = create_agent_listener(spec.ssh_agent_socket);
    if (!l) return l.error();
    agent = std::move(*l);
  }
  // Before the command exists, so the ports are the supervisor's relays and nothing else's.
  std::vector<UniqueFd> host_ports;
  for (uint16_t port : spec.host_ports) {
    auto l = listen_on_loopback(port);
    if (!l) return l.error();
    host_ports.push_back(std::move(*l));
  }
  UniqueFd factory_out;
  if (spec.socket_factory) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
      return sys_error("socketpair", "socket factory");
    factory.reset(sv[0]);
    factory_out.reset(sv[1]);
  }
  // The supervisor resolves mediated paths in this root; init is never exec'd, so /proc/1/root
  // would need CAP_SYS_PTRACE on the host: hand the directory over instead.
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return sys_error("open", "/ (sandbox root)");
  PADDOCK_TRY(drop_all_capabilities());
  PADDOCK_TRY(set_no_new_privs());
  PADDOCK_TRY(apply_landlock(spec.landlock));
  // init holds nothing worth stealing, and cannot be ptraced or have its memory read.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return sys_error("prctl(PR_SET_DUMPABLE)");
  auto listener = install_seccomp(spec.seccomp, /*want_listener=*/true);
  if (!listener) return listener.error();
  UniqueFd notify(*listener);
  std::vector<int> fds = {notify.get(), root.get()};
  if (agent.valid()) fds.push_back(agent.get());
  if (factory_out.valid()) fds.push_back(factory_out.get());
  for (const auto& l : host_ports) fds.push_back(l.get());
  return send_ready(sync_fd, fds);
}

Status contain_with_masks(const SandboxSpec& spec, int masks_tmpfs, bool speculative, int sync_fd,
                          UniqueFd& factory) {
  PreparedMasks masks{masks_tmpfs, mask_names(spec.mounts), {}};
  return contain(spec, masks, speculative, sync_fd, factory);
}

[[noreturn]] void sandbox_side(int sync_fd, const std::optional<CpuMask>& cpus) {
  UniqueFd masks;
  auto listeners = prepare(sync_fd, masks);
  std::optional<Error> failed;
  UniqueFd factory;
  UniqueFd terminal;
  if (!listeners) {
    failed = listeners.error();
  } else if (Status h = hand_over_listeners(std::move(*listeners), sync_fd); !h.ok()) {
    failed = h.error();
  } else if (bool speculative = false; auto spec = receive_spec(sync_fd, speculative, terminal)) {
    // The supervisor's move of this process (cpu_placement.h) came before its first message.
    if (Status c = cpus ? restore_cpu_mask(*cpus) : ok_status(); !c.ok()) {
      failed = c.error();
    } else if (Status m = speculative ? ok_status() : make_masks(spec->mounts, masks.get());
               !m.ok()) {
      failed = m.error();
    } else if (Status t = take_own_terminal(spec->own_terminal, terminal); !t.ok()) {
      failed = t.error();
    } else if (Status s = contain_with_masks(*spec, masks.get(), speculative, sync_fd, factory);
               !s.ok()) {
      failed = s.error();
    } else if (Status g = speculative ? receive_go(sync_fd, *spec) : ok_status(); !g.ok()) {
      failed = g.error();
    } else {
      run_init(*spec, sync_fd, factory.release(), terminal.release());
    }
  } else {
    failed = spec.error();
  }
  send_failure(sync_fd, *failed);
  ::_exit(125);
}

}  // namespace

StartedSandbox::StartedSandbox(StartedSandbox&& o) noexcept
    : pid(o.pid),
      pidfd(std::move(o.pidfd)),
      sync(std::move(o.sync)),
      mask_tmpfs(std::move(o.mask_tmpfs)) {
  o.pid = -1;
}

namespace {

void kill_and_reap(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

StartedSandbox::~StartedSandbox() {
  kill_and_reap(pid);
}

StartedSandbox& StartedSandbox::operator=(StartedSandbox&& o) noexcept {
  if (this == &o) return *this;
  kill_and_reap(pid);
  pid = o.pid;
  o.pid = -1;
  pidfd = std::move(o.pidfd);
  sync = std::move(o.sync);
  mask_tmpfs = std::move(o.mask_tmpfs);
  return *this;
}

Result<StartedSandbox> start_sandbox() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return sys_error("socketpair", "sync channel");
  UniqueFd parent_end(sv[0]);
  UniqueFd child_end(sv[1]);
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();

  unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
                        CLONE_PIDFD | SIGCHLD;
  int pidfd = -1;
  const std::optional<CpuMask> cpus = current_cpu_mask();
  const std::optional<CpuMask> apart = cpus ? cpus_apart(*cpus) : std::nullopt;
  // fork-like clone (no new stack): the child continues here with a copy of our memory.
  long pid = ::syscall(SYS_clone, flags, nullptr, &pidfd, nullptr, 0);
  if (pid < 0) {
    int err = errno;
    return sys_error("clone(user, mount, pid, ipc, uts namespaces)", {}, err,
                     err == EPERM || err == ENOSPC || err == EACCES
                         ? "unprivileged user namespaces are unavailable; run `paddock doctor`"
                         : "");
  }
  if (pid == 0) {
    if (apart) move_apart(0, *apart);  // before anything else: the supervisor's CPU is its own
    parent_end.reset();
    // Whatever the caller of paddock left open beyond stdio (--agent-channel's socket, a
    // harness's pipes) is the supervisor's business: init must not hold it either, since it
    // never execs and so keeps what close-on-exec would have closed.
    const unsigned sync = static_cast<unsigned>(child_end.get());
    if ((sync > 3 && ::syscall(kabi::NR_close_range, 3U, sync - 1, 0U) != 0) ||
        ::syscall(kabi::NR_close_range, sync + 1, ~0U, 0U) != 0) {
      send_failure(child_end.get(), sys_error("close_range", "inherited fds"));
      ::_exit(125);
    }
    sandbox_side(child_end.release(), cpus);
  }
  if (apart) move_apart(static_cast<pid_t>(pid), *apart);
  StartedSandbox out;
  out.pid = static_cast<pid_t>(pid);
  out.pidfd.reset(pidfd);
  out.sync = std::move(parent_end);
  // From here, not by the child: it makes its network namespace meanwhile, which needs no ids
  // (its masks' tmpfs is filled by us, and its view built, only after our first message). A
  // failure kills it (out's destructor).
  PADDOCK_TRY(write_id_maps(out.pidfd.get(), uid, gid));
  return out;
}

Result<UniqueFd> memory_file(const std::string& bytes, const char* what) {
  UniqueFd mem(static_cast<int>(::syscall(SYS_memfd_create, what, MFD_CLOEXEC)));
  if (!mem.valid()) return sys_error("memfd_create", what);
  if (::write(mem.get(), bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()))
    return sys_error("write", what);
  return mem;
}

Status send_speculative_walls(const StartedSandbox& started, const std::string& walls) {
  auto mem = memory_file(walls, "paddock-walls");
  if (!mem) return mem.error();
  return send_walls(started.sync.get(), mem->get());
}

namespace {

// The sandbox side's first message: its masks' tmpfs. Anything else (it failed already) is
// left for launch_sandbox(), which reports it. It is sent right after the id maps; a sandbox
// side that has not sent it within a second is not waited for here.
bool receive_scratch(StartedSandbox& started) {
  if (started.mask_tmpfs.valid()) return true;
  if (peek_message_type(started.sync.get(), 1000) != ChannelMessage::Type::Scratch) return false;
  auto m = receive_message(started.sync.get());
  if (!m || m->fds.size() != 1) return false;
  started.mask_tmpfs = std::move(m->fds[0]);
  return true;
}

}  // namespace

void make_speculative_masks(StartedSandbox& started, const SandboxSpec& walls, MaskCache* cache) {
  // Made here or, when anything stands in the way, by the sandbox side as without walls sent
  // ahead: a failed send means it has exited, and its own message says why.
  std::vector<std::string> kept;
  bool made = receive_scratch(started);
  if (made) {
    const std::vector<std::string> names = mask_names(walls.mounts);
    auto recipes = plan_masks(walls.mounts);
    made = recipes.ok();
    if (made && cache != nullptr) {
      kept.resize(names.size());
      bool any = false;
      for (size_t i = 0; i < names.size(); ++i) {
        if (!(*recipes)[i]) continue;
        if (auto path = cache->use(*(*recipes)[i])) {
          kept[i] = std::move(*path);
          any = true;
        }
      }
      if (!any) kept.clear();
    }
    made = made && make_masks(names, *recipes, started.mask_tmpfs.get(), kept).ok();
  }
  (void)send_masks_ready(started.sync.get(), made, made ? kept : std::vector<std::string>{});
}

Result<LaunchedSandbox> launch_sandbox(StartedSandbox started, const SandboxSpec& spec,
                                       int terminal_fd, bool walls_sent) {
  // The spec travels in a memory file: it may exceed a socket message. A failed send means the
  // child already exited: its own message says why.
  if (spec.own_terminal.enabled != (terminal_fd >= 0) || (walls_sent && terminal_fd >= 0))
    return plain_error("sandbox", "a terminal of its own needs its pty (and only then)");
  Status sent = ok_status();
  if (!walls_sent) {
    auto mem = memory_file(encode_spec(spec), "paddock-spec");
    if (!mem) return mem.error();
    sent = send_spec(started.sync.get(), mem->get(), terminal_fd);
  } else {
    // The walls sent ahead are this run's: the go-ahead is queued at once, and read by the
    // sandbox side only once it has built every wall (receive_go() follows contain()), so the
    // command starts without waiting for a round trip through us.
    auto mem = memory_file(encode_command(spec), "paddock-command");
    if (!mem) return mem.error();
    sent = send_go(started.sync.get(), mem->get());
  }
  // The listeners were sent before the spec was awaited: normally queued already.
  std::optional<ProxyListeners> listeners;
  auto msg = receive_message(started.sync.get());
  if (msg && msg->type == ChannelMessage::Type::Scratch) msg = receive_message(started.sync.get());
  if (msg && msg->type == ChannelMessage::Type::Listeners) {
    if (msg->fds.size() != 5)
      return plain_error("sandbox",
                         "expected the proxy's, the capture's and the resolver's listeners");
    ProxyListeners l;
    l.http = std::move(msg->fds[0]);
    l.socks = std::move(msg->fds[1]);
    l.capture = std::move(msg->fds[2]);
    l.dns_udp = std::move(msg->fds[3]);
    l.dns_tcp = std::move(msg->fds[4]);
    listeners = std::move(l);
    msg = receive_message_soon(started.sync.get(), kHandOverSpin);
  }
  if (!msg || msg->type != ChannelMessage::Type::Ready) {
    if (msg && msg->type == ChannelMessage::Type::Failed) return msg->error;
    if (!sent.ok()) return sent.error();
    if (!msg) return msg.error();
    return plain_error("sandbox", "the sandbox side exited during setup without a reason");
  }
  if (!listeners)
    return plain_error("sandbox",
                       "the sandbox side was ready without handing over the network "
                       "wall's listeners");
  const size_t agent_fds = spec.ssh_agent_socket.empty() ? 0 : 1;
  const size_t factory_fds = spec.socket_factory ? 1 : 0;
  const size_t want = 2 + agent_fds + factory_fds + spec.host_ports.size();
  if (msg->fds.size() != want)
    return plain_error("sandbox",
                       "expected the seccomp listener, the root and the listeners (the ssh "
                       "agent's with --ssh-agent, the socket factory with --publish, one per "
                       "--allow-host-port)");
  LaunchedSandbox out;
  out.init_pid = started.pid;
  started.pid = -1;  // launched: the supervisor owns it from here
  out.pidfd = std::move(started.pidfd);
  out.sync = std::move(started.sync);
  out.notify = std::move(msg->fds[0]);
  out.root = std::move(msg->fds[1]);
  size_t next = 2;
  if (agent_fds != 0) out.agent_listener = std::move(msg->fds[next++]);
  if (factory_fds != 0) out.socket_factory = std::move(msg->fds[next++]);
  while (next < msg->fds.size()) out.host_port_listeners.push_back(std::move(msg->fds[next++]));
  out.listeners = std::move(*listeners);
  return out;
}

}  // namespace paddock
