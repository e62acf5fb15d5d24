#include "policy/write_judge.h"

#include <cerrno>

#include "policy/paths.h"

namespace paddock {

bool in_private_tmp(std::string_view path) {
  return path_within(path, "/tmp") || path_within(path, "/var/tmp") ||
         path_within(path, "/dev/shm");
}

namespace {

bool in_writable(const FsPolicy& p, std::string_view path) {
  for (const auto& w : p.writable)
    if (path_within(path, w)) return true;
  return false;
}

WriteVerdict refuse(int err, std::string reason) {
  return {false, err, std::move(reason)};
}

// A denied path: inside a writable root it is only covered by an empty mount, which a rename or
// link performed by the supervisor would go around. Also one that was missing when the policy
// was made: made by the sandbox inside a writable root (a symlink `.env -> notes.txt`), it
// would catch what the host writes there later (the user adding a key to `.env` while the agent
// runs) where the sandbox reads it. And paddock's runtime roots, which the sandbox must not make
// where they are missing.
bool hidden(const FsPolicy& p, std::string_view path) {
  for (const auto& r : p.runtime_roots)
    if (path_within(path, r)) return true;  // never re-opened, and refused even where missing
  auto denies = [&p, path](const std::string& d) {
    if (!path_within(path, d)) return false;
    for (const auto& a : p.allow_read)
      if (path_within(path, a) && path_within(a, d)) return false;  // re-opened beneath it
    return true;
  };
  for (const auto& d : p.deny_read)
    if (denies(d)) return true;
  for (const auto& d : p.deny_read_absent)
    if (denies(d)) return true;
  return false;
}

// A protected name reached through a symlink is protected where the link is, too.
WriteVerdict judge_aliases(const FsPolicy& p, const Place& at) {
  for (const auto& a : at.aliases)
    if (auto v = p.protect.check(a); v.is_protected)
      return refuse(EACCES, "protected (" + v.rule + ", reached through the symlink " + a + ")");
  return {};
}

}  // namespace

WriteVerdict judge_write(const FsPolicy& p, const Place& at) {
  if (auto v = judge_aliases(p, at); !v.allowed) return v;
  if (at.private_mount) return {};
  std::string_view path = at.path;
  if (auto v = p.protect.check(path); v.is_protected)
    return refuse(EACCES, "protected (" + v.rule + ")");
  if (hidden(p, path)) return refuse(EACCES, "denied path");
  // A gitfile or a worktree's commondir may change: whatever directory it names is judged by
  // the git rules as any repository is (policy/git_control), so pointing git there gains
  // nothing.
  if (in_writable(p, path)) return {};
  // The terminal and the null-like devices stay usable; nothing new is made in /dev.
  if (path_within(path, "/dev") && (at.type == EntryType::Other)) return {};
  return refuse(EROFS, "outside the writable paths");
}

WriteVerdict judge_attribute_change(const FsPolicy& p, const Place& at, bool device_node) {
  if (device_node && !at.private_mount)
    return refuse(EROFS,
                  "a device node of the host: its mode and attributes are not the sandbox's");
  return judge_write(p, at);
}

WriteVerdict judge_rename(const FsPolicy& p, const Place& src, const Place& dst, bool src_is_dir) {
  if (auto v = judge_aliases(p, src); !v.allowed) return v;
  if (auto v = judge_aliases(p, dst); !v.allowed) return v;
  // Within the sandbox's own tmpfs nothing is protected; across mounts the kernel says EXDEV.
  if (src.private_mount && dst.private_mount) return {};
  // A repository's .git directory is never moved away (unless this run made it): what git
  // runs is judged by the git rules wherever a repository is, but the user's repository stays
  // where the user left it.
  if (!src.private_mount && base_name(src.path) == ".git" && src_is_dir && !src.created_in_run)
    return refuse(EACCES, "protected (.git moved)");
  if (auto v = p.protect.check_rename(src.path, dst.path); v.is_protected)
    return refuse(EACCES, "protected (" + v.rule + ")");
  if (hidden(p, src.path) || hidden(p, dst.path)) return refuse(EACCES, "denied path");
  for (const auto& d : p.deny_read)
    if (path_within(d, src.path)) return refuse(EACCES, "holds the denied path " + d);
  if ((!src.private_mount && !in_writable(p, src.path)) ||
      (!dst.private_mount && !in_writable(p, dst.path)))
    return refuse(EROFS, "outside the writable paths");
  return {};
}

WriteVerdict judge_link(const FsPolicy& p, const Place& src, const Place& dst) {
  if (auto v = judge_aliases(p, src); !v.allowed) return v;
  if (!src.private_mount) {
    if (auto v = p.protect.check(src.path); v.is_protected)
      return refuse(EACCES, "protected (" + v.rule + ")");
    if (hidden(p, src.path)) return refuse(EACCES, "denied path");
  }
  if (!dst.private_mount && base_name(dst.path) == ".git")
    return refuse(EACCES, "protected (.git link)");
  Place created = dst;
  created.type = EntryType::Missing;
  return judge_write(p, created);
}

WriteVerdict judge_remove(const FsPolicy& p, const Place& at) {
  // A repository's .git directory stays (unless this run made it); a gitfile may go: what is
  // left is an ordinary directory of the enclosing work tree.
  if (!at.private_mount && base_name(at.path) == ".git" && at.type == EntryType::Dir &&
      !at.created_in_run)
    return refuse(EACCES, "protected (.git)");
  if (base_name(at.path) == ".git" && !at.private_mount) {
    if (auto v = p.protect.check(at.path); v.is_protected)
      return refuse(EACCES, "protected (" + v.rule + ")");
    if (in_writable(p, at.path)) return {};
    return refuse(EROFS, "outside the writable paths");
  }
  Place existing = at;
  existing.type = EntryType::File;
  return judge_write(p, existing);
}

WriteVerdict judge_special_create(const FsPolicy& p, const Place& at) {
  // Only `git worktree add` needs to create a .git that is not a directory, and it writes a
  // regular file; a symlink or node named .git is refused.
  if (!at.private_mount && base_name(at.path) == ".git")
    return refuse(EACCES, "protected (.git may only be a directory or gitfile)");
  // A symlink named .claude (to a directory holding settings.json) or at a parent of a denyWrite
  // entry would give a protected name to content written elsewhere.
  if (!at.private_mount)
    if (auto v = p.protect.check_container(at.path); v.is_protected)
      return refuse(EACCES, "protected (" + v.rule + ")");
  Place created = at;
  created.type = EntryType::Missing;
  return judge_write(p, created);
}

}  // namespace paddock
