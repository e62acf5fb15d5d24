#pragma once
// Pure verdicts on mediated writes, given canonical sandbox-view paths. The supervisor performs
// only what this allows; tests call it directly.
#include <span>
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

// Where a mediated call lands, as the supervisor found it in the sandbox's tree.
struct Place {
  std::string_view path;                // canonical, sandbox view
  EntryType type = EntryType::Missing;  // what exists there now
  // On one of the sandbox's own tmpfs mounts (/tmp, /var/tmp, /dev/shm), decided by the
  // mount's device, never by the path's spelling. Thrown away at exit: nothing is protected.
  bool private_mount = false;
  // The path as spelled through each symlink followed to reach it ("~/.bashrc" for a
  // stow-style link to dotfiles/bashrc): a protected name protects the link and its target.
  std::span<const std::string> aliases = {};
  // A `.git` directory this run made (git init, a clone): the sandbox may remove or move it.
  bool created_in_run = false;
};

// A write to (or creation of) a place.
WriteVerdict judge_write(const FsPolicy& p, const Place& at);

// unlink(2) and rmdir(2): protected and denied paths cannot be removed either (a user's own
// pre-commit hook is a wall too), and a repository's .git is never removed.
WriteVerdict judge_remove(const FsPolicy& p, const Place& at);

// symlink(2) and mknod(2) of non-directories: like judge_write, never named .git, and never at
// a container of protected paths (ProtectedPaths::check_container).
WriteVerdict judge_special_create(const FsPolicy& p, const Place& at);

// chmod(2) and xattr changes (ACLs rewrite the mode) of an inode the sandbox reaches through a
// descriptor or a path. A device node outside the sandbox's own mounts is the host's: the
// terminal or /dev/null the command inherited lives on the host's /dev, not on the view's
// read-only binds, so changing it would change it for the host (a terminal made 0666 lets every
// local user read its keystrokes; root's sandbox would chmod the host's /dev/null), whatever
// judge_write says about writing to it.
WriteVerdict judge_attribute_change(const FsPolicy& p, const Place& at, bool device_node);

// rename(2) and link(2): both ends are judged, plus the rename-specific rules.
WriteVerdict judge_rename(const FsPolicy& p, const Place& src, const Place& dst, bool src_is_dir);
WriteVerdict judge_link(const FsPolicy& p, const Place& src, const Place& dst);

// Paths that name the sandbox's private tmpfs mounts in its view (for TMPDIR and similar
// environment decisions; the mediator judges privacy by device, see Place::private_mount).
bool in_private_tmp(std::string_view path);

}  // namespace paddock
