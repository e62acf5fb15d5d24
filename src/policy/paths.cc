#include "policy/paths.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace paddock {

std::string normalize_path(std::string_view p) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < p.size()) {
    while (i < p.size() && p[i] == '/') ++i;
    size_t j = i;
    while (j < p.size() && p[j] != '/') ++j;
    std::string_view c = p.substr(i, j - i);
    if (c.empty() || c == ".") {
    } else if (c == "..") {
      if (!out.empty()) out.pop_back();
    } else {
      out.push_back(c);
    }
    i = j;
  }
  std::string r;
  for (auto c : out) {
    r += '/';
    r += c;
  }
  return r.empty() ? "/" : r;
}

Result<std::string> expand_path(std::string_view raw, const std::string& home,
                                const std::string& cwd) {
  if (raw.empty()) return plain_error("path", "empty path");
  if (raw.find('\0') != std::string_view::npos) return plain_error("path", "contains NUL");
  if (raw[0] == '~') {
    if (raw.size() > 1 && raw[1] != '/')
      return plain_error("path", "only ~ and ~/... are supported, not other users' homes",
                         std::string(raw));
    if (home.empty() || home[0] != '/')
      return plain_error("path", "cannot expand ~: HOME is not set to an absolute path",
                         std::string(raw));
    return normalize_path(home + "/" + std::string(raw.substr(1)));
  }
  if (raw[0] == '/') return normalize_path(raw);
  return normalize_path(cwd + "/" + std::string(raw));
}

Result<std::string> resolve_path(const std::string& abs_path) {
  return PathResolver().resolve(abs_path);
}

Result<const PathResolver::Entry*> PathResolver::lookup(const std::string& path,
                                                        const std::string& asked) {
  if (auto it = entries_.find(path); it != entries_.end()) return &it->second;
  Entry e{Entry::Kind::Present, {}};
  if (!listed_.empty() && path != "/") {
    // Known without a lookup: a name a listed directory does not hold, or beneath one.
    const std::string parent = parent_path(path);
    auto dir = listed_.find(parent);
    auto up = entries_.find(parent);
    if ((dir != listed_.end() && dir->second.count(base_name(path)) == 0) ||
        (up != entries_.end() && up->second.kind == Entry::Kind::Missing)) {
      e.kind = Entry::Kind::Missing;
      return &entries_.emplace(path, std::move(e)).first->second;
    }
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) return sys_error("resolve path", asked);
    e.kind = Entry::Kind::Missing;
  } else if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
    if (n <= 0) return sys_error("readlink", path);
    e.kind = Entry::Kind::Symlink;
    e.target.assign(target, size_t(n));
  }
  return &entries_.emplace(path, std::move(e)).first->second;
}

Result<bool> PathResolver::present(const std::string& abs_path) {
  auto e = lookup(abs_path, abs_path);
  if (!e) return e.error();
  return (*e)->kind != Entry::Kind::Missing;
}

namespace {

// Does this directory compare names as bytes? Only filesystems known to, and only without the
// casefold attribute those that have one give it: elsewhere a lookup of ".aws" may find ".AWS".
bool byte_exact_names(int dir_fd) {
  constexpr unsigned long kExt4 = 0xEF53, kBtrfs = 0x9123683E, kTmpfs = 0x01021994,
                          kF2fs = 0xF2F52010;
  constexpr long kCasefoldFlag = 0x40000000;  // FS_CASEFOLD_FL
  struct statfs fs;
  if (::fstatfs(dir_fd, &fs) != 0) return false;
  const auto type = static_cast<unsigned long>(fs.f_type);
  if (type != kExt4 && type != kBtrfs && type != kTmpfs && type != kF2fs) return false;
  long flags = 0;
  if (::ioctl(dir_fd, FS_IOC_GETFLAGS, &flags) != 0)
    return type == kBtrfs;  // btrfs has no casefolding; the others say whether they fold
  return (flags & kCasefoldFlag) == 0;
}

}  // namespace

void PathResolver::list_directory(const std::string& dir) {
  if (listed_.count(dir) != 0) return;
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st;
  DIR* d = nullptr;
  // Past this size a listing costs more than the lookups it saves.
  if (::fstat(fd, &st) != 0 || st.st_size > 32 * 1024 || !byte_exact_names(fd) ||
      (d = ::fdopendir(fd)) == nullptr) {
    ::close(fd);
    return;
  }
  std::unordered_set<std::string> names;
  std::vector<std::string> plain;  // directories and files: present, nothing more to know
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (e->d_type == DT_DIR || e->d_type == DT_REG) plain.push_back(join_path(dir, name));
    names.insert(std::move(name));
  }
  const bool complete = errno == 0;
  ::closedir(d);
  if (!complete) return;  // every name is looked up instead
  for (auto& path : plain) entries_.emplace(std::move(path), Entry{Entry::Kind::Present, {}});
  listed_.emplace(dir, std::move(names));
}

Result<std::string> PathResolver::resolve(const std::string& abs_path) {
  return walk(abs_path, nullptr);
}

Result<std::string> PathResolver::resolve(const std::string& abs_path,
                                          std::vector<std::string>& links) {
  return walk(abs_path, nullptr, &links);
}

Result<std::vector<std::string>> PathResolver::spellings(const std::string& abs_path) {
  std::vector<std::string> out;
  auto r = walk(abs_path, &out);
  if (!r) return r.error();
  out.erase(std::remove(out.begin(), out.end(), *r), out.end());
  out.push_back(std::move(*r));  // the resolved path last, as documented
  return out;
}

Result<std::string> PathResolver::walk(const std::string& abs_path,
                                       std::vector<std::string>* spellings,
                                       std::vector<std::string>* links) {
  std::string p = normalize_path(abs_path);
  auto note = [spellings](const std::string& form) {
    if (spellings != nullptr &&
        std::find(spellings->begin(), spellings->end(), form) == spellings->end())
      spellings->push_back(form);
  };
  // A symlink restarts the walk at its target (with the rest appended), bounded like the
  // kernel's 40 hops; a dangling one is followed too: a write through it lands at its target.
  for (int hops = 0; hops <= 40; ++hops) {
    note(p);
    std::string cur = "/";
    std::vector<std::string_view> comps = path_components(p);
    std::string next;
    for (size_t i = 0; i < comps.size() && next.empty(); ++i) {
      std::string cand = join_path(cur, comps[i]);
      auto e = lookup(cand, abs_path);
      if (!e) return e.error();
      switch ((*e)->kind) {
        case Entry::Kind::Present:
          cur = std::move(cand);
          break;
        case Entry::Kind::Missing:
          // Nothing below exists either: the rest is appended as written.
          for (size_t j = i + 1; j < comps.size(); ++j) cand = join_path(cand, comps[j]);
          return cand;
        case Entry::Kind::Symlink: {
          if (links != nullptr) links->push_back(cand);
          const std::string& t = (*e)->target;
          if (t[0] == '/') {
            next = t;
          } else {
            next = cur;
            (next += '/') += t;
          }
          for (size_t j = i + 1; j < comps.size(); ++j) (next += '/') += comps[j];
          break;
        }
      }
    }
    if (next.empty()) return cur;
    p = normalize_path(next);
  }
  return sys_error("resolve path", abs_path, ELOOP);
}

PathSet::PathSet(const std::vector<std::string>& paths) : set_(paths.begin(), paths.end()) {}

const std::string* PathSet::covering(std::string_view path, bool strictly_above) const {
  if (set_.empty() || path.empty() || path[0] != '/') return nullptr;
  size_t end = path.size();
  if (strictly_above) {
    if (path == "/") return nullptr;
    end = path.find_last_of('/');
  }
  // Nearest first: the path itself, then each parent up to "/".
  for (;;) {
    std::string_view prefix = end == 0 ? std::string_view("/") : path.substr(0, end);
    if (auto it = set_.find(prefix); it != set_.end()) return &*it;
    if (end == 0) return nullptr;
    end = path.find_last_of('/', end - 1);
  }
}

bool path_within(std::string_view path, std::string_view prefix) {
  if (prefix == "/") return !path.empty() && path[0] == '/';
  if (path.size() < prefix.size() || path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

std::vector<std::string_view> path_components(std::string_view p) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < p.size()) {
    while (i < p.size() && p[i] == '/') ++i;
    size_t j = i;
    while (j < p.size() && p[j] != '/') ++j;
    if (j > i) out.push_back(p.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string parent_path(std::string_view p) {
  auto pos = p.find_last_of('/');
  if (pos == std::string_view::npos || pos == 0) return "/";
  return std::string(p.substr(0, pos));
}

std::string base_name(std::string_view p) {
  auto pos = p.find_last_of('/');
  return std::string(pos == std::string_view::npos ? p : p.substr(pos + 1));
}

std::string join_path(std::string_view dir, std::string_view name) {
  if (dir == "/") return "/" + std::string(name);
  return std::string(dir) + "/" + std::string(name);
}

}  // namespace paddock
