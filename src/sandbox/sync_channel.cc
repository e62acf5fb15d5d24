#include "sandbox/sync_channel.h"

#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace paddock {

namespace {

constexpr size_t kMaxMessage = 16384;
// The largest message is Ready: the seccomp listener, the root, the agent's listener, the
// socket factory and up to kMaxHostPorts listeners.
constexpr size_t kMaxFds = 48;
constexpr size_t kMaxString = 4000;  // longer strings are cut (an error's text) or refused

void put_u32(std::string& b, uint32_t v) {
  b.append(reinterpret_cast<const char*>(&v), 4);
}
void put_str(std::string& b, const std::string& s) {
  std::string t = s.substr(0, kMaxString);
  put_u32(b, static_cast<uint32_t>(t.size()));
  b += t;
}
bool get_u32(const char*& p, const char* end, uint32_t& v) {
  if (end - p < 4) return false;
  std::memcpy(&v, p, 4);
  p += 4;
  return true;
}
bool get_str(const char*& p, const char* end, std::string& s) {
  uint32_t n;
  if (!get_u32(p, end, n) || static_cast<size_t>(end - p) < n) return false;
  s.assign(p, n);
  p += n;
  return true;
}

Status send_raw(int sock, const std::string& body, const std::vector<int>& fds) {
  iovec iov{const_cast<char*>(body.data()), body.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int) * kMaxFds)];
  if (!fds.empty()) {
    msg.msg_control = ctl;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(body.size())) return sys_error("sendmsg", "sync channel");
  return ok_status();
}

Status send_with_fds(int sock, ChannelMessage::Type type, const std::vector<int>& fds) {
  if (fds.size() > kMaxFds) return plain_error("sync channel", "too many fds");
  std::string b;
  put_u32(b, static_cast<uint32_t>(type));
  return send_raw(sock, b, fds);
}

}  // namespace

Status send_listeners(int sock, const std::vector<int>& fds) {
  return send_with_fds(sock, ChannelMessage::Type::Listeners, fds);
}

Status send_ready(int sock, const std::vector<int>& fds) {
  return send_with_fds(sock, ChannelMessage::Type::Ready, fds);
}

Status send_spec(int sock, int spec_fd, int terminal_fd) {
  if (terminal_fd >= 0)
    return send_with_fds(sock, ChannelMessage::Type::Spec, {spec_fd, terminal_fd});
  return send_with_fds(sock, ChannelMessage::Type::Spec, {spec_fd});
}

Status send_walls(int sock, int walls_fd) {
  return send_with_fds(sock, ChannelMessage::Type::Walls, {walls_fd});
}

Status send_go(int sock, int command_fd) {
  return send_with_fds(sock, ChannelMessage::Type::Go, {command_fd});
}

Status send_scratch(int sock, int mount_fd) {
  return send_with_fds(sock, ChannelMessage::Type::Scratch, {mount_fd});
}

Status send_masks_ready(int sock, bool ready, const std::vector<std::string>& kept_masks) {
  if (!ready) return send_with_fds(sock, ChannelMessage::Type::MasksNone, {});
  std::string b;
  put_u32(b, static_cast<uint32_t>(ChannelMessage::Type::MasksReady));
  put_u32(b, static_cast<uint32_t>(kept_masks.size()));
  for (const auto& k : kept_masks) {
    if (k.size() > kMaxString) return plain_error("sync channel", "a kept mask's path is too long");
    put_str(b, k);
  }
  if (b.size() > kMaxMessage) return plain_error("sync channel", "too many kept masks");
  return send_raw(sock, b, {});
}

void send_failure(int sock, const Error& e) {
  std::string b;
  put_u32(b, static_cast<uint32_t>(ChannelMessage::Type::Failed));
  put_u32(b, static_cast<uint32_t>(e.err));
  put_u32(b, static_cast<uint32_t>(e.exit_code));
  put_str(b, e.op);
  put_str(b, e.path);
  put_str(b, e.detail);
  (void)send_raw(sock, b, {});
}

void send_exited(int sock, int exit_code) {
  std::string b;
  put_u32(b, static_cast<uint32_t>(ChannelMessage::Type::Exited));
  put_u32(b, static_cast<uint32_t>(exit_code));
  (void)send_raw(sock, b, {});
}

Result<ChannelMessage> receive_message_soon(int sock, std::chrono::microseconds spin) {
  const auto until = std::chrono::steady_clock::now() + spin;
  for (;;) {
    pollfd p{sock, POLLIN, 0};
    int n = ::poll(&p, 1, 0);
    if (n != 0) break;  // readable, hung up, or an error receive_message() will report
    if (std::chrono::steady_clock::now() >= until) break;
    ::sched_yield();
  }
  return receive_message(sock);
}

Result<ChannelMessage> receive_message(int sock) {
  char buf[kMaxMessage];
  iovec iov{buf, sizeof buf};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msg.msg_control = ctl;
  msg.msg_controllen = sizeof ctl;
  ssize_t n;
  do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error("recvmsg", "sync channel");
  ChannelMessage m;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      m.fds.emplace_back(fd);
    }
  }
  if (n == 0) return m;  // Eof
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
    return plain_error("sync channel", "truncated message from the sandbox");
  const char* p = buf;
  const char* end = buf + n;
  uint32_t type;
  if (!get_u32(p, end, type)) return plain_error("sync channel", "short message");
  m.type = static_cast<ChannelMessage::Type>(type);
  if (m.type == ChannelMessage::Type::Failed) {
    uint32_t err, code;
    if (!get_u32(p, end, err) || !get_u32(p, end, code) || !get_str(p, end, m.error.op) ||
        !get_str(p, end, m.error.path) || !get_str(p, end, m.error.detail))
      return plain_error("sync channel", "malformed failure message");
    m.error.err = static_cast<int>(err);
    m.error.exit_code = static_cast<int>(code);
  } else if (m.type == ChannelMessage::Type::MasksReady) {
    uint32_t count;
    if (!get_u32(p, end, count) || count > 64)
      return plain_error("sync channel", "malformed masks message");
    for (uint32_t i = 0; i < count; ++i) {
      std::string k;
      if (!get_str(p, end, k)) return plain_error("sync channel", "malformed masks message");
      m.kept_masks.push_back(std::move(k));
    }
  } else if (m.type == ChannelMessage::Type::Exited) {
    uint32_t code;
    if (!get_u32(p, end, code) || code > 255)
      return plain_error("sync channel", "malformed exit message");
    m.exit_code = static_cast<int>(code);
  } else if (m.type != ChannelMessage::Type::Ready && m.type != ChannelMessage::Type::Spec &&
             m.type != ChannelMessage::Type::Listeners && m.type != ChannelMessage::Type::Walls &&
             m.type != ChannelMessage::Type::Go && m.type != ChannelMessage::Type::Scratch &&
             m.type != ChannelMessage::Type::MasksNone) {
    return plain_error("sync channel", "unknown message type");
  }
  return m;
}

std::optional<ChannelMessage::Type> peek_message_type(int sock, int timeout_ms) {
  pollfd p{sock, POLLIN, 0};
  int n;
  do n = ::poll(&p, 1, timeout_ms);
  while (n < 0 && errno == EINTR);
  if (n != 1) return std::nullopt;
  char head[4];
  if (::recv(sock, head, sizeof head, MSG_PEEK | MSG_DONTWAIT) != sizeof head) return std::nullopt;
  uint32_t type = 0;
  std::memcpy(&type, head, sizeof type);
  return static_cast<ChannelMessage::Type>(type);
}

}  // namespace paddock
