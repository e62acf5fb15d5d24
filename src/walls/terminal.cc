#include "walls/terminal.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "base/kernel_abi.h"
#include "base/pty.h"

namespace paddock {

namespace {

bool pty_number(const struct stat& st, unsigned* n) {
  if (!S_ISCHR(st.st_mode)) return false;
  auto number = paddock::pty_number(major(st.st_rdev), minor(st.st_rdev));
  if (!number) return false;
  *n = *number;
  return true;
}

bool same_node(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_rdev == b.st_rdev;
}

// The stdio descriptor open on pty N, if any.
bool stdio_stat_for(unsigned n, struct stat* out) {
  for (int fd = 0; fd <= 2; ++fd) {
    struct stat st;
    unsigned k = 0;
    if (::fstat(fd, &st) == 0 && pty_number(st, &k) && k == n) {
      *out = st;
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<unsigned> stdio_ptys(const std::array<int, 3>& stdio) {
  std::vector<unsigned> seen;
  std::vector<std::pair<bool, bool>> access;  // per entry of `seen`: readable, writable
  for (int fd : stdio) {
    struct stat st;
    unsigned n = 0;
    if (::fstat(fd, &st) != 0 || !pty_number(st, &n) || n > kMaxExposedPty) continue;
    // A pty of another devpts instance (a container's) is not the one at /dev/pts/N here.
    struct stat node;
    std::string path = "/dev/pts/" + std::to_string(n);
    if (::stat(path.c_str(), &node) != 0 || !same_node(st, node)) continue;
    int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0) continue;
    auto at = std::find(seen.begin(), seen.end(), n);
    if (at == seen.end()) {
      seen.push_back(n);
      access.emplace_back(false, false);
      at = seen.end() - 1;
    }
    auto& [r, w] = access[size_t(at - seen.begin())];
    r = r || (fl & O_ACCMODE) != O_WRONLY;
    w = w || (fl & O_ACCMODE) != O_RDONLY;
  }
  // The node opens for reading and writing alike: shown only where the command could already
  // do both with what it was given. `2>/dev/pts/7` (another terminal, open for writing only)
  // must not become a way to read what is typed there.
  std::vector<unsigned> out;
  for (size_t i = 0; i < seen.size(); ++i)
    if (access[i].first && access[i].second) out.push_back(seen[i]);
  return out;
}

Status expose_ptys(const std::string& dev, const std::string& old_root,
                   const std::vector<unsigned>& ptys) {
  if (ptys.empty()) return ok_status();
  unsigned top = *std::max_element(ptys.begin(), ptys.end());
  if (top > kMaxExposedPty) return plain_error("terminal", "pty number out of range");
  const std::string ptmx = dev + "/pts/ptmx";
  // Masters of the placeholder ptys: held for the sandbox's life (closing one would free its
  // number and drop the entry the host's node is bound on).
  unsigned got = 0;
  for (unsigned opened = 0; opened <= top; ++opened) {
    int m = ::open(ptmx.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return sys_error("open", "/dev/pts/ptmx (placeholder ptys)");
    if (::ioctl(m, TIOCGPTN, &got) != 0) {
      int err = errno;
      ::close(m);
      return sys_error("ioctl(TIOCGPTN)", "/dev/pts/ptmx", err);
    }
    if (got >= top) break;
  }
  if (got != top) return plain_error("terminal", "the sandbox's devpts did not number from 0");
  for (unsigned n : ptys) {
    struct stat mine;
    if (!stdio_stat_for(n, &mine)) continue;  // stdio changed meanwhile: show nothing
    const std::string src = old_root + "/dev/pts/" + std::to_string(n);
    const std::string dst = dev + "/pts/" + std::to_string(n);
    const std::string shown = "/dev/pts/" + std::to_string(n);
    struct stat host;
    if (::stat(src.c_str(), &host) != 0 || !same_node(mine, host)) continue;
    if (::mount(src.c_str(), dst.c_str(), nullptr, MS_BIND, nullptr) != 0)
      return sys_error("mount bind", shown, errno, "the terminal under its own name");
    struct stat bound;
    if (::stat(dst.c_str(), &bound) != 0 || !same_node(mine, bound)) {
      ::umount2(dst.c_str(), MNT_DETACH);
      return plain_error("terminal", "the node bound is not the command's terminal", shown);
    }
    kabi::mount_attr_v0 a{};
    a.attr_set = kabi::ATTR_RDONLY | kabi::ATTR_NOSUID | kabi::ATTR_NOEXEC;
    if (::syscall(kabi::NR_mount_setattr, AT_FDCWD, dst.c_str(), 0, &a, sizeof a) != 0)
      return sys_error("mount_setattr", shown);
  }
  return ok_status();
}

}  // namespace paddock
