#include "sandbox/socket_factory.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace paddock {

bool serve_socket_request(int channel) {
  unsigned char family = 0;
  ssize_t n = ::recv(channel, &family, 1, MSG_DONTWAIT);
  if (n == 0) return false;
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  int err = 0;
  int s = -1;
  if (family != AF_INET && family != AF_INET6) {
    err = EAFNOSUPPORT;
  } else {
    s = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) err = errno;
  }
  // The answer: errno (0 on success), with the socket attached.
  iovec iov{&err, sizeof err};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int))];
  if (s >= 0) {
    msg.msg_control = ctl;
    msg.msg_controllen = sizeof ctl;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &s, sizeof s);
  }
  ssize_t w;
  do w = ::sendmsg(channel, &msg, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  if (s >= 0) ::close(s);
  return w >= 0;
}

Result<UniqueFd> SocketFactory::make(int family) {
  std::lock_guard<std::mutex> g(mu_);
  unsigned char f = static_cast<unsigned char>(family);
  ssize_t n;
  do n = ::send(channel_.get(), &f, 1, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != 1) return sys_error("send", "socket request to the sandbox's init");
  int err = 0;
  iovec iov{&err, sizeof err};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int))];
  msg.msg_control = ctl;
  msg.msg_controllen = sizeof ctl;
  do n = ::recvmsg(channel_.get(), &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error("recvmsg", "socket from the sandbox's init");
  UniqueFd s;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (!s.valid())
        s.reset(fd);
      else
        ::close(fd);
    }
  }
  if (n != sizeof err)
    return plain_error("socket from the sandbox's init", "the sandbox has ended");
  if (err != 0) return sys_error("socket", "inside the sandbox", err);
  if (!s.valid()) return plain_error("socket from the sandbox's init", "no descriptor came");
  // The sandbox's own socket: check it is what was asked for before the supervisor uses it.
  int type = 0, domain = 0;
  socklen_t tl = sizeof type, dl = sizeof domain;
  if (::getsockopt(s.get(), SOL_SOCKET, SO_TYPE, &type, &tl) != 0 ||
      ::getsockopt(s.get(), SOL_SOCKET, SO_DOMAIN, &domain, &dl) != 0)
    return sys_error("getsockopt", "socket from the sandbox's init");
  if (type != SOCK_STREAM || domain != family)
    return plain_error("socket from the sandbox's init", "not a TCP socket");
  return s;
}

}  // namespace paddock
