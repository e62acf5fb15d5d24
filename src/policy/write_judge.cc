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
  if (in_private_tmp(path)) return true;
  for (const auto& w : p.writable)
    if (path_within(path, w)) return true;
  return false;
}

WriteVerdict refuse(int err, std::string reason) {
  return {false, err, std::move(reason)};
}

// A denied (absent) path: inside a writable root it is only covered by an empty mount, which a
// rename or link performed by the supervisor would go around.
bool hidden(const FsPolicy& p, std::string_view path) {
  for (const auto& d : p.deny_read) {
    if (!path_within(path, d)) continue;
    bool reopened = false;
    for (const auto& a : p.allow_read)
      if (path_within(path, a) && path_within(a, d)) reopened = true;
    if (!reopened) return true;
  }
  return false;
}

}  // namespace

WriteVerdict judge_write(const FsPolicy& p, std::string_view path, EntryType type) {
  if (auto v = p.protect.check(path); v.is_protected)
    return refuse(EACCES, "protected (" + v.rule + ")");
  if (hidden(p, path)) return refuse(EACCES, "denied path");
  // An existing gitfile (worktree, submodule) names the gitdir git will trust, a worktree's
  // commondir the directory its config and hooks come from: neither is rewritable.
  if (base_name(path) == ".git" && type != EntryType::Missing && type != EntryType::Dir)
    return refuse(EACCES, "protected (.git file)");
  if (base_name(path) == "commondir" && type != EntryType::Missing &&
      path.find("/.git/worktrees/") != std::string_view::npos)
    return refuse(EACCES, "protected (.git/worktrees/*/commondir)");
  if (in_writable(p, path)) return {};
  // The terminal and the null-like devices stay usable; nothing new is made in /dev.
  if (path_within(path, "/dev") && (type == EntryType::Other)) return {};
  return refuse(EROFS, "outside the writable paths");
}

WriteVerdict judge_rename(const FsPolicy& p, std::string_view src, std::string_view dst,
                          bool src_is_dir) {
  if (auto v = p.protect.check_rename(src, dst, src_is_dir); v.is_protected)
    return refuse(EACCES, "protected (" + v.rule + ")");
  if (hidden(p, src) || hidden(p, dst)) return refuse(EACCES, "denied path");
  for (const auto& d : p.deny_read)
    if (path_within(d, src)) return refuse(EACCES, "holds the denied path " + d);
  if (!in_writable(p, src) || !in_writable(p, dst))
    return refuse(EROFS, "outside the writable paths");
  return {};
}

WriteVerdict judge_link(const FsPolicy& p, std::string_view src, std::string_view dst) {
  if (auto v = p.protect.check(src); v.is_protected)
    return refuse(EACCES, "protected (" + v.rule + ")");
  if (base_name(dst) == ".git") return refuse(EACCES, "protected (.git link)");
  if (hidden(p, src)) return refuse(EACCES, "denied path");
  return judge_write(p, dst, EntryType::Missing);
}

WriteVerdict judge_remove(const FsPolicy& p, std::string_view path) {
  if (base_name(path) == ".git") return refuse(EACCES, "protected (.git)");
  return judge_write(p, path, EntryType::File);
}

WriteVerdict judge_special_create(const FsPolicy& p, std::string_view path) {
  // Only `git worktree add` needs to create a .git that is not a directory, and it writes a
  // regular file; a symlink or node named .git is refused.
  if (base_name(path) == ".git")
    return refuse(EACCES, "protected (.git may only be a directory or gitfile)");
  // A symlink named .claude (to a directory holding settings.json) or at a parent of a denyWrite
  // entry would give a protected name to content written elsewhere.
  if (auto v = p.protect.check_container(path); v.is_protected)
    return refuse(EACCES, "protected (" + v.rule + ")");
  return judge_write(p, path, EntryType::Missing);
}

}  // namespace paddock
