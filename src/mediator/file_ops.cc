// The file calls the mediator performs for the sandbox: open for writing, create, link, rename,
// truncate, chmod, unlink. Each one is judged on where it lands (mediator/locate) and then done
// through descriptors pinned during the judgement: a final symlink is never followed by the
// kernel, an existing entry is acted on only when it is the inode that was judged, and a call
// that may wait (a FIFO, a lease) is finished by a worker.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "mediator/call.h"
#include "mediator/controlling_tty.h"
#include "mediator/git_rules.h"
#include "mediator/locate.h"
#include "policy/paths.h"

namespace paddock::mediator {

namespace {

// Concurrent changes to the tree (another thread, another sandbox on the same project) can make
// an entry appear or vanish between the judgement and the act; the call is then judged again.
constexpr int kAttempts = 4;
// Not an errno: "judge this call again".
constexpr int kRetry = 100000;

// Our copy of the path argument, where it lands, and the check that the caller still waits
// (its pid was not reused meanwhile).
Out<Location> locate_arg(Call& c, uint64_t path_addr, int dirfd, bool follow) {
  auto path = c.caller.read_string(path_addr);
  if (!path.ok()) return CallError{path.err};
  auto loc = locate(c.ctx, c.caller, path.value, dirfd, follow);
  if (!loc.ok()) return CallError{loc.err};
  if (!c.caller.still_valid()) return CallError{ENOENT};
  return std::move(loc.value);
}

bool same_inode(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// An O_PATH descriptor of the entry itself (never its symlink target), checked to be the inode
// that was judged.
Out<UniqueFd> pin_entry(const Location& l) {
  UniqueFd pin(::openat(l.parent.get(), l.name_or_dot(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!pin.valid()) return CallError{errno};
  struct stat st;
  if (::fstat(pin.get(), &st) != 0) return CallError{errno};
  if (!same_inode(st, l.st)) return CallError{kRetry};
  return pin;
}

std::string proc_fd(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

bool directory_is_empty(int dirfd) {
  char buf[1024];
  for (;;) {
    long n = ::syscall(SYS_getdents64, dirfd, buf, sizeof buf);
    if (n <= 0) return n == 0;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<const struct dirent64*>(buf + off);
      std::string_view name = d->d_name;
      if (name != "." && name != "..") return false;
      off += d->d_reclen;
    }
  }
}

// The verdict on one of the caller's own descriptors. Judged by where the sandbox's tree holds
// that inode; a file with no name left protects nothing; a file the sandbox cannot reach by any
// path (a host file passed in on stdin) is not changed through a look-alike path.
WriteVerdict judge_fd_target(const Context& ctx, const FdTarget& t,
                             const std::vector<std::string>& aliases) {
  mode_t fmt = t.st.st_mode & S_IFMT;
  bool named_kind =
      fmt == S_IFREG || fmt == S_IFDIR || fmt == S_IFLNK || fmt == S_IFCHR || fmt == S_IFBLK;
  Place p;
  p.type = t.type();
  p.private_mount = t.private_mount;
  p.aliases = aliases;
  if (!named_kind || t.private_mount || t.unlinked) {
    p.private_mount = true;  // nothing to protect; aliases are still judged
    return judge_write(ctx.policy, p);
  }
  if (!t.reachable) return {false, EACCES, "not reachable in the sandbox's view"};
  p.path = t.path;
  return judge_write(ctx.policy, p);
}

// The git rules (mediator/git_rules) as a write verdict. `out` keeps the control of the
// canonical path (a call that completes a gitdir adopts it afterwards).
WriteVerdict judge_git(Call& c, const Place& at, GitOp op, bool is_dir, GitCheck* out = nullptr) {
  GitCheck g = check_git(c.ctx, at, op, is_dir);
  if (out) *out = g;
  if (g.kind == GitVerdict::Kind::Refuse) return {false, EACCES, g.reason};
  return {};
}

// After a call that made a new entry: if its name completed a gitdir, adopt it.
void after_create(Call& c, const GitCheck& g) {
  if (g.control.role == GitRole::Completing) adopt_if_gitdir(c.ctx, g.control.gitdir);
}

// The place a caller's descriptor stands for, for the git rules: only a reachable one has a
// path to judge.
Place fd_place(const FdTarget& t) {
  Place p;
  p.type = t.type();
  p.private_mount = t.private_mount || t.unlinked || !t.reachable;
  if (t.reachable) p.path = t.path;
  return p;
}

// Opening a FIFO waits for the other end, unless O_NONBLOCK or O_RDWR: a worker does that.
bool open_may_wait(mode_t mode, int flags) {
  return S_ISFIFO(mode) && !(flags & O_NONBLOCK) && (flags & O_ACCMODE) != O_RDWR;
}

// The flags we reopen a pinned file with: the caller's, minus what was already decided.
int reopen_flags(int flags) {
  return (flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_PATH)) | O_CLOEXEC |
         O_NOCTTY;
}

// Finishes an open on a worker: reopens the pinned inode (waiting as the caller would) and
// installs the result.
Out<long> defer_open(Call& c, std::shared_ptr<UniqueFd> pin, int flags, bool truncate) {
  return c.defer([pin = std::move(pin), flags, truncate](int notify, uint64_t id) {
    UniqueFd fd(::open(proc_fd(pin->get()).c_str(), reopen_flags(flags)));
    if (!fd.valid()) return answer_error(notify, id, errno);
    struct stat st;
    if (truncate && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::ftruncate(fd.get(), 0) != 0)
      return answer_error(notify, id, errno);
    // The caller may have been killed while this waited, and its tid reused: no pinning.
    long r = answer_fd(notify, id, 0, fd.get(), flags & O_CLOEXEC);
    (void)r;  // a caller gone meanwhile: nothing waits for the answer
  });
}

Out<long> finish_open(Call& c, UniqueFd fd, int flags, bool truncate) {
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return CallError{errno};
  if (truncate && S_ISREG(st.st_mode) && ::ftruncate(fd.get(), 0) != 0) return CallError{errno};
  if (!(flags & O_NONBLOCK)) {
    int fl = ::fcntl(fd.get(), F_GETFL);
    if (fl < 0 || ::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK) != 0) return CallError{errno};
  }
  return c.send_fd(fd.get(), flags & O_CLOEXEC);
}

// /dev/tty, under any name: the caller's controlling terminal, not ours (controlling_tty.h).
Out<long> open_controlling(Call& c, int flags) {
  auto fd = open_controlling_tty(c.caller, c.ctx.root.get(), flags);
  if (!fd.ok()) return CallError{fd.err};
  return finish_open(c, std::move(fd.value), flags, false);
}

// open("/proc/self/fd/N") and /dev/stdout: the caller's own descriptor, opened again.
Out<long> reopen_fd(Call& c, int theirs, int flags, const std::vector<std::string>& aliases) {
  auto t = examine_fd(c.ctx, c.caller, theirs);
  if (!t.ok()) return CallError{t.err == EBADF ? ENOENT : t.err};
  if (!c.caller.still_valid()) return CallError{ENOENT};
  FdTarget& f = t.value;
  bool wants_write = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
  int theirs_flags = ::fcntl(f.fd.get(), F_GETFL);
  // Reopening what the caller can already write through (its stdout redirected to a log file)
  // gains nothing; anything else is judged by where the file is.
  bool already_writable =
      theirs_flags >= 0 && !(theirs_flags & O_PATH) && (theirs_flags & O_ACCMODE) != O_RDONLY;
  if (wants_write && !already_writable) {
    WriteVerdict v = judge_fd_target(c.ctx, f, aliases);
    if (v.allowed) {
      Place p = fd_place(f);
      p.aliases = aliases;
      v = judge_git(c, p, GitOp::Write, false);
    }
    if (!v.allowed)
      return c.refuse(v, "write", f.reachable ? f.path : "fd " + std::to_string(theirs));
  }
  bool truncate = (flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY;
  if (names_controlling_tty(f.st)) return open_controlling(c, flags);
  if (open_may_wait(f.st.st_mode, flags)) {
    auto pin = std::make_shared<UniqueFd>(std::move(f.fd));
    return defer_open(c, pin, flags, truncate);
  }
  UniqueFd fd(::open(f.proc_path().c_str(), reopen_flags(flags) | O_NONBLOCK));
  if (!fd.valid()) return CallError{errno};
  return finish_open(c, std::move(fd), flags, truncate);
}

Out<long> open_once(Call& c, const Location& l, int flags, mode_t mode) {
  std::string where = l.canonical();
  Place at = l.place(where);
  WriteVerdict v = judge_write(c.ctx.policy, at);
  GitCheck git;
  if (v.allowed && !(flags & __O_TMPFILE))
    v = judge_git(c, at, l.type == EntryType::Missing ? GitOp::Create : GitOp::Write, false, &git);
  if (!v.allowed) {
    if ((flags & O_CREAT) && (flags & O_EXCL) && l.type != EntryType::Missing)
      return CallError{EEXIST};
    return c.refuse(v, (flags & O_CREAT) && l.type == EntryType::Missing ? "create" : "write",
                    where);
  }
  bool truncate = (flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY;
  if (l.type == EntryType::Missing) {
    if (!(flags & (O_CREAT | __O_TMPFILE))) return CallError{ENOENT};
    // Set-id bits never come out of the sandbox: a setuid copy of a shell left in the project
    // would hand the user's identity (or root) to whoever runs it later.
    mode_t um = c.caller.umask();
    std::string name = l.name + (l.trailing_slash ? "/" : "");
    // A new file has no lease and is no FIFO: the caller's O_NONBLOCK is kept as it asked.
    int oflags =
        (flags & ~(O_CLOEXEC | O_TRUNC)) | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
    UniqueFd fd(::openat(l.parent.get(), name.c_str(), oflags, mode & ~um & 01777));
    if (!fd.valid()) return CallError{errno == EEXIST && !(flags & O_EXCL) ? kRetry : errno};
    after_create(c, git);
    c.ctx.records.created_file(fd.get());
    return c.send_fd(fd.get(), flags & O_CLOEXEC);
  }
  if (l.name.empty() && !(flags & __O_TMPFILE)) return CallError{EISDIR};
  if ((flags & O_CREAT) && (flags & O_EXCL)) return CallError{EEXIST};
  if (l.type == EntryType::Symlink) return CallError{ELOOP};  // O_NOFOLLOW on a symlink
  if (names_controlling_tty(l.st)) return open_controlling(c, flags);
  auto pin = pin_entry(l);
  if (!pin.ok()) return CallError{pin.err == ENOENT ? kRetry : pin.err};
  if (open_may_wait(l.st.st_mode, flags))
    return defer_open(c, std::make_shared<UniqueFd>(std::move(pin.value)), flags, truncate);
  if (flags & __O_TMPFILE) {
    // An unnamed file in the judged directory.
    mode_t um = c.caller.umask();
    UniqueFd fd(::openat(pin.value.get(), ".", (flags & ~O_CLOEXEC) | O_CLOEXEC | O_NOCTTY,
                         mode & ~um & 01777));
    if (!fd.valid()) return CallError{errno};
    return finish_open(c, std::move(fd), flags, false);
  }
  // Through the pinned inode: whatever was renamed in at that name since, this opens what was
  // judged.
  UniqueFd fd(::open(proc_fd(pin.value.get()).c_str(), reopen_flags(flags) | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == EWOULDBLOCK && !(flags & O_NONBLOCK))  // a lease: its holder is notified
      return defer_open(c, std::make_shared<UniqueFd>(std::move(pin.value)), flags, truncate);
    return CallError{errno};
  }
  return finish_open(c, std::move(fd), flags, truncate);
}

bool device_node(const struct stat& st) {
  return S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode);
}

Out<long> chmod_fd_target(Call& c, FdTarget& t, mode_t mode,
                          const std::vector<std::string>& aliases) {
  WriteVerdict v = judge_fd_target(c.ctx, t, aliases);
  std::string where = t.reachable ? t.path : "(a descriptor)";
  if (v.allowed) {
    Place p = fd_place(t);
    p.aliases = aliases;
    v = judge_git(c, p, GitOp::Chmod, S_ISDIR(t.st.st_mode));
  }
  if (!v.allowed) return c.refuse(v, "chmod", where);
  if (device_node(t.st)) {
    Place p;
    p.path = where;
    p.type = t.type();
    p.private_mount = t.private_mount;
    v = judge_attribute_change(c.ctx.policy, p, true);
    if (!v.allowed) return c.refuse(v, "chmod", where);
  }
  if (S_ISLNK(t.st.st_mode)) return CallError{EOPNOTSUPP};
  if (!S_ISDIR(t.st.st_mode) && (mode & (S_ISUID | S_ISGID)))
    return c.refuse({false, EPERM, "set-id bits"}, "chmod", where);
  // chmod through /proc/self/fd works for O_PATH descriptors too (glibc's fchmodat with
  // AT_SYMLINK_NOFOLLOW, tar -p, Python's follow_symlinks=False rely on it).
  if (::chmod(t.proc_path().c_str(), mode & 07777) != 0) return CallError{errno};
  return 0L;
}

}  // namespace

Out<long> Call::send_fd(int fd, bool cloexec) {
  long r = answer_fd(ctx.notify_fd(), caller.id(), caller.tid(), fd, cloexec);
  if (r < 0) return CallError{r == -ENOENT ? EINTR : int(-r)};
  answered = true;
  return r;
}

Out<long> Call::defer(std::function<void(int notify_fd, uint64_t id)> job) {
  auto notify = ctx.notify;
  uint64_t id = caller.id();
  bool ok = ctx.workers->submit([notify, id, job = std::move(job)] { job(notify->get(), id); });
  if (!ok) return CallError{EAGAIN};
  answered = true;
  return 0L;
}

Out<long> do_open(Call& c, int dirfd, uint64_t path_addr, int flags, mode_t mode) {
  auto path = c.caller.read_string(path_addr);
  if (!path.ok()) return CallError{path.err};
  bool follow = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
  for (int attempt = 0;; ++attempt) {
    auto loc = locate(c.ctx, c.caller, path.value, dirfd, follow);
    if (!loc.ok()) return CallError{loc.err};
    if (!c.caller.still_valid()) return CallError{ENOENT};
    Location& l = loc.value;
    if (l.fd_ref >= 0) return reopen_fd(c, l.fd_ref, flags, l.aliases);
    auto r = open_once(c, l, flags, mode);
    if (r.err != kRetry) return r;
    if (attempt + 1 >= kAttempts) return CallError{EAGAIN};
  }
}

Out<long> do_mknod(Call& c, int dirfd, uint64_t path_addr, mode_t mode, dev_t dev) {
  mode_t fmt = mode & S_IFMT;
  if (fmt == 0) fmt = S_IFREG;
  if (fmt != S_IFREG && fmt != S_IFIFO && fmt != S_IFSOCK && fmt != S_IFDIR && fmt != S_IFCHR &&
      fmt != S_IFBLK)
    return CallError{EINVAL};
  auto loc = locate_arg(c, path_addr, dirfd, false);
  if (!loc.ok()) return CallError{loc.err};
  Location& l = loc.value;
  std::string where = l.canonical();
  // Device nodes (a whiteout, 0:0, is one too) are never made: nothing in a project needs
  // one, and a node left behind opens a device for whoever uses the tree next.
  if (fmt == S_IFCHR || fmt == S_IFBLK)
    return c.refuse({false, EPERM, "device node"}, "mknod", where);
  if (l.fd_ref >= 0 || l.name.empty() || l.type != EntryType::Missing) return CallError{EEXIST};
  Place at = l.place(where);
  WriteVerdict v =
      fmt == S_IFDIR ? judge_write(c.ctx.policy, at) : judge_special_create(c.ctx.policy, at);
  GitCheck git;
  if (v.allowed) v = judge_git(c, at, GitOp::Create, fmt == S_IFDIR, &git);
  if (!v.allowed) return c.refuse(v, fmt == S_IFDIR ? "mkdir" : "mknod", where);
  mode_t um = c.caller.umask();
  int r = fmt == S_IFDIR ? ::mkdirat(l.parent.get(), l.name.c_str(), mode & 07777 & ~um)
                         : ::mknodat(l.parent.get(), l.name.c_str(), fmt | (mode & 01777 & ~um), 0);
  (void)dev;
  if (r != 0) return CallError{errno};
  if (fmt == S_IFDIR && l.name == ".git" && !l.private_mount) {
    struct stat st;
    if (::fstatat(l.parent.get(), ".git", &st, AT_SYMLINK_NOFOLLOW) == 0)
      c.ctx.records.created_gitdir(st.st_dev, st.st_ino);
  }
  after_create(c, git);
  return 0L;
}

Out<long> do_symlink(Call& c, uint64_t target_addr, int dirfd, uint64_t path_addr) {
  auto target = c.caller.read_string(target_addr);
  if (!target.ok()) return CallError{target.err};
  auto loc = locate_arg(c, path_addr, dirfd, false);
  if (!loc.ok()) return CallError{loc.err};
  Location& l = loc.value;
  if (l.fd_ref >= 0 || l.name.empty() || l.type != EntryType::Missing) return CallError{EEXIST};
  std::string where = l.canonical();
  Place at = l.place(where);
  WriteVerdict v = judge_special_create(c.ctx.policy, at);
  GitCheck git;
  if (v.allowed) v = judge_git(c, at, GitOp::Create, false, &git);
  if (!v.allowed) return c.refuse(v, "symlink", where);
  if (::symlinkat(target.value.c_str(), l.parent.get(), l.name.c_str()) != 0)
    return CallError{errno};
  after_create(c, git);
  return 0L;
}

Out<long> do_link(Call& c, int olddirfd, uint64_t old_addr, int newdirfd, uint64_t new_addr,
                  int flags) {
  auto oldp = c.caller.read_string(old_addr);
  if (!oldp.ok()) return CallError{oldp.err};
  auto dst = locate_arg(c, new_addr, newdirfd, false);
  if (!dst.ok()) return CallError{dst.err};
  Location& d = dst.value;
  if (d.fd_ref >= 0) return CallError{EXDEV};
  if (d.name.empty() || d.type != EntryType::Missing) return CallError{EEXIST};
  std::string dwhere = d.canonical();
  Place dplace = d.place(dwhere);

  int src_fd = -1;
  std::vector<std::string> src_aliases;
  if ((flags & AT_EMPTY_PATH) && oldp.value.empty()) {
    src_fd = olddirfd;
  } else {
    auto src = locate(c.ctx, c.caller, oldp.value, olddirfd, (flags & AT_SYMLINK_FOLLOW) != 0);
    if (!src.ok()) return CallError{src.err};
    if (!c.caller.still_valid()) return CallError{ENOENT};
    Location& s = src.value;
    if (s.fd_ref >= 0) {
      // linkat("/proc/self/fd/N", AT_SYMLINK_FOLLOW): how an O_TMPFILE gets its name.
      if (!(flags & AT_SYMLINK_FOLLOW)) return CallError{EXDEV};
      src_fd = s.fd_ref;
      src_aliases = s.aliases;
    } else {
      if (s.name.empty()) return CallError{EPERM};
      if (s.type == EntryType::Missing) return CallError{ENOENT};
      std::string swhere = s.canonical();
      Place splace0 = s.place(swhere);
      WriteVerdict v = judge_link(c.ctx.policy, splace0, dplace);
      // A second name for a control file would be a way to write it.
      if (v.allowed) v = judge_git(c, splace0, GitOp::Write, false);
      GitCheck git;
      if (v.allowed) v = judge_git(c, dplace, GitOp::LinkTo, false, &git);
      if (!v.allowed) return c.refuse(v, "link", dwhere);
      if (::linkat(s.parent.get(), s.name.c_str(), d.parent.get(), d.name.c_str(), 0) != 0)
        return CallError{errno};
      after_create(c, git);
      return 0L;
    }
  }
  auto t = examine_fd(c.ctx, c.caller, src_fd);
  if (!t.ok()) return CallError{t.err};
  if (!c.caller.still_valid()) return CallError{ENOENT};
  FdTarget& f = t.value;
  Place splace;
  splace.type = f.type();
  splace.aliases = src_aliases;
  if (f.private_mount || f.unlinked) {
    splace.private_mount = true;
  } else if (f.reachable) {
    splace.path = f.path;
  } else {
    return c.refuse({false, EACCES, "source not reachable in the sandbox's view"}, "link", dwhere);
  }
  WriteVerdict v = judge_link(c.ctx.policy, splace, dplace);
  if (v.allowed) v = judge_git(c, splace, GitOp::Write, false);
  GitCheck git;
  if (v.allowed) v = judge_git(c, dplace, GitOp::LinkTo, false, &git);
  if (!v.allowed) return c.refuse(v, "link", dwhere);
  if (::linkat(AT_FDCWD, f.proc_path().c_str(), d.parent.get(), d.name.c_str(),
               AT_SYMLINK_FOLLOW) != 0)
    return CallError{errno};
  after_create(c, git);
  return 0L;
}

Out<long> do_rename(Call& c, int olddirfd, uint64_t old_addr, int newdirfd, uint64_t new_addr,
                    unsigned flags) {
  auto src = locate_arg(c, old_addr, olddirfd, false);
  if (!src.ok()) return CallError{src.err};
  auto dst = locate_arg(c, new_addr, newdirfd, false);
  if (!dst.ok()) return CallError{dst.err};
  Location& s = src.value;
  Location& d = dst.value;
  if (s.fd_ref >= 0 || d.fd_ref >= 0) return CallError{EXDEV};
  if (s.name.empty() || d.name.empty()) return CallError{EBUSY};
  if (s.type == EntryType::Missing) return CallError{ENOENT};
  std::string swhere = s.canonical(), dwhere = d.canonical();
  // RENAME_WHITEOUT leaves a 0:0 character device where the source was.
  if (flags & RENAME_WHITEOUT)
    return c.refuse({false, EPERM, "whiteout (a device node)"}, "rename " + swhere + " to", dwhere);
  Place sp = s.place(swhere), dp = d.place(dwhere);
  bool sdir = s.type == EntryType::Dir, ddir = d.type == EntryType::Dir;
  sp.created_in_run =
      s.name == ".git" && sdir && c.ctx.records.is_created_gitdir(s.st.st_dev, s.st.st_ino);
  bool exchange = flags & RENAME_EXCHANGE;
  WriteVerdict v = judge_rename(c.ctx.policy, sp, dp, sdir);
  if (v.allowed && exchange) v = judge_rename(c.ctx.policy, dp, sp, ddir);
  GitCheck sgit, dgit;
  if (v.allowed) v = judge_git(c, sp, exchange ? GitOp::Exchange : GitOp::RenameFrom, sdir, &sgit);
  if (v.allowed) v = judge_git(c, dp, exchange ? GitOp::Exchange : GitOp::RenameTo, sdir, &dgit);
  if (!v.allowed) return c.refuse(v, "rename " + swhere + " to", dwhere);
  // A config or todo list: our checked copy is installed instead.
  if (dgit.kind == GitVerdict::Kind::Install) return install_checked(c, s, d, dgit.control, flags);
  if (::syscall(SYS_renameat2, s.parent.get(), s.name.c_str(), d.parent.get(), d.name.c_str(),
                flags) != 0)
    return CallError{errno};
  after_create(c, dgit);
  if (exchange) after_create(c, sgit);
  return 0L;
}

Out<long> do_truncate(Call& c, uint64_t path_addr, off_t len) {
  auto loc = locate_arg(c, path_addr, AT_FDCWD, true);
  if (!loc.ok()) return CallError{loc.err};
  Location& l = loc.value;
  UniqueFd target;  // O_PATH of the file to truncate
  std::string where;
  if (l.fd_ref >= 0) {
    auto t = examine_fd(c.ctx, c.caller, l.fd_ref);
    if (!t.ok()) return CallError{t.err == EBADF ? ENOENT : t.err};
    WriteVerdict v = judge_fd_target(c.ctx, t.value, l.aliases);
    where = t.value.reachable ? t.value.path : "(a descriptor)";
    if (v.allowed) {
      Place p = fd_place(t.value);
      p.aliases = l.aliases;
      v = judge_git(c, p, GitOp::Write, false);
    }
    if (!v.allowed) return c.refuse(v, "truncate", where);
    if (S_ISDIR(t.value.st.st_mode)) return CallError{EISDIR};
    if (!S_ISREG(t.value.st.st_mode)) return CallError{EINVAL};
    target = std::move(t.value.fd);
  } else {
    if (l.name.empty()) return CallError{EISDIR};
    if (l.type == EntryType::Missing) return CallError{ENOENT};
    where = l.canonical();
    WriteVerdict v = judge_write(c.ctx.policy, l.place(where));
    if (v.allowed) v = judge_git(c, l.place(where), GitOp::Write, false);
    if (!v.allowed) return c.refuse(v, "truncate", where);
    if (l.type == EntryType::Dir) return CallError{EISDIR};
    if (l.type != EntryType::File) return CallError{EINVAL};
    auto pin = pin_entry(l);
    if (!pin.ok()) return CallError{pin.err == kRetry ? ENOENT : pin.err};
    target = std::move(pin.value);
  }
  UniqueFd fd(::open(proc_fd(target.get()).c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) {
    if (errno == EWOULDBLOCK) {  // a lease on the file: wait for its holder on a worker
      auto pin = std::make_shared<UniqueFd>(std::move(target));
      return c.defer([pin, len](int notify, uint64_t id) {
        UniqueFd w(::open(proc_fd(pin->get()).c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY));
        if (!w.valid()) return answer_error(notify, id, errno);
        if (::ftruncate(w.get(), len) != 0) return answer_error(notify, id, errno);
        answer_value(notify, id, 0);
      });
    }
    return CallError{errno};
  }
  if (::ftruncate(fd.get(), len) != 0) return CallError{errno};
  return 0L;
}

Out<long> do_chmod(Call& c, int dirfd, uint64_t path_addr, mode_t mode, int flags) {
  auto path = c.caller.read_string(path_addr);
  if (!path.ok()) return CallError{path.err};
  if ((flags & AT_EMPTY_PATH) && path.value.empty()) return do_fchmod(c, dirfd, mode);
  auto loc = locate(c.ctx, c.caller, path.value, dirfd, !(flags & AT_SYMLINK_NOFOLLOW));
  if (!loc.ok()) return CallError{loc.err};
  if (!c.caller.still_valid()) return CallError{ENOENT};
  Location& l = loc.value;
  if (l.fd_ref >= 0) {
    auto t = examine_fd(c.ctx, c.caller, l.fd_ref);
    if (!t.ok()) return CallError{t.err == EBADF ? ENOENT : t.err};
    return chmod_fd_target(c, t.value, mode, l.aliases);
  }
  if (l.type == EntryType::Missing) return CallError{ENOENT};
  auto pin = pin_entry(l);
  if (!pin.ok()) return CallError{pin.err == kRetry ? ENOENT : pin.err};
  std::string where = l.canonical();
  WriteVerdict v = judge_attribute_change(c.ctx.policy, l.place(where), device_node(l.st));
  if (v.allowed) v = judge_git(c, l.place(where), GitOp::Chmod, l.type == EntryType::Dir);
  if (!v.allowed) return c.refuse(v, "chmod", where);
  if (l.type == EntryType::Symlink) return CallError{EOPNOTSUPP};
  if (l.type != EntryType::Dir && (mode & (S_ISUID | S_ISGID)))
    return c.refuse({false, EPERM, "set-id bits"}, "chmod", where);
  if (::chmod(proc_fd(pin.value.get()).c_str(), mode & 07777) != 0) return CallError{errno};
  return 0L;
}

Out<long> do_fchmod(Call& c, int fd, mode_t mode) {
  // A file this run just created (tar and cp set modes right after the create): it was judged
  // then, and no allowed rename or link moves it into a protected place since.
  if (!(mode & (S_ISUID | S_ISGID))) {
    auto theirs = c.caller.fd(fd);
    if (!theirs.ok()) return CallError{theirs.err};
    if (c.ctx.records.is_created_file(theirs.value.get())) {
      if (!c.caller.still_valid()) return CallError{ENOENT};
      if (::fchmod(theirs.value.get(), mode & 07777) != 0) return CallError{errno};
      return 0L;
    }
  }
  auto t = examine_fd(c.ctx, c.caller, fd);
  if (!t.ok()) return CallError{t.err};
  if (!c.caller.still_valid()) return CallError{ENOENT};
  return chmod_fd_target(c, t.value, mode, {});
}

Out<long> do_unlink(Call& c, int dirfd, uint64_t path_addr, int flags) {
  auto loc = locate_arg(c, path_addr, dirfd, false);
  if (!loc.ok()) return CallError{loc.err};
  Location& l = loc.value;
  if (l.fd_ref >= 0) return CallError{EACCES};
  bool dir = flags & AT_REMOVEDIR;
  if (l.name.empty()) return CallError{dir ? EINVAL : EISDIR};
  if (l.type == EntryType::Missing) return CallError{ENOENT};
  std::string where = l.canonical();
  Place at = l.place(where);
  at.created_in_run = l.name == ".git" && l.type == EntryType::Dir &&
                      c.ctx.records.is_created_gitdir(l.st.st_dev, l.st.st_ino);
  if (dir && l.name == ".git" && l.type == EntryType::Dir && !at.created_in_run &&
      !l.private_mount) {
    // The user's repository stays. An rmdir of it fails as the kernel would fail it (git
    // tries this while cleaning up empty directories): no refusal to report. An empty .git
    // is no repository and may go.
    UniqueFd d(::openat(l.parent.get(), ".git", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (d.valid() && !directory_is_empty(d.get())) return CallError{ENOTEMPTY};
    at.created_in_run = d.valid();
  }
  WriteVerdict v = judge_remove(c.ctx.policy, at);
  if (v.allowed) v = judge_git(c, at, GitOp::Remove, dir);
  if (!v.allowed) return c.refuse(v, dir ? "rmdir" : "unlink", where);
  if (::unlinkat(l.parent.get(), l.name.c_str(), dir ? AT_REMOVEDIR : 0) != 0)
    return CallError{errno};
  if (!dir) c.ctx.records.forget_file(l.st.st_dev, l.st.st_ino);
  return 0L;
}

}  // namespace paddock::mediator
