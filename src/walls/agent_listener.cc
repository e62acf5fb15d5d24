#include "walls/agent_listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

namespace paddock {

Result<UniqueFd> create_agent_listener(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path || path.empty() || path[0] != '/')
    return plain_error("ssh agent socket", "path too long or not absolute", path);
  std::memcpy(a.sun_path, path.data(), path.size());
  const std::string dir = path.substr(0, path.rfind('/'));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return sys_error("mkdir", dir);
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return sys_error("socket", path);
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    return sys_error("bind", path);
  if (::listen(s.get(), 64) != 0) return sys_error("listen", path);
  return s;
}

}  // namespace paddock
