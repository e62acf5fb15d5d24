#include "control/client.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace paddock::control {

namespace {

std::string where(const SocketEntry& s) {
  return s.dir->path + "/" + socket_name(s.id);
}

timeval as_timeval(std::chrono::milliseconds t) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(t.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
  return tv;
}

}  // namespace

std::vector<SocketEntry> list_sockets(const std::vector<CtlDir>& dirs) {
  std::vector<SocketEntry> out;
  for (const auto& d : dirs) {
    // A descriptor of its own: readdir moves the offset, and the caller's stays usable.
    const int fd = ::openat(d.fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) continue;
    DIR* dir = ::fdopendir(fd);
    if (dir == nullptr) {
      ::close(fd);
      continue;
    }
    while (const dirent* e = ::readdir(dir))
      if (auto id = id_of_socket_name(e->d_name)) out.push_back(SocketEntry{&d, *id});
    ::closedir(dir);
  }
  std::sort(out.begin(), out.end(),
            [](const SocketEntry& a, const SocketEntry& b) { return a.id < b.id; });
  return out;
}

Result<Response> ask_sandbox(const SocketEntry& s, const Request& req,
                             std::chrono::milliseconds timeout) {
  const std::string path = where(s);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return sys_error("socket", path);
  const timeval tv = as_timeval(timeout);
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
      ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
    return sys_error("setsockopt", path);
  // Through the checked directory's descriptor, not its path (ctl_dir.h). The process is ours
  // alone: nothing else minds its working directory.
  if (::fchdir(s.dir->fd.get()) != 0) return sys_error("chdir", s.dir->path);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  const std::string name = socket_name(s.id);
  std::memcpy(a.sun_path, name.c_str(), name.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    return sys_error("connect", path);
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return sys_error("getsockopt SO_PEERCRED", path);
  if (cred.uid != ::geteuid())
    return plain_error("connect", "served by uid " + std::to_string(cred.uid) + ", not by us",
                       path);
  const std::string line = format_request(req);
  for (size_t sent = 0; sent < line.size();) {
    const ssize_t n = ::send(fd.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("send", path);
    sent += size_t(n);
  }
  std::string in;
  char buf[16384];
  for (;;) {
    const size_t nl = in.find('\n');
    if (nl != std::string::npos) {
      auto r = parse_response(std::string_view(in).substr(0, nl));
      if (!r) return plain_error("read", r.error().detail, path);
      return r;
    }
    if (in.size() > kMaxResponseBytes)
      return plain_error(
          "read", "an answer longer than " + std::to_string(kMaxResponseBytes) + " bytes", path);
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK
                 ? plain_error("read",
                               "no answer within " + std::to_string(timeout.count() / 1000) + " s",
                               path)
                 : sys_error("read", path);
    if (n == 0) return plain_error("read", "the sandbox closed the connection", path);
    in.append(buf, size_t(n));
  }
}

bool remove_stale(const SocketEntry& s) {
  const std::string name = socket_name(s.id);
  struct stat st {};
  if (::fstatat(s.dir->fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  if (!S_ISSOCK(st.st_mode) || st.st_uid != ::geteuid()) return false;
  return ::unlinkat(s.dir->fd.get(), name.c_str(), 0) == 0;
}

}  // namespace paddock::control
