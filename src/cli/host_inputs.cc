#include "cli/host_inputs.h"

#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "base/unique_fd.h"
#include "control/ctl_dir.h"
#include "policy/home_layer.h"

namespace paddock {

namespace {

// /etc/passwd, or as much of it as 1 MiB holds; empty when unreadable (then only root's home
// and /home's directories are known).
std::string read_passwd() {
  std::string out;
  UniqueFd fd(::open("/etc/passwd", O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return out;
  char buf[16384];
  while (out.size() < (1u << 20)) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, size_t(n));
  }
  return out;
}

}  // namespace

std::string invoking_user_home() {
  const char* h = std::getenv("HOME");
  if (h != nullptr && h[0] == '/') return h;
  if (passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr)
    return pw->pw_dir;
  return "/";
}

HostInputs host_inputs(const std::string& home, bool ephemeral_home) {
  HostInputs in;
  in.state_dir = paddock_state_dir(std::getenv("XDG_STATE_HOME"), home);
  in.control_roots = control::control_roots(std::getenv("XDG_RUNTIME_DIR"), ::geteuid());
  in.ephemeral_home = ephemeral_home;
  in.passwd = read_passwd();
  return in;
}

}  // namespace paddock
