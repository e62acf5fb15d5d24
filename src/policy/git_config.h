#pragma once
// A strict reader of git's config file syntax, as git 2.39 reads it (config.c: git_parse_source).
// The supervisor judges a config file that the sandbox wants installed by what git on the host
// will read from it, so this parser must never accept a file that git reads differently: every
// file it accepts yields exactly the list `git config --list --file F` prints, and where git's
// reading is surprising or the structure is unclear, it refuses.
//
// Refused although git reads them (never written by git itself):
//   - any NUL byte (git cuts names and values at it);
//   - a variable before the first section header;
//   - a section header without a section name (`[ "sub"]`), a dotted header with an empty part
//     (`[a.]`, `[.a]`), or a dotted name followed by a quoted subsection (`[a.b "c"]`).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace paddock {

struct GitConfigEntry {
  std::string section;                    // lower-case: [a-z0-9-]+
  std::optional<std::string> subsection;  // as git keeps it; any bytes but NUL and newline
  std::string key;                        // lower-case: [a-z][a-z0-9-]*
  std::optional<std::string> value;       // nullopt: "key" alone, which git reads as true
  std::size_t line = 0;                   // 1-based line of the key (0 for built entries)

  // section.key or section.subsection.key, as `git config --list` prints it.
  std::string name() const;

  // Compares everything but the line.
  bool same_as(const GitConfigEntry& o) const {
    return section == o.section && subsection == o.subsection && key == o.key && value == o.value;
  }
};

// Larger config files are refused (a repository's config is a few kilobytes).
inline constexpr std::size_t kMaxGitConfigBytes = std::size_t{1} << 20;

// The entries of a config file, in file order. The error's detail names the line and why:
// "line 3: a quoted value is not closed before the end of the line".
Result<std::vector<GitConfigEntry>> parse_git_config(std::string_view text);

// Config text that parse_git_config (and git) reads back as exactly `entries`: one header per
// run of entries with the same section and subsection, every value quoted and escaped.
// Entries must be valid (as parse_git_config returns them; a subsection without newline or NUL,
// a value without NUL).
std::string serialize_git_config(const std::vector<GitConfigEntry>& entries);

}  // namespace paddock
