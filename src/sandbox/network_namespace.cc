#include "sandbox/network_namespace.h"

#include <linux/sockios.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "sandbox/sync_channel.h"
#include "walls/loopback.h"
#include "walls/proxy_listeners.h"

namespace paddock {

namespace {

Status build_namespace(int channel) {
  if (::unshare(CLONE_NEWNET) != 0) return sys_error("unshare(CLONE_NEWNET)", "sandbox network");
  PADDOCK_TRY(bring_loopback_up());
  auto listeners = create_proxy_listeners();
  if (!listeners) return listeners.error();
  // A handle on the namespace without a path: /proc is being rebuilt by the sandbox side.
  UniqueFd ns(::ioctl(listeners->http.get(), SIOCGSKNS));
  if (!ns.valid()) return sys_error("ioctl(SIOCGSKNS)", "sandbox network namespace");
  return send_ready(channel, {listeners->http.get(), listeners->socks.get(), ns.get()});
}

}  // namespace

Result<NetworkBuild> start_network_namespace() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return sys_error("socketpair", "network namespace helper");
  UniqueFd ours(sv[0]);
  UniqueFd theirs(sv[1]);
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork", "network namespace helper");
  if (pid == 0) {
    ours.reset();
    Status s = build_namespace(theirs.get());
    if (!s.ok()) {
      send_failure(theirs.get(), s.error());
      ::_exit(125);
    }
    ::_exit(0);
  }
  return NetworkBuild{pid, std::move(ours)};
}

Result<SandboxNetwork> enter_network_namespace(NetworkBuild& build) {
  auto msg = receive_message(build.channel.get());
  int status = 0;
  while (::waitpid(build.pid, &status, 0) < 0) {
    if (errno != EINTR) return sys_error("waitpid", "network namespace helper");
  }
  build.channel.reset();
  if (!msg) return msg.error();
  if (msg->type == ChannelMessage::Type::Failed) return msg->error;
  if (msg->type != ChannelMessage::Type::Ready || msg->fds.size() != 3)
    return plain_error("sandbox network", "the network namespace helper exited without a result");
  if (::setns(msg->fds[2].get(), CLONE_NEWNET) != 0)
    return sys_error("setns(CLONE_NEWNET)", "sandbox network namespace");
  return SandboxNetwork{std::move(msg->fds[0]), std::move(msg->fds[1])};
}

}  // namespace paddock
