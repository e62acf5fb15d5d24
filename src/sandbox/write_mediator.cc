#include "sandbox/write_mediator.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "base/kernel_abi.h"
#include "policy/paths.h"
#include "policy/write_judge.h"

namespace paddock {

namespace {

constexpr int kMaxSymlinks = 40;

// A refusal or failure returned to the caller as -errno.
struct CallError {
  int err;
};

template <class T>
struct Out {
  std::optional<T> value;
  int err = 0;
  Out(T v) : value(std::move(v)) {}  // NOLINT
  Out(CallError e) : err(e.err) {}   // NOLINT
  bool ok() const { return value.has_value(); }
};

std::optional<std::string> link_of(const std::string& proc_path) {
  char buf[PATH_MAX + 1];
  ssize_t n = ::readlink(proc_path.c_str(), buf, PATH_MAX);
  if (n <= 0) return std::nullopt;
  return std::string(buf, size_t(n));
}

std::optional<std::string> path_of_fd(int fd) {
  return link_of("/proc/self/fd/" + std::to_string(fd));
}

// readlink of an fd whose file was unlinked ends in " (deleted)": drop it, say whether it did.
bool strip_deleted(std::string& path) {
  constexpr std::string_view kSuffix = " (deleted)";
  if (path.size() <= kSuffix.size() ||
      path.compare(path.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
    return false;
  path.resize(path.size() - kSuffix.size());
  return true;
}

EntryType type_of(mode_t m) {
  if (S_ISDIR(m)) return EntryType::Dir;
  if (S_ISREG(m)) return EntryType::File;
  if (S_ISLNK(m)) return EntryType::Symlink;
  if (S_ISSOCK(m)) return EntryType::Socket;
  return EntryType::Other;
}

// Where a path lands: a pinned parent directory plus one final name (or an fd of the caller's
// named through /proc/self/fd/N).
struct Location {
  UniqueFd parent;
  std::string parent_path;  // canonical, sandbox view
  std::string name;         // empty when the path names a directory itself ("." / "/")
  bool trailing_slash = false;
  EntryType type = EntryType::Missing;
  mode_t mode = 0;
  int fd_ref = -1;  // >= 0: the caller's own fd (/proc/self/fd/N, /dev/stdout)
  std::string canonical() const {
    return name.empty() ? parent_path : join_path(parent_path, name);
  }
};

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// A gitfile is acceptable only as `git worktree add` writes it: "gitdir: R/.git/worktrees/NAME"
// where R/.git is a real repository directory and the entry's commondir leads back to it.
// Anything else would point host git at a directory whose config and hooks the sandbox wrote.
bool gitfile_is_worktree_link(const std::string& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return errno == ENOENT;  // removed again: nothing left to judge
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 4096) return false;
  char buf[4097];
  ssize_t n = ::read(fd.get(), buf, 4096);
  if (n <= 8) return false;
  std::string text(buf, size_t(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.rfind("gitdir: ", 0) != 0 || text.find('\n') != std::string::npos) return false;
  std::string target = text.substr(8);
  if (target.empty()) return false;
  if (target[0] != '/') target = parent_path(file) + "/" + target;
  char real[PATH_MAX];
  if (::realpath(target.c_str(), real) == nullptr) return false;
  auto comps = path_components(real);
  size_t k = comps.size();
  if (k < 3 || comps[k - 3] != ".git" || comps[k - 2] != "worktrees") return false;
  std::string common = std::string(real) + "/commondir";
  UniqueFd cfd(::open(common.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!cfd.valid()) return false;
  char cbuf[256];
  ssize_t cn = ::read(cfd.get(), cbuf, sizeof cbuf);
  if (cn <= 0) return false;
  std::string c(cbuf, size_t(cn));
  while (!c.empty() && (c.back() == '\n' || c.back() == '\r')) c.pop_back();
  return c == "../..";
}

}  // namespace

class MediatorRequest {
 public:
  MediatorRequest(WriteMediator& m, const seccomp_notif& req) : m_(m), req_(req) {}

  // Returns true when the response was already sent (ADDFD with SEND).
  bool serve(seccomp_notif_resp& resp) {
    resp.id = req_.id;
    resp.val = 0;
    resp.error = 0;
    resp.flags = 0;
    Out<long> r = dispatch();
    if (r.ok()) {
      if (sent_) return true;
      resp.val = *r.value;
    } else {
      resp.error = -r.err;
    }
    return false;
  }

 private:
  using Args = decltype(seccomp_data::args);
  const Args& a() const { return req_.data.args; }

  Out<long> dispatch() {
    const auto& x = a();
    switch (req_.data.nr) {
      case SYS_open:
        return do_open(AT_FDCWD, x[0], int(x[1]), mode_t(x[2]));
      case SYS_openat:
        return do_open(int(x[0]), x[1], int(x[2]), mode_t(x[3]));
      case SYS_creat:
        return do_open(AT_FDCWD, x[0], O_CREAT | O_WRONLY | O_TRUNC, mode_t(x[1]));
      case SYS_mkdir:
        return do_mknod(AT_FDCWD, x[0], S_IFDIR | (mode_t(x[1]) & 07777), 0);
      case SYS_mkdirat:
        return do_mknod(int(x[0]), x[1], S_IFDIR | (mode_t(x[2]) & 07777), 0);
      case SYS_mknod:
        return do_mknod(AT_FDCWD, x[0], mode_t(x[1]), dev_t(x[2]));
      case SYS_mknodat:
        return do_mknod(int(x[0]), x[1], mode_t(x[2]), dev_t(x[3]));
      case SYS_symlink:
        return do_symlink(x[0], AT_FDCWD, x[1]);
      case SYS_symlinkat:
        return do_symlink(x[0], int(x[1]), x[2]);
      case SYS_link:
        return do_link(AT_FDCWD, x[0], AT_FDCWD, x[1], 0);
      case SYS_linkat:
        return do_link(int(x[0]), x[1], int(x[2]), x[3], int(x[4]));
      case SYS_rename:
        return do_rename(AT_FDCWD, x[0], AT_FDCWD, x[1], 0);
      case SYS_renameat:
        return do_rename(int(x[0]), x[1], int(x[2]), x[3], 0);
      case SYS_renameat2:
        return do_rename(int(x[0]), x[1], int(x[2]), x[3], unsigned(x[4]));
      case SYS_truncate:
        return do_truncate(x[0], off_t(x[1]));
      case SYS_chmod:
        return do_chmod(AT_FDCWD, x[0], mode_t(x[1]), 0);
      case SYS_fchmodat:
        return do_chmod(int(x[0]), x[1], mode_t(x[2]), 0);
      case kabi::NR_fchmodat2:
        return do_chmod(int(x[0]), x[1], mode_t(x[2]), int(x[3]));
      case SYS_fchmod:
        return do_fchmod(int(x[0]), mode_t(x[1]));
      case SYS_unlink:
        return do_unlink(AT_FDCWD, x[0], 0);
      case SYS_unlinkat:
        return do_unlink(int(x[0]), x[1], int(x[2]));
      case SYS_rmdir:
        return do_unlink(AT_FDCWD, x[0], AT_REMOVEDIR);
      case SYS_connect:
        return do_connect(int(x[0]), x[1], socklen_t(x[2]));
      case SYS_bind:
        return do_bind(int(x[0]), x[1], socklen_t(x[2]));
      case SYS_sendto:
        return do_sendto(int(x[0]), x[1], size_t(x[2]), int(x[3]), x[4], socklen_t(x[5]));
      default:
        return CallError{ENOSYS};
    }
  }

  // --- reading the caller's state ---

  std::string proc(const std::string& rest) const {
    return "/proc/" + std::to_string(req_.pid) + "/" + rest;
  }

  // Our own copy of a NUL-terminated string from the caller's memory.
  Out<std::string> read_string(uint64_t addr) {
    if (addr == 0) return CallError{EFAULT};
    std::string out;
    char buf[512];
    while (out.size() <= PATH_MAX) {
      size_t to_page = 4096 - (addr % 4096);
      size_t want = std::min(sizeof buf, to_page);
      iovec local{buf, want};
      iovec remote{reinterpret_cast<void*>(addr), want};
      ssize_t n = ::process_vm_readv(req_.pid, &local, 1, &remote, 1, 0);
      if (n <= 0) return CallError{EFAULT};
      void* nul = std::memchr(buf, 0, size_t(n));
      if (nul != nullptr) {
        out.append(buf, size_t(static_cast<char*>(nul) - buf));
        return out;
      }
      out.append(buf, size_t(n));
      addr += uint64_t(n);
    }
    return CallError{ENAMETOOLONG};
  }

  bool still_valid() const {
    uint64_t id = req_.id;
    return ::ioctl(m_.notify_.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
  }

  // One line of /proc/PID/status, after its "Name:" key; empty when unreadable (caller gone).
  std::string status_field(const char* key) const {
    UniqueFd fd(::open(proc("status").c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return {};
    char buf[4096];
    ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    if (n <= 0) return {};
    buf[n] = 0;
    const char* k = std::strstr(buf, key);
    if (k == nullptr) return {};
    k += std::strlen(key);
    const char* e = std::strchr(k, '\n');
    return std::string(k, e ? size_t(e - k) : std::strlen(k));
  }

  mode_t caller_umask() const {
    std::string u = status_field("Umask:");
    if (u.empty()) return 022;
    return mode_t(std::strtoul(u.c_str(), nullptr, 8)) & 0777;
  }

  Out<UniqueFd> caller_fd(int fd) {
    if (!pidfd_.valid()) {
      pidfd_.reset(int(::syscall(kabi::NR_pidfd_open, req_.pid, 0)));
      if (!pidfd_.valid()) return CallError{ESRCH};
    }
    int ours = int(::syscall(kabi::NR_pidfd_getfd, pidfd_.get(), fd, 0));
    if (ours < 0) return CallError{errno == EBADF ? EBADF : errno};
    return UniqueFd(ours);
  }

  // The directory a relative path starts from, as a canonical sandbox-view path.
  Out<std::string> base_dir(int dirfd) {
    auto l =
        dirfd == AT_FDCWD ? link_of(proc("cwd")) : link_of(proc("fd/" + std::to_string(dirfd)));
    if (!l) return CallError{dirfd == AT_FDCWD ? ENOENT : EBADF};
    if (l->empty() || (*l)[0] != '/') return CallError{ENOTDIR};
    if (strip_deleted(*l)) return CallError{ENOENT};
    return *l;
  }

  // Resolves `path` in the sandbox's root. `follow`: whether a final symlink is followed.
  Out<Location> locate(const std::string& raw, int dirfd, bool follow) {
    if (raw.empty()) return CallError{ENOENT};
    std::string path = raw;
    if (path[0] != '/') {
      auto b = base_dir(dirfd);
      if (!b.ok()) return CallError{b.err};
      path = *b.value + "/" + path;
    }
    for (int hops = 0; hops <= kMaxSymlinks; ++hops) {
      // Our /dev is built by us: these names are fixed aliases of the caller's own fds.
      if (path.rfind("/dev/fd/", 0) == 0) path = "/proc/self/fd/" + path.substr(8);
      if (path == "/dev/stdin") path = "/proc/self/fd/0";
      if (path == "/dev/stdout") path = "/proc/self/fd/1";
      if (path == "/dev/stderr") path = "/proc/self/fd/2";
      if (auto fd = fd_reference(path)) {
        if (*fd < 0) return CallError{EACCES};
        Location loc;
        loc.fd_ref = *fd;
        return loc;
      }
      // Kernel knobs under /proc are not writable in the sandbox (Landlock refuses them too).
      if (path_within(normalize_path(path), "/proc")) return CallError{EACCES};
      Location loc;
      size_t end = path.size();
      while (end > 1 && path[end - 1] == '/') {
        --end;
        loc.trailing_slash = true;
      }
      std::string p = path.substr(0, end);
      size_t slash = p.find_last_of('/');
      std::string parent = slash == 0 ? "/" : p.substr(0, slash);
      std::string name = p.substr(slash + 1);
      if (name == "." || name == "..") {
        parent = p;
        name.clear();
      }
      kabi::open_how how{};
      how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
      how.resolve = kabi::RESOLVE_IN_ROOT | kabi::RESOLVE_NO_MAGICLINKS;
      int pfd = int(::syscall(kabi::NR_openat2, m_.root_.get(), parent.c_str(), &how, sizeof how));
      if (pfd < 0) return CallError{errno};
      loc.parent.reset(pfd);
      auto pp = path_of_fd(pfd);
      if (!pp || pp->empty() || (*pp)[0] != '/') return CallError{ENOENT};
      loc.parent_path = *pp;
      loc.name = name;
      if (name.empty()) {
        loc.type = EntryType::Dir;
        loc.mode = S_IFDIR;
        return loc;
      }
      struct stat st;
      if (::fstatat(pfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        loc.type = type_of(st.st_mode);
        loc.mode = st.st_mode;
      } else if (errno != ENOENT) {
        return CallError{errno};
      }
      if (loc.type != EntryType::Symlink || !(follow || loc.trailing_slash)) return loc;
      char target[PATH_MAX + 1];
      ssize_t n = ::readlinkat(pfd, name.c_str(), target, PATH_MAX);
      if (n <= 0) return CallError{EIO};
      std::string t(target, size_t(n));
      path = t[0] == '/' ? t : loc.parent_path + "/" + t;
      if (loc.trailing_slash) path += "/";
    }
    return CallError{ELOOP};
  }

  // The common start of a path call: our copy of the path, where it lands, and a check that
  // the caller is still the one waiting (its pid was not reused meanwhile).
  Out<Location> locate_argument(uint64_t path_addr, int dirfd, bool follow) {
    auto path = read_string(path_addr);
    if (!path.ok()) return CallError{path.err};
    auto loc = locate(*path.value, dirfd, follow);
    if (!loc.ok()) return CallError{loc.err};
    if (!still_valid()) return CallError{ENOENT};
    return std::move(*loc.value);
  }

  // /proc/self/fd/N and friends: -1 when it names another process's fd.
  std::optional<int> fd_reference(const std::string& path) {
    auto comps = path_components(path);
    if (comps.size() < 4 || comps[0] != "proc") return std::nullopt;
    size_t i = 2;
    if (comps.size() == 6 && comps[2] == "task") i = 4;
    if (comps.size() != i + 2 || comps[i] != "fd" || !all_digits(comps[i + 1])) return std::nullopt;
    std::string_view who = comps[1];
    if (who != "self" && who != "thread-self") {
      if (!all_digits(who)) return std::nullopt;
      if (std::string(who) != caller_ns_pid()) return -1;
    }
    return std::stoi(std::string(comps[i + 1]));
  }

  // The caller's pid in the sandbox's pid namespace (last field of NSpid).
  std::string caller_ns_pid() const {
    std::string line = status_field("NSpid:");
    size_t last = line.find_last_of(" \t");
    return last == std::string::npos ? line : line.substr(last + 1);
  }

  Out<long> refuse(const WriteVerdict& v, const std::string& what, const std::string& path) {
    m_.record(what + " " + path + " (" + v.reason + ")");
    return CallError{v.err};
  }

  // --- the calls ---

  Out<long> do_open(int dirfd, uint64_t path_addr, int flags, mode_t mode) {
    auto path = read_string(path_addr);
    if (!path.ok()) return CallError{path.err};
    bool follow = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
    auto loc = locate(*path.value, dirfd, follow);
    if (!loc.ok()) return CallError{loc.err};
    if (!still_valid()) return CallError{ENOENT};
    Location& l = *loc.value;
    int extra = O_CLOEXEC | O_NOCTTY;
    UniqueFd fd;
    if (l.fd_ref >= 0) {
      auto theirs = caller_fd(l.fd_ref);
      if (!theirs.ok()) return CallError{theirs.err == EBADF ? ENOENT : theirs.err};
      std::string reopen = "/proc/self/fd/" + std::to_string(theirs.value->get());
      // Truncation waits for the verdict: open without it, judge, then truncate.
      fd.reset(::open(reopen.c_str(),
                      (flags & ~(O_CLOEXEC | O_TRUNC | O_CREAT | O_EXCL)) | extra | O_NONBLOCK, 0));
      if (!fd.valid()) return CallError{errno};
      struct stat st;
      if (::fstat(fd.get(), &st) != 0) return CallError{errno};
      // Reopening an fd the caller can already write through (its own stdout redirected to a
      // log file) gains nothing; anything else is judged by where the file is.
      int theirs_flags = ::fcntl(theirs.value->get(), F_GETFL);
      bool already_writable = theirs_flags >= 0 && (theirs_flags & O_ACCMODE) != O_RDONLY;
      if ((S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) && !already_writable) {
        auto p = path_of_fd(fd.get());
        std::string where = p ? *p : "?";
        strip_deleted(where);
        WriteVerdict v = judge_write(m_.policy_, where, type_of(st.st_mode));
        if (!v.allowed) return refuse(v, "write", where);
      }
      if ((flags & O_TRUNC) && S_ISREG(st.st_mode) && (flags & O_ACCMODE) != O_RDONLY &&
          ::ftruncate(fd.get(), 0) != 0)
        return CallError{errno};
      if (!(flags & O_NONBLOCK))
        ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
      return send_fd(fd.get(), flags);
    }
    if (l.name.empty() && !(flags & __O_TMPFILE)) return CallError{EISDIR};
    std::string where = l.canonical();
    WriteVerdict v = judge_write(m_.policy_, where, l.type);
    if (!v.allowed) {
      if ((flags & O_CREAT) && (flags & O_EXCL) && l.type != EntryType::Missing)
        return CallError{EEXIST};
      return refuse(v, (flags & O_CREAT) && l.type == EntryType::Missing ? "create" : "write",
                    where);
    }
    mode_t um = (flags & (O_CREAT | __O_TMPFILE)) ? caller_umask() : 0;
    const char* name = l.name.empty() ? "." : l.name.c_str();
    std::string name_slash = std::string(name) + (l.trailing_slash ? "/" : "");
    int oflags = (flags & ~O_CLOEXEC) | extra | (l.name.empty() ? 0 : O_NOFOLLOW);
    if (S_ISFIFO(l.mode) && !(flags & O_NONBLOCK) && (flags & O_ACCMODE) == O_WRONLY) {
      // Opening a FIFO for writing waits for a reader; don't stall every other call meanwhile.
      return open_fifo_later(std::move(l.parent), l.name, oflags, flags & O_CLOEXEC);
    }
    // Set-id bits never come out of the sandbox: a setuid copy of a shell left in the project
    // would hand the user's identity (or root) to whoever runs it later.
    fd.reset(::openat(l.parent.get(), name_slash.c_str(), oflags, mode & ~um & 01777));
    if (!fd.valid()) return CallError{errno};
    // A new gitfile (git worktree add writes one) is checked when the sandbox ends.
    if (l.name == ".git" && l.type == EntryType::Missing) m_.note_new_gitfile(where);
    return send_fd(fd.get(), flags);
  }

  Out<long> send_fd(int fd, int flags) {
    seccomp_notif_addfd add{};
    add.id = req_.id;
    add.flags = SECCOMP_ADDFD_FLAG_SEND;
    add.srcfd = uint32_t(fd);
    add.newfd_flags = uint32_t(flags & O_CLOEXEC);
    int r = ::ioctl(m_.notify_.get(), SECCOMP_IOCTL_NOTIF_ADDFD, &add);
    if (r < 0) return CallError{errno == ENOENT ? EINTR : errno};
    sent_ = true;
    return long(r);
  }

  Out<long> open_fifo_later(UniqueFd parent, const std::string& name, int oflags, int cloexec) {
    uint64_t id = req_.id;
    int notify = m_.notify_.get();
    std::thread([parent = std::move(parent), name, oflags, cloexec, id, notify]() {
      int fd = ::openat(parent.get(), name.c_str(), oflags, 0);
      if (fd < 0) {
        seccomp_notif_resp resp{};
        resp.id = id;
        resp.error = -errno;
        ::ioctl(notify, SECCOMP_IOCTL_NOTIF_SEND, &resp);
        return;
      }
      seccomp_notif_addfd add{};
      add.id = id;
      add.flags = SECCOMP_ADDFD_FLAG_SEND;
      add.srcfd = uint32_t(fd);
      add.newfd_flags = uint32_t(cloexec);
      ::ioctl(notify, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
      ::close(fd);
    }).detach();
    sent_ = true;
    return 0L;
  }

  Out<long> do_mknod(int dirfd, uint64_t path_addr, mode_t mode, dev_t dev) {
    auto loc = locate_argument(path_addr, dirfd, false);
    if (!loc.ok()) return CallError{loc.err};
    Location& l = *loc.value;
    if (l.name.empty() || l.type != EntryType::Missing) return CallError{EEXIST};
    WriteVerdict v = S_ISDIR(mode) ? judge_write(m_.policy_, l.canonical(), EntryType::Missing)
                                   : judge_special_create(m_.policy_, l.canonical());
    if (!v.allowed) return refuse(v, S_ISDIR(mode) ? "mkdir" : "mknod", l.canonical());
    mode_t um = caller_umask();
    int r = S_ISDIR(mode) ? ::mkdirat(l.parent.get(), l.name.c_str(), mode & 07777 & ~um)
                          : ::mknodat(l.parent.get(), l.name.c_str(),
                                      (mode & S_IFMT) | (mode & 01777 & ~um), dev);
    if (r != 0) return CallError{errno};
    return 0L;
  }

  Out<long> do_symlink(uint64_t target_addr, int dirfd, uint64_t path_addr) {
    auto target = read_string(target_addr);
    if (!target.ok()) return CallError{target.err};
    auto loc = locate_argument(path_addr, dirfd, false);
    if (!loc.ok()) return CallError{loc.err};
    Location& l = *loc.value;
    if (l.name.empty() || l.type != EntryType::Missing) return CallError{EEXIST};
    WriteVerdict v = judge_special_create(m_.policy_, l.canonical());
    if (!v.allowed) return refuse(v, "symlink", l.canonical());
    if (::symlinkat(target.value->c_str(), l.parent.get(), l.name.c_str()) != 0)
      return CallError{errno};
    return 0L;
  }

  Out<long> do_link(int olddirfd, uint64_t old_addr, int newdirfd, uint64_t new_addr, int flags) {
    auto oldp = read_string(old_addr);
    if (!oldp.ok()) return CallError{oldp.err};
    auto newp = read_string(new_addr);
    if (!newp.ok()) return CallError{newp.err};
    auto dst = locate(*newp.value, newdirfd, false);
    if (!dst.ok()) return CallError{dst.err};
    Location& d = *dst.value;
    if (d.name.empty() || d.type != EntryType::Missing) return CallError{EEXIST};
    if ((flags & AT_EMPTY_PATH) && oldp.value->empty()) {
      auto theirs = caller_fd(olddirfd);
      if (!theirs.ok()) return CallError{theirs.err};
      if (!still_valid()) return CallError{ENOENT};
      auto p = path_of_fd(theirs.value->get());
      std::string src = p ? *p : "";
      strip_deleted(src);
      WriteVerdict v = judge_link(m_.policy_, src, d.canonical());
      if (!v.allowed) return refuse(v, "link", d.canonical());
      std::string via = "/proc/self/fd/" + std::to_string(theirs.value->get());
      if (::linkat(AT_FDCWD, via.c_str(), d.parent.get(), d.name.c_str(), AT_SYMLINK_FOLLOW) != 0)
        return CallError{errno};
      return 0L;
    }
    auto src = locate(*oldp.value, olddirfd, (flags & AT_SYMLINK_FOLLOW) != 0);
    if (!src.ok()) return CallError{src.err};
    if (!still_valid()) return CallError{ENOENT};
    Location& s = *src.value;
    if (s.fd_ref >= 0 || s.name.empty()) return CallError{EPERM};
    if (s.type == EntryType::Missing) return CallError{ENOENT};
    WriteVerdict v = judge_link(m_.policy_, s.canonical(), d.canonical());
    if (!v.allowed) return refuse(v, "link", d.canonical());
    if (::linkat(s.parent.get(), s.name.c_str(), d.parent.get(), d.name.c_str(), 0) != 0)
      return CallError{errno};
    return 0L;
  }

  Out<long> do_rename(int olddirfd, uint64_t old_addr, int newdirfd, uint64_t new_addr,
                      unsigned flags) {
    auto oldp = read_string(old_addr);
    if (!oldp.ok()) return CallError{oldp.err};
    auto newp = read_string(new_addr);
    if (!newp.ok()) return CallError{newp.err};
    auto src = locate(*oldp.value, olddirfd, false);
    if (!src.ok()) return CallError{src.err};
    auto dst = locate(*newp.value, newdirfd, false);
    if (!dst.ok()) return CallError{dst.err};
    if (!still_valid()) return CallError{ENOENT};
    Location& s = *src.value;
    Location& d = *dst.value;
    if (s.fd_ref >= 0 || d.fd_ref >= 0) return CallError{EXDEV};
    if (s.name.empty() || d.name.empty()) return CallError{EBUSY};
    if (s.type == EntryType::Missing) return CallError{ENOENT};
    WriteVerdict v =
        judge_rename(m_.policy_, s.canonical(), d.canonical(), s.type == EntryType::Dir);
    if (v.allowed && (flags & RENAME_EXCHANGE))
      v = judge_rename(m_.policy_, d.canonical(), s.canonical(), d.type == EntryType::Dir);
    if (!v.allowed) return refuse(v, "rename " + s.canonical() + " to", d.canonical());
    if (::syscall(SYS_renameat2, s.parent.get(), s.name.c_str(), d.parent.get(), d.name.c_str(),
                  flags) != 0)
      return CallError{errno};
    return 0L;
  }

  Out<long> do_truncate(uint64_t path_addr, off_t len) {
    auto loc = locate_argument(path_addr, AT_FDCWD, true);
    if (!loc.ok()) return CallError{loc.err};
    Location& l = *loc.value;
    if (l.fd_ref >= 0) return CallError{EACCES};
    if (l.name.empty()) return CallError{EISDIR};
    if (l.type == EntryType::Missing) return CallError{ENOENT};
    WriteVerdict v = judge_write(m_.policy_, l.canonical(), l.type);
    if (!v.allowed) return refuse(v, "truncate", l.canonical());
    UniqueFd fd(::openat(l.parent.get(), l.name.c_str(),
                         O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid()) return CallError{errno};
    if (::ftruncate(fd.get(), len) != 0) return CallError{errno};
    return 0L;
  }

  Out<long> do_chmod(int dirfd, uint64_t path_addr, mode_t mode, int flags) {
    auto path = read_string(path_addr);
    if (!path.ok()) return CallError{path.err};
    if ((flags & AT_EMPTY_PATH) && path.value->empty()) return do_fchmod(dirfd, mode);
    auto loc = locate(*path.value, dirfd, !(flags & AT_SYMLINK_NOFOLLOW));
    if (!loc.ok()) return CallError{loc.err};
    if (!still_valid()) return CallError{ENOENT};
    Location& l = *loc.value;
    if (l.fd_ref >= 0) return do_fchmod(l.fd_ref, mode);
    if (l.type == EntryType::Missing) return CallError{ENOENT};
    WriteVerdict v = judge_write(m_.policy_, l.canonical(), l.type);
    if (!v.allowed) return refuse(v, "chmod", l.canonical());
    if (l.type == EntryType::Symlink) return CallError{EOPNOTSUPP};
    if (l.type != EntryType::Dir && (mode & (S_ISUID | S_ISGID)))
      return refuse({false, EPERM, "set-id bits"}, "chmod", l.canonical());
    const char* name = l.name.empty() ? "." : l.name.c_str();
    if (::fchmodat(l.parent.get(), name, mode & 07777, 0) != 0) return CallError{errno};
    return 0L;
  }

  Out<long> do_unlink(int dirfd, uint64_t path_addr, int flags) {
    auto loc = locate_argument(path_addr, dirfd, false);
    if (!loc.ok()) return CallError{loc.err};
    Location& l = *loc.value;
    if (l.fd_ref >= 0) return CallError{EACCES};
    if (l.name.empty()) return CallError{(flags & AT_REMOVEDIR) ? EINVAL : EISDIR};
    if (l.type == EntryType::Missing) return CallError{ENOENT};
    WriteVerdict v = judge_remove(m_.policy_, l.canonical());
    if (!v.allowed) return refuse(v, (flags & AT_REMOVEDIR) ? "rmdir" : "unlink", l.canonical());
    if (::unlinkat(l.parent.get(), l.name.c_str(), flags & AT_REMOVEDIR) != 0)
      return CallError{errno};
    return 0L;
  }

  // --- sockets ---

  Out<sockaddr_storage> read_sockaddr(uint64_t addr, socklen_t len) {
    if (len > sizeof(sockaddr_storage)) return CallError{EINVAL};
    sockaddr_storage ss{};
    if (len == 0) return ss;
    iovec local{&ss, len};
    iovec remote{reinterpret_cast<void*>(addr), len};
    if (::process_vm_readv(req_.pid, &local, 1, &remote, 1, 0) != ssize_t(len))
      return CallError{EFAULT};
    return ss;
  }

  static uint16_t port_of(const sockaddr_storage& ss) {
    if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(ss).sin6_port);
    return 0;
  }

  static bool is_pathname(const sockaddr_storage& ss, socklen_t len) {
    const auto& un = reinterpret_cast<const sockaddr_un&>(ss);
    return ss.ss_family == AF_UNIX && len > offsetof(sockaddr_un, sun_path) && un.sun_path[0] != 0;
  }

  static std::string sun_path_of(const sockaddr_storage& ss, socklen_t len) {
    const auto& un = reinterpret_cast<const sockaddr_un&>(ss);
    size_t n = len - offsetof(sockaddr_un, sun_path);
    return std::string(un.sun_path, strnlen(un.sun_path, std::min(n, sizeof un.sun_path)));
  }

  // A pathname socket the sandbox may reach: its own (bound inside, or in a private tmpfs) or
  // one the policy names. Returns an O_PATH fd of the socket to connect through.
  Out<UniqueFd> reachable_socket(const std::string& path, const char* what) {
    auto loc = locate(path, AT_FDCWD, true);
    if (!loc.ok()) return CallError{loc.err};
    Location& l = *loc.value;
    if (l.fd_ref >= 0 || l.name.empty()) return CallError{ECONNREFUSED};
    if (l.type == EntryType::Missing) return CallError{ENOENT};
    struct stat st;
    if (::fstatat(l.parent.get(), l.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return CallError{errno};
    if (!S_ISSOCK(st.st_mode)) return CallError{ECONNREFUSED};
    std::string where = l.canonical();
    // The sandbox's own sockets: on one of its private tmpfs mounts (not a host directory bound
    // beneath /tmp), or bound by it elsewhere.
    bool ok = m_.private_devs_.count(st.st_dev) != 0 ||
              m_.bound_inside_.count({st.st_dev, st.st_ino}) != 0;
    for (const auto& s : m_.policy_.unix_sockets)
      if (s == where) ok = true;
    if (!ok) return CallError{refuse({false, EACCES, "host unix socket"}, what, where).err};
    UniqueFd fd(::openat(l.parent.get(), l.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return CallError{errno};
    return fd;
  }

  static sockaddr_un via_fd(int fd, socklen_t& len) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::snprintf(un.sun_path, sizeof un.sun_path, "/proc/self/fd/%d", fd);
    len = socklen_t(offsetof(sockaddr_un, sun_path) + std::strlen(un.sun_path) + 1);
    return un;
  }

  bool tcp_port_allowed(uint16_t port) const {
    if (m_.sockets_.allow_local_binding) return true;
    for (uint16_t p : m_.sockets_.connect_ports)
      if (p == port) return true;
    return false;
  }

  // TCP is what the port rules govern (UDP cannot leave the namespace's loopback anyway).
  static Out<bool> is_stream(int sock) {
    int type = 0;
    socklen_t tl = sizeof type;
    if (::getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tl) != 0) return CallError{errno};
    return type == SOCK_STREAM;
  }

  Out<long> do_connect(int fd, uint64_t addr, socklen_t len) {
    auto ss = read_sockaddr(addr, len);
    if (!ss.ok()) return CallError{ss.err};
    auto sock = caller_fd(fd);
    if (!sock.ok()) return CallError{sock.err};
    if (!still_valid()) return CallError{EINTR};
    const sockaddr_storage& a = *ss.value;
    if ((a.ss_family == AF_INET || a.ss_family == AF_INET6) && !tcp_port_allowed(port_of(a))) {
      auto stream = is_stream(sock.value->get());
      if (!stream.ok()) return CallError{stream.err};
      if (*stream.value) return CallError{EACCES};  // as Landlock would answer
    }
    int r;
    if (is_pathname(a, len)) {
      auto target = reachable_socket(sun_path_of(a, len), "connect unix");
      if (!target.ok()) return CallError{target.err};
      socklen_t ul;
      sockaddr_un un = via_fd(target.value->get(), ul);
      r = ::connect(sock.value->get(), reinterpret_cast<sockaddr*>(&un), ul);
    } else {
      r = ::connect(sock.value->get(), reinterpret_cast<const sockaddr*>(&a), len);
    }
    if (r != 0) return CallError{errno};
    return 0L;
  }

  Out<long> do_bind(int fd, uint64_t addr, socklen_t len) {
    auto ss = read_sockaddr(addr, len);
    if (!ss.ok()) return CallError{ss.err};
    auto sock = caller_fd(fd);
    if (!sock.ok()) return CallError{sock.err};
    const sockaddr_storage& a = *ss.value;
    if ((a.ss_family == AF_INET || a.ss_family == AF_INET6) && !m_.sockets_.allow_local_binding) {
      auto stream = is_stream(sock.value->get());
      if (!stream.ok()) return CallError{stream.err};
      if (*stream.value) return CallError{EACCES};  // network.allowLocalBinding is off
    }
    if (!is_pathname(a, len)) {
      if (!still_valid()) return CallError{EINTR};
      if (::bind(sock.value->get(), reinterpret_cast<const sockaddr*>(&a), len) != 0)
        return CallError{errno};
      return 0L;
    }
    auto loc = locate(sun_path_of(a, len), AT_FDCWD, false);
    if (!loc.ok()) return CallError{loc.err};
    if (!still_valid()) return CallError{EINTR};
    Location& l = *loc.value;
    if (l.fd_ref >= 0 || l.name.empty() || l.type != EntryType::Missing)
      return CallError{EADDRINUSE};
    WriteVerdict v = judge_special_create(m_.policy_, l.canonical());
    if (!v.allowed) return refuse(v, "bind unix", l.canonical());
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    int n = std::snprintf(un.sun_path, sizeof un.sun_path, "/proc/self/fd/%d/%s", l.parent.get(),
                          l.name.c_str());
    if (n < 0 || size_t(n) >= sizeof un.sun_path) return CallError{ENAMETOOLONG};
    socklen_t ul = socklen_t(offsetof(sockaddr_un, sun_path) + size_t(n) + 1);
    if (::bind(sock.value->get(), reinterpret_cast<sockaddr*>(&un), ul) != 0)
      return CallError{errno};
    mode_t um = caller_umask();
    // bind() applied our thread's umask (0); give the socket the caller's.
    if (::fchmodat(l.parent.get(), l.name.c_str(), 0777 & ~um, 0) != 0) return CallError{errno};
    struct stat st;
    if (::fstatat(l.parent.get(), l.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
      m_.bound_inside_.insert({st.st_dev, st.st_ino});
    return 0L;
  }

  Out<long> do_sendto(int fd, uint64_t buf, size_t len, int flags, uint64_t addr, socklen_t alen) {
    auto ss = read_sockaddr(addr, alen);
    if (!ss.ok()) return CallError{ss.err};
    auto sock = caller_fd(fd);
    if (!sock.ok()) return CallError{sock.err};
    constexpr size_t kMax = 4u << 20;  // larger than any datagram the kernel accepts
    if (len > kMax) return CallError{EMSGSIZE};
    std::vector<char> data(len);
    if (len > 0) {
      iovec local{data.data(), len};
      iovec remote{reinterpret_cast<void*>(buf), len};
      if (::process_vm_readv(req_.pid, &local, 1, &remote, 1, 0) != ssize_t(len))
        return CallError{EFAULT};
    }
    if (!still_valid()) return CallError{EINTR};
    const sockaddr_storage& a = *ss.value;
    ssize_t r;
    if (is_pathname(a, alen)) {
      auto target = reachable_socket(sun_path_of(a, alen), "sendto unix");
      if (!target.ok()) return CallError{target.err};
      socklen_t ul;
      sockaddr_un un = via_fd(target.value->get(), ul);
      r = ::sendto(sock.value->get(), data.data(), len, flags | MSG_NOSIGNAL,
                   reinterpret_cast<sockaddr*>(&un), ul);
    } else {
      r = ::sendto(sock.value->get(), data.data(), len, flags | MSG_NOSIGNAL,
                   reinterpret_cast<const sockaddr*>(&a), alen);
    }
    if (r < 0) return CallError{errno};
    return long(r);
  }

  Out<long> do_fchmod(int fd, mode_t mode) {
    auto theirs = caller_fd(fd);
    if (!theirs.ok()) return CallError{theirs.err};
    if (!still_valid()) return CallError{ENOENT};
    struct stat st;
    if (::fstat(theirs.value->get(), &st) != 0) return CallError{errno};
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
      auto p = path_of_fd(theirs.value->get());
      std::string where = p ? *p : "";
      WriteVerdict v = judge_write(m_.policy_, where, type_of(st.st_mode));
      if (!v.allowed) return refuse(v, "chmod", where);
    }
    if (!S_ISDIR(st.st_mode) && (mode & (S_ISUID | S_ISGID))) {
      auto p = path_of_fd(theirs.value->get());
      return refuse({false, EPERM, "set-id bits"}, "chmod", p ? *p : "?");
    }
    if (::fchmod(theirs.value->get(), mode & 07777) != 0) return CallError{errno};
    return 0L;
  }

  WriteMediator& m_;
  const seccomp_notif& req_;
  UniqueFd pidfd_;
  bool sent_ = false;
};

WriteMediator::WriteMediator(UniqueFd notify_fd, const FsPolicy& policy, SocketRules sockets)
    : notify_(std::move(notify_fd)), policy_(policy), sockets_(std::move(sockets)) {}

WriteMediator::~WriteMediator() {
  stop();
}

void WriteMediator::record(const std::string& what) {
  std::lock_guard<std::mutex> g(mu_);
  if (denials_.size() < 10000) ++denials_[what];
}

void WriteMediator::note_new_gitfile(const std::string& path) {
  std::lock_guard<std::mutex> g(mu_);
  if (new_gitfiles_.size() < 10000) new_gitfiles_.push_back(path);
}

std::vector<std::string> WriteMediator::quarantine_foreign_gitfiles() {
  std::vector<std::string> out;
  std::vector<std::string> files;
  {
    std::lock_guard<std::mutex> g(mu_);
    files = new_gitfiles_;
  }
  for (const auto& f : files) {
    // Writable roots are bound at their host paths, so the sandbox's path is the host's.
    if (gitfile_is_worktree_link(f)) continue;
    std::string moved = f + ".paddock-quarantined";
    if (::rename(f.c_str(), moved.c_str()) == 0) out.push_back(f + " -> " += moved);
  }
  return out;
}

std::map<std::string, unsigned> WriteMediator::denials() const {
  std::lock_guard<std::mutex> g(mu_);
  return denials_;
}

Status WriteMediator::start(UniqueFd root) {
  root_ = std::move(root);
  if (!root_.valid()) return plain_error("write mediation", "no sandbox root");
  for (const char* t : {"tmp", "var/tmp", "dev/shm"}) {
    struct stat st;
    if (::fstatat(root_.get(), t, &st, 0) == 0) private_devs_.insert(st.st_dev);
  }
  stop_event_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_event_.valid()) return sys_error("eventfd", "write mediator");
  thread_ = std::thread([this] { loop(); });
  return ok_status();
}

void WriteMediator::stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  if (::write(stop_event_.get(), &one, sizeof one) < 0) {
    // the eventfd cannot be full; nothing else to do
  }
  thread_.join();
}

void WriteMediator::loop() {
  // This thread acts for the sandbox: its own umask and cwd, and no capabilities, so a root
  // supervisor writes with exactly the rights the sandbox's root has (none beyond uid 0's DAC).
  if (::unshare(CLONE_FS) == 0) ::umask(0);
  __user_cap_header_struct hdr{};
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  __user_cap_data_struct caps[2]{};
  ::syscall(SYS_capset, &hdr, caps);

  seccomp_notif_sizes sizes{};
  if (::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) return;
  std::vector<char> req_buf(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
  std::vector<char> resp_buf(
      std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
  for (;;) {
    pollfd p[2] = {{notify_.get(), POLLIN, 0}, {stop_event_.get(), POLLIN, 0}};
    int n = ::poll(p, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents) return;
    if (p[0].revents & (POLLHUP | POLLERR | POLLNVAL)) return;
    if (!(p[0].revents & POLLIN)) continue;
    std::memset(req_buf.data(), 0, req_buf.size());
    auto* req = reinterpret_cast<seccomp_notif*>(req_buf.data());
    if (::ioctl(notify_.get(), SECCOMP_IOCTL_NOTIF_RECV, req) != 0) continue;  // caller died
    std::memset(resp_buf.data(), 0, resp_buf.size());
    auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_buf.data());
    MediatorRequest r(*this, *req);
    if (!r.serve(*resp)) ::ioctl(notify_.get(), SECCOMP_IOCTL_NOTIF_SEND, resp);
  }
}

}  // namespace paddock
