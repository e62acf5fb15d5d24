#pragma once
// Path handling for the policy: user-written paths (absolute, ~-relative, cwd-relative) become
// canonical host paths with every symlink resolved, so a rule is judged by where it lands.
#include <string>
#include <string_view>
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

// True when `path` equals `prefix` or lies beneath it (both normalised).
bool path_within(std::string_view path, std::string_view prefix);

// Splits a normalised absolute path into components ("/a/b" -> {"a","b"}).
std::vector<std::string_view> path_components(std::string_view abs_path);

std::string parent_path(std::string_view abs_path);
std::string base_name(std::string_view abs_path);
std::string join_path(std::string_view dir, std::string_view name);

}  // namespace paddock
