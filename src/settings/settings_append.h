#pragma once
// "Allow always" (--ask): a pattern appended to network.allowedDomains of the user's settings
// file, outside the sandbox. The rest of the file is kept: keys in their order, values as they
// were (the file is re-serialised with two-space indentation; JSON has no comments to lose).
#include <string>
#include <string_view>

#include "base/result.h"

namespace paddock {

// Pure: the new text of a settings file (`text` empty: the file does not exist yet). Refused,
// naming `name`, when the text is not valid JSON (with line and column), is not an object, or
// network / network.allowedDomains has another type. A pattern already listed leaves the text
// as it is (`added` false).
struct AppendedSettings {
  std::string text;
  bool added = false;
};
Result<AppendedSettings> append_allowed_domain(std::string_view text, const std::string& pattern,
                                               const std::string& name);

// The file at `path` (a symlink is followed: the file it names is the one replaced), rewritten
// atomically: a temporary file beside it, the original's mode, fsync, rename. Parent
// directories are created (0700) when the file does not exist. `added` as above.
Result<bool> append_allowed_domain_to_file(const std::string& path, const std::string& pattern);

}  // namespace paddock
