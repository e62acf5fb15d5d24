#pragma once
// The one channel between the sandbox side and the supervisor: errors cross the fork as values
// ({op, path, errno, detail}) and fds cross it with SCM_RIGHTS. A SOCK_SEQPACKET socketpair.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace paddock {

struct ChannelMessage {
  // Listeners: sandbox side -> supervisor, as soon as its network namespace has them (before
  // the spec): the proxy and the resolver serve them from the first connection or query. Ready:
  // sandbox side -> supervisor, walls up. Spec: supervisor -> sandbox side, one fd holding the
  // encoded SandboxSpec (spec_codec.h), and the slave of paddock's pty when the spec has one.
  // Exited: init -> supervisor, the command has ended and init is about to (the supervisor stops
  // its threads while the kernel tears the namespaces down).
  enum class Type : uint32_t {
    Eof = 0,
    Ready = 1,
    Failed = 2,
    Spec = 3,
    Listeners = 4,
    Exited = 5,
    Walls = 6,  // supervisor -> sandbox side: a spec without its command, sent speculatively
    Go = 7,     // supervisor -> sandbox side: the walls are confirmed; one fd holding the command
    // sandbox side -> supervisor, first: the tmpfs for the overlay masks (fsmount's descriptor)
    Scratch = 8,
    // supervisor -> sandbox side, after Walls: the masks those walls need are in the tmpfs or
    // kept (MasksReady), or the sandbox side makes them itself (MasksNone)
    MasksReady = 9,
    MasksNone = 10,
  };
  Type type = Type::Eof;
  Error error;                // for Failed
  int exit_code = 0;          // for Exited: the command's, as paddock reports it
  std::vector<UniqueFd> fds;  // Listeners: the proxy's and the resolver's; Ready: the seccomp
                              // listener, the root, then what the spec asked for
  // MasksReady: per overlay, the host path of the kept mask to use (walls/mask_cache.h), or ""
  // where the tmpfs holds its mask; empty when none is kept
  std::vector<std::string> kept_masks;
};

Status send_listeners(int sock, const std::vector<int>& fds);
Status send_ready(int sock, const std::vector<int>& fds);
// terminal_fd: the slave of paddock's own pty (SandboxSpec::own_terminal), or -1.
Status send_spec(int sock, int spec_fd, int terminal_fd = -1);
Status send_walls(int sock, int walls_fd);
Status send_go(int sock, int command_fd);
Status send_scratch(int sock, int mount_fd);
Status send_masks_ready(int sock, bool ready, const std::vector<std::string>& kept_masks = {});
// Best effort, like send_failure: init's last word, the command's exit code.
void send_exited(int sock, int exit_code);
// Best effort from a dying child: there is nobody else to tell.
void send_failure(int sock, const Error& e);
Result<ChannelMessage> receive_message(int sock);
// receive_message() for a hand-over the other side is about to make (the go-ahead, the word
// that the walls are up): for up to `spin` the channel is polled, yielding the CPU between
// polls, before the call blocks. A vCPU left idle by a blocked receive took 0.1-0.3 ms to be
// woken for the message, on the path of every run.
Result<ChannelMessage> receive_message_soon(int sock, std::chrono::microseconds spin);
// The type of the next message, left in the channel; nullopt when none comes within
// `timeout_ms` or the channel is closed.
std::optional<ChannelMessage::Type> peek_message_type(int sock, int timeout_ms);

}  // namespace paddock
