// The socket calls the mediator performs for the sandbox: connect, bind, and sendto with an
// address. A pathname unix socket is reached only when it is the sandbox's own (on its private
// tmpfs, or bound by it) or named by network.allowUnixSockets, and always through an O_PATH
// descriptor of the socket we checked (never by a path the kernel would resolve again). TCP
// follows the rules Landlock applies to the calls the kernel runs itself. A call that may wait
// (a blocking connect, a send into a full buffer) is finished by a worker, so a listener the
// sandbox never accepts on cannot stall the mediator.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "mediator/call.h"
#include "mediator/capture_ops.h"
#include "mediator/decode.h"
#include "mediator/git_rules.h"
#include "mediator/locate.h"

namespace paddock::mediator {

namespace {

constexpr size_t kMaxDatagram = 4u << 20;  // larger than any datagram the kernel accepts

bool tcp_port_allowed(const Context& ctx, uint16_t port) {
  if (ctx.sockets.allow_local_binding) return true;
  for (uint16_t p : ctx.sockets.connect_ports)
    if (p == port) return true;
  return false;
}

bool tcp_bind_allowed(const Context& ctx, uint16_t port) {
  if (ctx.sockets.allow_local_binding) return true;
  for (uint16_t p : ctx.sockets.bind_ports)
    if (p == port) return true;
  return false;
}

// Names the setting and the flags, so the user of a dev server knows what to add.
std::string bind_refusal(uint16_t port) {
  std::string r = "network.allowLocalBinding is off; --allow-local-binding allows it";
  if (port != 0) r += ", --publish " + std::to_string(port) + " also serves it on the host";
  return r;
}

Out<int> socket_type(int sock) {
  int type = 0;
  socklen_t tl = sizeof type;
  if (::getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tl) != 0) return CallError{errno};
  return type;
}

// TCP is what the port rules govern (UDP cannot leave the namespace's loopback anyway).
Out<bool> is_stream(int sock) {
  auto t = socket_type(sock);
  if (!t.ok()) return CallError{t.err};
  return t.value == SOCK_STREAM;
}

bool is_blocking(int sock) {
  int fl = ::fcntl(sock, F_GETFL);
  return fl >= 0 && !(fl & O_NONBLOCK);
}

bool is_inet(const DecodedAddress& d) {
  return d.family == AF_INET || d.family == AF_INET6;
}

std::string inet_name(const DecodedAddress& d) {
  return std::string(d.family == AF_INET ? "tcp" : "tcp6") + " port " + std::to_string(d.port);
}

constexpr const char* kLoopbackPort =
    "a port of the sandbox's own loopback, not paddock's proxy; network.allowLocalBinding is off "
    "(--allow-host-port PORT reaches the host's service on PORT instead)";
constexpr const char* kNotCaptured =
    "a real address; names reach the network through the sandbox's resolver or the proxy "
    "variables";

// A pathname socket the sandbox may reach. Returns an O_PATH descriptor of the very socket
// inode that was checked, to connect or send through.
Out<UniqueFd> reachable_socket(Call& c, const std::string& path, const char* what) {
  auto loc = locate(c.ctx, c.caller, path, AT_FDCWD, true);
  if (!loc.ok()) return CallError{loc.err};
  Location& l = loc.value;
  if (l.fd_ref >= 0 || l.name.empty()) return CallError{ECONNREFUSED};
  if (l.type == EntryType::Missing) return CallError{ENOENT};
  UniqueFd pin(::openat(l.parent.get(), l.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!pin.valid()) return CallError{errno};
  struct stat st;
  if (::fstat(pin.get(), &st) != 0) return CallError{errno};
  if (!S_ISSOCK(st.st_mode)) return CallError{ECONNREFUSED};
  std::string where = l.canonical();
  bool ok = c.ctx.is_private(st.st_dev) || c.ctx.records.is_bound_socket(st.st_dev, st.st_ino);
  for (const auto& s : c.ctx.policy.unix_sockets)
    if (s == where) ok = true;
  if (!ok) return c.refuse({false, EACCES, "host unix socket"}, what, where);
  return pin;
}

sockaddr_un via_fd(int fd, socklen_t& len) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::snprintf(un.sun_path, sizeof un.sun_path, "/proc/self/fd/%d", fd);
  len = socklen_t(offsetof(sockaddr_un, sun_path) + std::strlen(un.sun_path) + 1);
  return un;
}

struct Target {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::shared_ptr<UniqueFd> keep;  // the unix socket's O_PATH descriptor the address names
};

// Where the kernel should connect or send: the caller's address, or for a pathname unix socket
// the checked socket's /proc/self/fd path.
Out<Target> destination(Call& c, const sockaddr_storage& ss, socklen_t len, const DecodedAddress& d,
                        const char* what) {
  Target t;
  if (d.kind != DecodedAddress::Kind::UnixPath) {
    t.addr = ss;
    t.len = len;
    return t;
  }
  auto pin = reachable_socket(c, d.unix_path, what);
  if (!pin.ok()) return CallError{pin.err};
  sockaddr_un un = via_fd(pin.value.get(), t.len);
  std::memcpy(&t.addr, &un, sizeof un);
  t.keep = std::make_shared<UniqueFd>(std::move(pin.value));
  return t;
}

}  // namespace

Out<long> do_connect(Call& c, int fd, uint64_t addr, socklen_t len) {
  auto ss = c.caller.read_sockaddr(addr, len);
  if (!ss.ok()) return CallError{ss.err};
  DecodedAddress d = decode_address(&ss.value, len);
  auto sock = c.caller.fd(fd);
  if (!sock.ok()) return CallError{sock.err};
  if (!c.caller.still_valid()) return CallError{EINTR};
  int s = sock.value.get();
  std::optional<Target> captured;
  if (is_inet(d)) {
    auto stream = is_stream(s);
    if (!stream.ok()) return CallError{stream.err};
    if (stream.value) {
      if (d.kind == DecodedAddress::Kind::Unspecified) return CallError{EINVAL};  // too short
      if (auto ct = capture_target(c, s, ss.value, d)) {
        if (!ct->ok()) return CallError{ct->err};
        captured = Target{ct->value.addr, ct->value.len, nullptr};
      } else if (!is_loopback_address(ss.value, d)) {
        return c.refuse({false, ENETUNREACH, kNotCaptured}, "connect",
                        inet_address_text(ss.value, d));
      } else if (!tcp_port_allowed(c.ctx, d.port)) {
        // as Landlock would answer
        return c.refuse({false, EACCES, kLoopbackPort}, "connect", inet_address_text(ss.value, d));
      }
    }
  }
  auto t = captured ? Out<Target>(*captured) : destination(c, ss.value, len, d, "connect unix");
  if (!t.ok()) return CallError{t.err};
  auto type = socket_type(s);
  if (!type.ok()) return CallError{type.err};
  bool may_wait = type.value == SOCK_STREAM || type.value == SOCK_SEQPACKET;
  if (may_wait && is_blocking(s) && d.kind != DecodedAddress::Kind::Unspecified) {
    // A listener with a full backlog (the sandbox's own, never accepting) makes a blocking
    // connect wait: a worker waits, not the mediator.
    auto sp = std::make_shared<UniqueFd>(std::move(sock.value));
    auto tv = t.value;
    return c.defer([sp, tv](int notify, uint64_t id) {
      if (::connect(sp->get(), reinterpret_cast<const sockaddr*>(&tv.addr), tv.len) != 0)
        return answer_error(notify, id, errno);
      answer_value(notify, id, 0);
    });
  }
  if (::connect(s, reinterpret_cast<const sockaddr*>(&t.value.addr), t.value.len) != 0)
    return CallError{errno};
  return 0L;
}

Out<long> do_bind(Call& c, int fd, uint64_t addr, socklen_t len) {
  auto ss = c.caller.read_sockaddr(addr, len);
  if (!ss.ok()) return CallError{ss.err};
  DecodedAddress d = decode_address(&ss.value, len);
  auto sock = c.caller.fd(fd);
  if (!sock.ok()) return CallError{sock.err};
  int s = sock.value.get();
  if (is_inet(d) && !tcp_bind_allowed(c.ctx, d.port)) {
    auto stream = is_stream(s);
    if (!stream.ok()) return CallError{stream.err};
    if (stream.value) return c.refuse({false, EACCES, bind_refusal(d.port)}, "bind", inet_name(d));
  }
  if (d.kind != DecodedAddress::Kind::UnixPath) {
    if (!c.caller.still_valid()) return CallError{EINTR};
    if (::bind(s, reinterpret_cast<const sockaddr*>(&ss.value), len) != 0) return CallError{errno};
    return 0L;
  }
  auto loc = locate(c.ctx, c.caller, d.unix_path, AT_FDCWD, false);
  if (!loc.ok()) return CallError{loc.err};
  if (!c.caller.still_valid()) return CallError{EINTR};
  Location& l = loc.value;
  if (l.fd_ref >= 0 || l.name.empty() || l.type != EntryType::Missing) return CallError{EADDRINUSE};
  std::string where = l.canonical();
  WriteVerdict v = judge_special_create(c.ctx.policy, l.place(where));
  GitCheck git;
  if (v.allowed) {
    git = check_git(c.ctx, l.place(where), GitOp::Create, false);
    if (git.kind == GitVerdict::Kind::Refuse) v = {false, EACCES, git.reason};
  }
  if (!v.allowed) return c.refuse(v, "bind unix", where);
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  int n = std::snprintf(un.sun_path, sizeof un.sun_path, "/proc/self/fd/%d/%s", l.parent.get(),
                        l.name.c_str());
  if (n < 0 || size_t(n) >= sizeof un.sun_path) return CallError{ENAMETOOLONG};
  socklen_t ul = socklen_t(offsetof(sockaddr_un, sun_path) + size_t(n) + 1);
  // bind() creates the socket with this thread's umask: the caller's, for this one call (each
  // mediator thread has a filesystem context of its own).
  mode_t old = ::umask(c.caller.umask());
  int r = ::bind(s, reinterpret_cast<sockaddr*>(&un), ul);
  int err = errno;
  ::umask(old);
  if (r != 0) return CallError{err};
  struct stat st;
  if (::fstatat(l.parent.get(), l.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISSOCK(st.st_mode))
    c.ctx.records.bound_socket(st.st_dev, st.st_ino);
  // A socket named HEAD (or refs, objects, commondir) can complete a gitdir too.
  if (git.control.role == GitRole::Completing) adopt_if_gitdir(c.ctx, git.control.gitdir);
  return 0L;
}

Out<long> do_sendto(Call& c, int fd, uint64_t buf, size_t len, int flags, uint64_t addr,
                    socklen_t alen) {
  auto ss = c.caller.read_sockaddr(addr, alen);
  if (!ss.ok()) return CallError{ss.err};
  DecodedAddress d = decode_address(&ss.value, alen);
  auto sock = c.caller.fd(fd);
  if (!sock.ok()) return CallError{sock.err};
  if (len > kMaxDatagram) return CallError{EMSGSIZE};
  auto data = c.caller.read_bytes(buf, len);
  if (!data.ok()) return CallError{data.err};
  if (!c.caller.still_valid()) return CallError{EINTR};
  int s = sock.value.get();
  if (is_inet(d) && (flags & MSG_FASTOPEN)) {
    // TCP Fast Open connects inside sendto: the same port rule as connect.
    auto stream = is_stream(s);
    if (!stream.ok()) return CallError{stream.err};
    if (stream.value && is_resolver_address(ss.value, d))
      return c.refuse({false, EOPNOTSUPP,
                       "TCP Fast Open to a name's address is not captured; a plain connect is"},
                      "connect", inet_address_text(ss.value, d));
    if (stream.value && !is_loopback_address(ss.value, d))
      return c.refuse({false, ENETUNREACH, kNotCaptured}, "connect",
                      inet_address_text(ss.value, d));
    if (stream.value && !tcp_port_allowed(c.ctx, d.port))
      return c.refuse({false, EACCES, kLoopbackPort}, "connect", inet_address_text(ss.value, d));
  }
  auto t = destination(c, ss.value, alen, d, "sendto unix");
  if (!t.ok()) return CallError{t.err};
  // Never SIGPIPE the supervisor; the caller gets EPIPE.
  ssize_t r = ::sendto(s, data.value.data(), len, flags | MSG_NOSIGNAL | MSG_DONTWAIT,
                       reinterpret_cast<const sockaddr*>(&t.value.addr), t.value.len);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !(flags & MSG_DONTWAIT) &&
      is_blocking(s)) {
    auto sp = std::make_shared<UniqueFd>(std::move(sock.value));
    auto bytes = std::make_shared<std::vector<char>>(std::move(data.value));
    auto tv = t.value;
    return c.defer([sp, bytes, tv, flags](int notify, uint64_t id) {
      ssize_t w = ::sendto(sp->get(), bytes->data(), bytes->size(), flags | MSG_NOSIGNAL,
                           reinterpret_cast<const sockaddr*>(&tv.addr), tv.len);
      if (w < 0) return answer_error(notify, id, errno);
      answer_value(notify, id, long(w));
    });
  }
  if (r < 0) return CallError{errno};
  return long(r);
}

}  // namespace paddock::mediator
