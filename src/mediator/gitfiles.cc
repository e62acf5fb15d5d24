#include "mediator/gitfiles.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "base/kernel_abi.h"
#include "policy/paths.h"

namespace paddock::mediator {

namespace {

// The sandbox's mount namespace is gone by now; writable roots are bound at their host paths,
// so the recorded path is the host's. No symlink on the way is followed.
int open_on_host(const std::string& path, uint64_t flags) {
  kabi::open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = kabi::RESOLVE_NO_MAGICLINKS | kabi::RESOLVE_NO_SYMLINKS;
  return int(::syscall(kabi::NR_openat2, AT_FDCWD, path.c_str(), &how, sizeof how));
}

std::string read_small(int fd) {
  char buf[4097];
  ssize_t n = ::read(fd, buf, 4096);
  if (n <= 0) return {};
  return std::string(buf, size_t(n));
}

void chomp(std::string& s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
}

// A gitfile is acceptable only as `git worktree add` writes it: "gitdir: R/.git/worktrees/NAME"
// where R/.git is a real repository directory and the entry's commondir leads back to it.
// Anything else would point host git at a directory whose config and hooks the sandbox wrote.
bool is_worktree_link(int dirfd, const std::string& dir) {
  UniqueFd fd(::openat(dirfd, ".git", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return errno == ENOENT;  // removed again: nothing left to judge
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 4096) return false;
  std::string text = read_small(fd.get());
  chomp(text);
  if (text.rfind("gitdir: ", 0) != 0 || text.find('\n') != std::string::npos) return false;
  std::string target = text.substr(8);
  if (target.empty()) return false;
  if (target[0] != '/') target = dir + "/" + target;
  target = normalize_path(target);
  auto comps = path_components(target);
  size_t k = comps.size();
  if (k < 3 || comps[k - 3] != ".git" || comps[k - 2] != "worktrees") return false;
  // Symlink-free, in the sandbox's tree: the link names exactly this directory.
  UniqueFd wt(open_on_host(target, O_PATH | O_DIRECTORY));
  if (!wt.valid()) return false;
  UniqueFd cfd(::openat(wt.get(), "commondir", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!cfd.valid()) return false;
  std::string c = read_small(cfd.get());
  chomp(c);
  return c == "../..";
}

}  // namespace

std::vector<std::string> quarantine_gitfiles(const Context& ctx) {
  std::vector<std::string> out;
  for (const auto& f : ctx.records.new_gitfiles()) {
    std::string dir = parent_path(f);
    UniqueFd d(open_on_host(dir, O_PATH | O_DIRECTORY));
    if (!d.valid()) continue;  // moved or replaced: the record no longer names a place
    if (is_worktree_link(d.get(), dir)) continue;
    bool moved = false;
    for (int i = 0; i < 100 && !moved; ++i) {
      std::string aside = ".git.paddock-quarantined" + (i ? "-" + std::to_string(i) : "");
      if (::syscall(SYS_renameat2, d.get(), ".git", d.get(), aside.c_str(), RENAME_NOREPLACE) ==
          0) {
        out.push_back(f + " -> " + join_path(dir, aside));
        moved = true;
      } else if (errno != EEXIST) {
        break;
      }
    }
    if (!moved) out.push_back(f + " (could not be moved aside: remove it before running git here)");
  }
  return out;
}

}  // namespace paddock::mediator
