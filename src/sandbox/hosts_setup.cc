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

std::string sandbox_resolv_conf() {
  return "# paddock: the sandbox's own resolver. It forwards nothing: names the network policy\n"
         "# allows get an address that paddock's proxy joins to them, others do not exist.\n"
         "nameserver 127.0.0.1\n";
}

void plan_resolv(const std::vector<std::string>& deny_read, ViewExtras& x,
                 std::vector<std::string>& view_files) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath("/etc/resolv.conf", nullptr),
                                                   &std::free);
  if (!real) return;
  const std::string path(real.get());
  if (PathSet(deny_read).covering(path) != nullptr) return;
  if (path_within(path, "/run")) view_files.push_back(path);
  x.resolv_path = path;
  x.resolv = sandbox_resolv_conf();
}

}  // namespace paddock
