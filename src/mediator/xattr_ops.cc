// Setting and removing extended attributes, performed for the sandbox. An ACL
// (system.posix_acl_access) changes a file's mode bits, so these calls are judged like chmod:
// a protected file keeps its attributes, and the call acts on the inode that was judged.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mediator/call.h"
#include "mediator/git_rules.h"
#include "mediator/locate.h"

namespace paddock::mediator {

namespace {

constexpr size_t kXattrNameMax = 255;    // XATTR_NAME_MAX
constexpr size_t kXattrSizeMax = 65536;  // XATTR_SIZE_MAX

Out<std::string> read_name(Call& c, uint64_t addr) {
  auto n = c.caller.read_string(addr);
  if (!n.ok()) return CallError{n.err == ENAMETOOLONG ? ERANGE : n.err};
  if (n.value.empty() || n.value.size() > kXattrNameMax) return CallError{ERANGE};
  return n;
}

struct Judged {
  UniqueFd pin;  // O_PATH (or the caller's own descriptor) of the inode to change
  std::string where;
};

// The inode an xattr call names, judged as a write to it.
Out<Judged> judged_target(Call& c, const XattrTarget& t, const char* what) {
  std::string raw;
  if (t.path != 0) {
    auto p = c.caller.read_string(t.path);
    if (!p.ok()) return CallError{p.err};
    raw = std::move(p.value);
  }
  int fd_ref = -1;
  std::vector<std::string> aliases;
  Judged j;
  if (raw.empty()) {
    if (!(t.at_flags & AT_EMPTY_PATH)) return CallError{t.path == 0 ? EFAULT : ENOENT};
    fd_ref = t.dirfd;
  } else {
    auto loc = locate(c.ctx, c.caller, raw, t.dirfd, !(t.at_flags & AT_SYMLINK_NOFOLLOW));
    if (!loc.ok()) return CallError{loc.err};
    Location& l = loc.value;
    if (l.fd_ref >= 0) {
      fd_ref = l.fd_ref;
      aliases = l.aliases;
    } else {
      if (l.type == EntryType::Missing) return CallError{ENOENT};
      j.where = l.canonical();
      const bool device = S_ISCHR(l.st.st_mode) || S_ISBLK(l.st.st_mode);
      WriteVerdict v = judge_attribute_change(c.ctx.policy, l.place(j.where), device);
      if (v.allowed) {
        GitCheck g = check_git(c.ctx, l.place(j.where), GitOp::Write, l.type == EntryType::Dir);
        if (g.kind == GitVerdict::Kind::Refuse) v = {false, EACCES, g.reason};
      }
      if (!v.allowed) return c.refuse(v, what, j.where);
      if (l.type == EntryType::Symlink) return CallError{EPERM};
      j.pin.reset(::openat(l.parent.get(), l.name_or_dot(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!j.pin.valid()) return CallError{errno};
      struct stat st;
      if (::fstat(j.pin.get(), &st) != 0) return CallError{errno};
      if (st.st_dev != l.st.st_dev || st.st_ino != l.st.st_ino) return CallError{ENOENT};
    }
  }
  if (fd_ref >= 0) {
    auto f = examine_fd(c.ctx, c.caller, fd_ref);
    if (!f.ok()) return CallError{f.err};
    FdTarget& ft = f.value;
    j.where = ft.reachable ? ft.path : "(a descriptor)";
    Place p;
    p.type = ft.type();
    p.aliases = aliases;
    bool named = S_ISREG(ft.st.st_mode) || S_ISDIR(ft.st.st_mode) || S_ISLNK(ft.st.st_mode);
    const bool device = S_ISCHR(ft.st.st_mode) || S_ISBLK(ft.st.st_mode);
    if (device && !ft.private_mount) {
      Place host_device;
      host_device.type = ft.type();
      WriteVerdict v = judge_attribute_change(c.ctx.policy, host_device, true);
      return c.refuse(v, what, j.where);
    }
    if (!named || ft.private_mount || ft.unlinked) {
      p.private_mount = true;
    } else if (ft.reachable) {
      p.path = ft.path;
    } else {
      return c.refuse({false, EACCES, "not reachable in the sandbox's view"}, what, j.where);
    }
    WriteVerdict v = judge_write(c.ctx.policy, p);
    if (v.allowed && !p.private_mount) {
      GitCheck g = check_git(c.ctx, p, GitOp::Write, S_ISDIR(ft.st.st_mode));
      if (g.kind == GitVerdict::Kind::Refuse) v = {false, EACCES, g.reason};
    }
    if (!v.allowed) return c.refuse(v, what, j.where);
    if (S_ISLNK(ft.st.st_mode)) return CallError{EPERM};
    j.pin = std::move(ft.fd);
  }
  if (!c.caller.still_valid()) return CallError{ENOENT};
  return j;
}

std::string proc_fd(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

}  // namespace

Out<long> do_setxattr(Call& c, XattrTarget t, uint64_t name_addr, uint64_t value_addr, size_t size,
                      int flags) {
  auto name = read_name(c, name_addr);
  if (!name.ok()) return CallError{name.err};
  if (size > kXattrSizeMax) return CallError{E2BIG};
  auto value = c.caller.read_bytes(value_addr, size);
  if (!value.ok()) return CallError{value.err};
  auto j = judged_target(c, t, "setxattr");
  if (!j.ok()) return CallError{j.err};
  // Through /proc/self/fd: the judged inode, whatever is at its name now.
  if (::setxattr(proc_fd(j.value.pin.get()).c_str(), name.value.c_str(), value.value.data(), size,
                 flags) != 0)
    return CallError{errno};
  return 0L;
}

Out<long> do_removexattr(Call& c, XattrTarget t, uint64_t name_addr) {
  auto name = read_name(c, name_addr);
  if (!name.ok()) return CallError{name.err};
  auto j = judged_target(c, t, "removexattr");
  if (!j.ok()) return CallError{j.err};
  if (::removexattr(proc_fd(j.value.pin.get()).c_str(), name.value.c_str()) != 0)
    return CallError{errno};
  return 0L;
}

}  // namespace paddock::mediator
