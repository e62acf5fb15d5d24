#pragma once
// Which paths stay read-only even beneath a writable root: files that run code later (shell rc
// files, git hooks and config, editor task files, .envrc, .mcp.json), paddock's settings file
// and the user's denyWrite entries. Judged on canonical paths, by name at any depth, so nested
// repositories need no scan of the project tree.
#include <string>
#include <string_view>
#include <vector>

#include "policy/paths.h"

namespace paddock {

struct ProtectionVerdict {
  bool is_protected = false;
  std::string rule;  // which rule matched: ".git/hooks", "denyWrite /x", ".vscode"
};

class ProtectedPaths {
 public:
  ProtectedPaths() = default;
  // `exact` are canonical absolute paths protected with everything beneath them.
  explicit ProtectedPaths(std::vector<std::string> exact)
      : exact_(std::move(exact)), exact_set_(exact_) {}

  // Is this path (or one of its ancestors) protected?
  ProtectionVerdict check(std::string_view canonical_path) const;

  // May `src` be renamed to `dst`? Also refuses moving a directory into a git directory (its
  // contents would gain a hook's or config's name) and moving an ancestor of an exact entry
  // (the protected location would be left empty and re-creatable).
  ProtectionVerdict check_rename(std::string_view src, std::string_view dst, bool src_is_dir) const;

  // The protected names to over-mount read-only when they already exist directly in `root`
  // (a writable root). Relative to root.
  static const std::vector<std::string>& names_to_bind_in_root();
  // Names that are protected wherever they appear as a path component.
  static const std::vector<std::string>& protected_names();

  const std::vector<std::string>& exact() const { return exact_; }
  // The nearest `exact` entry at or above this canonical path, or null.
  const std::string* exact_covering(std::string_view path) const {
    return exact_set_.covering(path);
  }

 private:
  std::vector<std::string> exact_;
  PathSet exact_set_;  // the same, for checks in time proportional to a path's depth
};

}  // namespace paddock
