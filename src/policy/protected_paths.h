#pragma once
// Which paths stay read-only even beneath a writable root: files that run code later (the names
// of protected_names.h, git hooks and config), paddock's settings file and the user's denyWrite
// entries. Judged on canonical paths, by name at any depth, so nested repositories need no scan
// of the project tree.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "policy/paths.h"

namespace paddock {

struct ProtectionVerdict {
  bool is_protected = false;
  std::string rule;  // which rule matched: ".git/hooks", "denyWrite /x", ".vscode"
};

class ProtectedPaths {
 public:
  // The built-in names, no exact entries.
  ProtectedPaths() : ProtectedPaths(std::vector<std::string>{}) {}
  // `exact`: canonical absolute paths protected with everything beneath them (denyWrite, the
  // settings file). `aliases`: the other spellings of those entries (a symlink that leads to
  // one, and each form met while resolving it), protected the same way; they are kept apart
  // because they are not the file's own path (nothing is bound there). `extra_names`:
  // filesystem.protectedNames, each already checked by parse_protected_name().
  // `linked`: more exact entries, each with the rule to report: the targets of protected names
  // that are symlinks ("~/.bashrc -> dotfiles/bashrc" protects dotfiles/bashrc too).
  explicit ProtectedPaths(std::vector<std::string> exact, std::vector<std::string> aliases = {},
                          const std::vector<std::string>& extra_names = {},
                          const std::vector<std::pair<std::string, std::string>>& linked = {});

  // Is this path (or one of its ancestors) protected?
  ProtectionVerdict check(std::string_view canonical_path) const;

  // May `src` be renamed to `dst`? Also refuses moving anything from or to a container
  // (check_container): the protected location would be left empty and re-creatable, or filled
  // with what the sandbox prepared. (A repository's control files are the git rules' concern:
  // policy/git_control.)
  ProtectionVerdict check_rename(std::string_view src, std::string_view dst) const;

  // Is `path` a container of protected paths: an ancestor of an exact entry or alias, or a path
  // ending in the leading components of a multi-component name (".claude" for
  // ".claude/settings.json", ".config/git" for ".config/git/config")? A directory moved or a
  // symlink created there would give a protected name to content the sandbox prepared.
  ProtectionVerdict check_container(std::string_view path) const;

  // Every name protected at any depth: the built-in ones, then filesystem.protectedNames.
  const std::vector<std::string>& names() const { return index_->names; }
  // The built-in names, for the documentation tests and for callers without a policy.
  static const std::vector<std::string>& builtin_names();
  // The names filesystem.protectedNames added (those not built in already).
  std::vector<std::string> extra_names() const {
    return {index_->names.begin() + std::ptrdiff_t(builtin_names().size()), index_->names.end()};
  }
  // The protected names to over-mount read-only when they already exist in a writable root
  // (relative to it): names() without wildcards, plus the repository's .git/hooks, .git/config
  // and .git/config.worktree.
  const std::vector<std::string>& names_to_bind_in_root() const { return index_->bind_names; }

  const std::vector<std::string>& exact() const { return exact_; }
  const std::vector<std::string>& aliases() const { return aliases_; }
  // The nearest exact entry or alias at or above this canonical path, or null.
  const std::string* exact_covering(std::string_view path) const {
    return exact_set_.covering(path);
  }

 private:
  struct Name {
    std::string text;
    std::vector<std::string> comps;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  // The names, indexed for check(): immutable once built, so copies share it. The built-in
  // names alone (no filesystem.protectedNames) are indexed once per process.
  struct NameIndex {
    std::vector<std::string> names;
    std::vector<std::string> bind_names;
    std::vector<Name> multi;  // names of several components or with a wildcard
    std::unordered_set<std::string, Hash, std::equal_to<>> single;  // one literal component
    // literal first component -> indexes into multi; wildcard-first names are in glob_first
    std::unordered_map<std::string, std::vector<size_t>, Hash, std::equal_to<>> by_first;
    std::vector<size_t> glob_first;
    std::unordered_set<std::string> seen;  // every name added

    void add(const std::string& text);
  };
  static std::shared_ptr<const NameIndex> make_index(const std::vector<std::string>& extra_names);

  const Name* match_at(const std::vector<std::string_view>& comps, size_t i) const;

  std::vector<std::string> exact_;
  std::vector<std::string> aliases_;
  PathSet exact_set_;  // exact_ and aliases_, for checks in time proportional to a path's depth
  std::unordered_map<std::string, std::string> labels_;  // exact entry -> rule, when not denyWrite
  // proper ancestor of an exact entry or alias -> that entry
  std::unordered_map<std::string, std::string, Hash, std::equal_to<>> exact_ancestors_;

  std::shared_ptr<const NameIndex> index_;
};

}  // namespace paddock
