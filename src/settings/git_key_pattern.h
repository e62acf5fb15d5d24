#pragma once
// A git config key pattern from git.allowConfigKeys: names the keys a user lets the sandbox
// write into a repository's config beyond paddock's list of inert keys.
//
//   section.key            that key, without a subsection            core.pager
//   section.*              every key of the section, with or without alias.*, filter.*
//                          a subsection
//   section.sub.key        that key in that subsection               filter.lfs.clean
//   section.sub.*          every key in that subsection              filter.lfs.*
//   section.*.key          that key in any subsection                diff.*.textconv
//   section.*.*            every key in any subsection               remote.*.*
//
// As in git, the subsection is what lies between the first and the last '.', and may itself
// contain dots (url.https://example.com/.insteadOf); section and key compare without regard to
// case, the subsection exactly. '*' stands only for a whole subsection or a whole key.
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace paddock {

struct GitKeyPattern {
  enum class Sub {
    kNone,       // section.key: no subsection
    kExact,      // section.sub.key
    kAny,        // section.*.key: any subsection
    kAnyOrNone,  // section.*: the whole section
  };
  std::string text;     // as written in the settings
  std::string section;  // lower-case
  Sub sub = Sub::kNone;
  std::string subsection;  // kExact
  std::string key;         // lower-case, or "*" for any key

  bool matches(std::string_view entry_section, const std::optional<std::string>& entry_subsection,
               std::string_view entry_key) const;
};

// Validates and splits a pattern. The error's detail says what is wrong, without the text.
Result<GitKeyPattern> parse_git_key_pattern(std::string_view text);

}  // namespace paddock
