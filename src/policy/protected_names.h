#pragma once
// The names that stay read-only at any depth (DESIGN 4): files that make a shell, an editor, an
// agent or a git hook manager run code on the host later, without the user running the project.
// Data, grouped by the tool that reads them, so adding a tool is adding a row; the matching rule
// lives in protected_paths.h.
//
// A name is one or more components separated by '/', matched against consecutive components of
// a path at any depth: ".claude/settings.json" protects x/.claude/settings.json and everything
// beneath a match (".vscode" protects .vscode/tasks.json). '*' in a component matches any run of
// characters within that component ("mise.*.toml"); nothing else is special.
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace paddock {

struct ProtectedNameGroup {
  std::string_view tool;
  std::string_view why;  // what runs, and when, without the user running the project
  std::vector<std::string_view> names;
};

const std::vector<ProtectedNameGroup>& builtin_protected_name_groups();

// One entry of filesystem.protectedNames, checked and normalised (a trailing '/' dropped).
// Refused: empty, absolute or ~ paths (filesystem.denyWrite protects one path), empty, "." or
// ".." components, and a component made only of '*' (it would protect every name).
// Errors: op "filesystem.protectedNames", path = the entry, detail = why.
Result<std::string> parse_protected_name(std::string_view raw);

}  // namespace paddock
