#include "policy/path_glob.h"

#include <fnmatch.h>

#include <algorithm>

#include "policy/paths.h"

namespace paddock {

namespace {

// Drops the backslashes of a component without glob characters: it is then a plain name.
std::string unescape(std::string_view c) {
  std::string out;
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i] == '\\' && i + 1 < c.size()) ++i;
    out.push_back(c[i]);
  }
  return out;
}

}  // namespace

bool has_glob(std::string_view path) {
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '\\') {
      ++i;
      continue;
    }
    if (path[i] == '*' || path[i] == '?' || path[i] == '[') return true;
  }
  return false;
}

Result<std::vector<std::string>> expand_glob(const std::string& abs_pattern, const HostFs& fs,
                                             const char* key, std::string_view raw, size_t limit) {
  std::vector<std::string> current = {"/"};
  for (std::string_view comp : path_components(abs_pattern)) {
    if (comp.find("**") != std::string_view::npos)
      return plain_error(key,
                         "`**` (any depth) is not supported: it would scan the tree at every "
                         "start; name the directories, or use * within one component",
                         std::string(raw));
    std::vector<std::string> next;
    if (!has_glob(comp)) {
      std::string name = unescape(comp);
      for (const auto& dir : current) {
        std::string p = join_path(dir, name);
        if (fs.type(p) != EntryType::Missing) next.push_back(std::move(p));
      }
    } else {
      const std::string pattern(comp);
      for (const auto& dir : current) {
        for (const HostEntry& e : fs.list(dir)) {
          if (e.name == "." || e.name == "..") continue;
          if (::fnmatch(pattern.c_str(), e.name.c_str(), 0) == 0)
            next.push_back(join_path(dir, e.name));
        }
      }
    }
    if (next.size() > limit)
      return plain_error(key, "matches more than " + std::to_string(limit) + " paths",
                         std::string(raw));
    current = std::move(next);
    if (current.empty()) break;
  }
  std::sort(current.begin(), current.end());
  return current;
}

}  // namespace paddock
