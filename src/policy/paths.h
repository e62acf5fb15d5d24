#pragma once
// Path handling for the policy: user-written paths (absolute, ~-relative, cwd-relative) become
// canonical host paths with every symlink resolved, so a rule is judged by where it lands.
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/result.h"

namespace paddock {

// Lexically normalises an absolute path: collapses "//", ".", "..", drops a trailing "/".
std::string normalize_path(std::string_view abs_path);

// "~" and "~/x" expand to home; relative paths are taken from cwd; the result is normalised.
// Other users' homes ("~bob") are refused.
Result<std::string> expand_path(std::string_view raw, const std::string& home,
                                const std::string& cwd);

// Resolves every symlink in an absolute path. Components that do not exist yet are appended
// lexically to the resolved existing prefix (a rule may name a path that appears later).
Result<std::string> resolve_path(const std::string& abs_path);

// resolve_path for many paths: each host entry is looked up once (one lstat, plus readlink for
// a symlink) however many paths pass through it, so 1,000 rules under one project cost 1,000
// lookups, not one per component per rule. Only for paths resolved together at one moment.
class PathResolver {
 public:
  Result<std::string> resolve(const std::string& abs_path);
  // The same, noting where each symlink met on the way lies (canonical paths of the links
  // themselves, in the order met).
  Result<std::string> resolve(const std::string& abs_path, std::vector<std::string>& links);
  // Every spelling along the resolution of abs_path: the path normalised lexically, each form
  // met by expanding one symlink at a time (leftmost first), and the resolved path (last). A
  // protected entry must hold under all of them: replacing the symlink `deploy.sh` (or the
  // directory link above it) would otherwise re-route the name to a file of the sandbox's.
  Result<std::vector<std::string>> spellings(const std::string& abs_path);
  // Is there an entry at this path (not following a final symlink)? Remembered like the rest.
  Result<bool> present(const std::string& abs_path);
  // Reads the directory at canonical path `dir` once, so that the many names asked of it (the
  // built-in credential stores in the home and ~/.config) cost no lookup each: a name it does
  // not hold is missing, as is anything beneath one; a directory or file it holds is present.
  // Only where names compare as bytes (not a case-insensitive directory: ext4, f2fs or tmpfs
  // casefolding, vfat, ...) and the directory is small; otherwise nothing changes.
  void list_directory(const std::string& dir);

 private:
  struct Entry {
    enum class Kind { Missing, Present, Symlink } kind;
    std::string target;  // for Symlink
  };
  Result<const Entry*> lookup(const std::string& path, const std::string& asked);
  Result<std::string> walk(const std::string& abs_path, std::vector<std::string>* spellings,
                           std::vector<std::string>* links = nullptr);
  std::unordered_map<std::string, Entry> entries_;
  // list_directory(): the names each listed directory held
  std::unordered_map<std::string, std::unordered_set<std::string>> listed_;
};

// A set of canonical paths that answers "is this path at or beneath a member?" by looking up
// the path's own prefixes, in time proportional to its depth rather than to the set's size.
class PathSet {
 public:
  PathSet() = default;
  explicit PathSet(const std::vector<std::string>& paths);
  void insert(const std::string& path) { set_.insert(path); }
  bool contains(std::string_view path) const { return set_.find(path) != set_.end(); }
  // The nearest member equal to `path` (unless strictly_above) or above it; null when none.
  const std::string* covering(std::string_view path, bool strictly_above = false) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_set<std::string, Hash, std::equal_to<>> set_;
};

// True when `path` equals `prefix` or lies beneath it (both normalised).
bool path_within(std::string_view path, std::string_view prefix);

// Splits a normalised absolute path into components ("/a/b" -> {"a","b"}).
std::vector<std::string_view> path_components(std::string_view abs_path);

std::string parent_path(std::string_view abs_path);
std::string base_name(std::string_view abs_path);
std::string join_path(std::string_view dir, std::string_view name);

}  // namespace paddock
