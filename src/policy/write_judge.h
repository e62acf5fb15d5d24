#pragma once
// Pure verdicts on mediated writes, given canonical sandbox-view paths. The supervisor performs
// only what this allows; tests call it directly.
#include <string>
#include <string_view>

#include "policy/fs_policy.h"
#include "policy/host_fs.h"

namespace paddock {

struct WriteVerdict {
  bool allowed = true;
  int err = 0;         // errno for the caller when refused
  std::string reason;  // one line for the user
};

// A write to (or creation of) `path`. `type` is what exists there now (Missing if nothing).
WriteVerdict judge_write(const FsPolicy& p, std::string_view path, EntryType type);

// unlink(2) and rmdir(2): protected and denied paths cannot be removed either (a user's own
// pre-commit hook is a wall too), and a repository's .git is never removed.
WriteVerdict judge_remove(const FsPolicy& p, std::string_view path);

// symlink(2) and mknod(2) of non-directories: like judge_write, never named .git, and never at
// a container of protected paths (ProtectedPaths::check_container).
WriteVerdict judge_special_create(const FsPolicy& p, std::string_view path);

// rename(2) and link(2): both ends are judged, plus the rename-specific rules.
WriteVerdict judge_rename(const FsPolicy& p, std::string_view src, std::string_view dst,
                          bool src_is_dir);
WriteVerdict judge_link(const FsPolicy& p, std::string_view src, std::string_view dst);

// Paths writable in every sandbox besides the policy's roots: private tmpfs mounts.
bool in_private_tmp(std::string_view path);

}  // namespace paddock
