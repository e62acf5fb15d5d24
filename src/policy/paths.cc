#include "policy/paths.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

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
  std::string p = normalize_path(abs_path);
  // Walk up until a prefix exists and realpath it, then re-append the missing tail. A dangling
  // symlink on the way is followed (a write through it lands at its target), bounded like the
  // kernel's 40 hops.
  for (int hops = 0; hops <= 40; ++hops) {
    std::string head = p;
    std::string tail;
    bool restarted = false;
    for (int guard = 0; guard < 4096; ++guard) {
      char buf[PATH_MAX];
      if (::realpath(head.c_str(), buf) != nullptr) {
        std::string r = buf;
        return tail.empty() ? r : normalize_path(r + "/" + tail);
      }
      if (errno == ELOOP) return sys_error("resolve path", abs_path);
      if (errno != ENOENT && errno != ENOTDIR) return sys_error("resolve path", abs_path);
      struct stat st;
      if (::lstat(head.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = ::readlink(head.c_str(), target, sizeof target - 1);
        if (n <= 0) return sys_error("readlink", head);
        std::string t(target, size_t(n));
        std::string base = t[0] == '/' ? t : parent_path(head) + "/" + t;
        p = normalize_path(tail.empty() ? base : base + "/" + tail);
        restarted = true;
        break;
      }
      if (head == "/") break;
      std::string b = base_name(head);
      tail = tail.empty() ? b : b + "/" + tail;
      head = parent_path(head);
    }
    if (!restarted) return plain_error("resolve path", "no existing prefix", abs_path);
  }
  return sys_error("resolve path", abs_path, ELOOP);
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
