#pragma once
// Test support: compares paddock's git config parser with the git binary on one file. Shared by
// the differential unit test and the fuzz target's differential mode (PADDOCK_GIT_DIFFERENTIAL).
// The rule: every file paddock accepts must yield exactly `git config --list`; every file git
// rejects must be rejected by paddock. paddock may reject more than git.
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "policy/git_config.h"

namespace paddock::testing {

using GitList = std::vector<std::pair<std::string, std::optional<std::string>>>;

// `git config --list --null --file path`, or nullopt when git refuses the file. `path` must not
// contain a single quote.
inline std::optional<GitList> git_config_list(const std::string& path) {
  const std::string cmd =
      "cd / && git config --no-includes --null --list --file '" + path + "' 2>/dev/null";
  FILE* f = ::popen(cmd.c_str(), "r");
  if (f == nullptr) return std::nullopt;
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const int status = ::pclose(f);
  if (status != 0) return std::nullopt;
  // Each entry is "name\nvalue\0", or "name\0" for a key without a value.
  GitList list;
  std::size_t pos = 0;
  while (pos < out.size()) {
    const std::size_t end = out.find('\0', pos);
    if (end == std::string::npos) return std::nullopt;
    const std::string record = out.substr(pos, end - pos);
    const std::size_t nl = record.find('\n');
    if (nl == std::string::npos) {
      list.emplace_back(record, std::nullopt);
    } else {
      list.emplace_back(record.substr(0, nl), record.substr(nl + 1));
    }
    pos = end + 1;
  }
  return list;
}

inline bool git_available() {
  FILE* f = ::popen("git --version >/dev/null 2>&1", "r");
  return f != nullptr && ::pclose(f) == 0;
}

struct DifferentialResult {
  bool paddock_accepts = false;
  bool git_accepts = false;
  std::string disagreement;  // empty when consistent
};

// Parses `text` with paddock and, through the file at `path` (written here), with git.
inline DifferentialResult compare_with_git(const std::string& text, const std::string& path) {
  DifferentialResult r;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(text.data(), 1, text.size(), f) != text.size() ||
      std::fclose(f) != 0) {
    r.disagreement = "cannot write " + path;
    return r;
  }
  const Result<std::vector<GitConfigEntry>> ours = parse_git_config(text);
  const std::optional<GitList> theirs = git_config_list(path);
  r.paddock_accepts = ours.ok();
  r.git_accepts = theirs.has_value();
  if (!ours.ok()) return r;  // refusing more than git is allowed
  if (!theirs) {
    r.disagreement = "paddock accepts a file git rejects";
    return r;
  }
  if (ours->size() != theirs->size()) {
    r.disagreement = "paddock lists " + std::to_string(ours->size()) + " entries, git " +
                     std::to_string(theirs->size());
    return r;
  }
  for (std::size_t i = 0; i < ours->size(); ++i) {
    const GitConfigEntry& e = (*ours)[i];
    if (e.name() != (*theirs)[i].first || e.value != (*theirs)[i].second) {
      r.disagreement = "entry " + std::to_string(i) + ": paddock " + e.name() + "=" +
                       e.value.value_or("(none)") + ", git " + (*theirs)[i].first + "=" +
                       (*theirs)[i].second.value_or("(none)");
      return r;
    }
  }
  return r;
}

}  // namespace paddock::testing
