#include "sandbox/hosts_setup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

#include "base/unique_fd.h"
#include "policy/hosts_file.h"
#include "policy/paths.h"
#include "sandbox/sandbox_spec.h"

namespace paddock {

void plan_hosts(const std::vector<std::string>& deny_read, ViewExtras& x) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath("/etc/hosts", nullptr), &std::free);
  if (!real) return;
  const std::string path(real.get());
  if (PathSet(deny_read).covering(path) != nullptr) return;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) return;
  struct stat st;
  constexpr off_t kMaxHosts = off_t{1} << 20;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxHosts) return;
  std::string text(size_t(st.st_size), '\0');
  size_t used = 0;
  while (used < text.size()) {
    ssize_t n = ::read(fd.get(), text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += size_t(n);
  }
  text.resize(used);
  x.hosts_path = path;
  x.hosts = hosts_with_hostname(text, kSandboxHostname);
}

}  // namespace paddock
