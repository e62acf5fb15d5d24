#pragma once
// The write judge called with plain paths, as most unit tests state their cases; the mediator
// passes a Place (type, private mount, aliases), which tests that need it build themselves.
#include <string_view>

#include "policy/write_judge.h"

namespace paddock::judge_by_path {

inline WriteVerdict judge_write(const FsPolicy& p, std::string_view path, EntryType type) {
  return paddock::judge_write(p, Place{path, type});
}
inline WriteVerdict judge_remove(const FsPolicy& p, std::string_view path) {
  return paddock::judge_remove(p, Place{path, EntryType::File});
}
inline WriteVerdict judge_special_create(const FsPolicy& p, std::string_view path) {
  return paddock::judge_special_create(p, Place{path});
}
inline WriteVerdict judge_rename(const FsPolicy& p, std::string_view src, std::string_view dst,
                                 bool src_is_dir) {
  return paddock::judge_rename(p, Place{src, src_is_dir ? EntryType::Dir : EntryType::File},
                               Place{dst}, src_is_dir);
}
inline WriteVerdict judge_link(const FsPolicy& p, std::string_view src, std::string_view dst) {
  return paddock::judge_link(p, Place{src, EntryType::File}, Place{dst});
}

}  // namespace paddock::judge_by_path
