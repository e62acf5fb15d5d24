#include "walls/mask_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "control/ctl_dir.h"
#include "policy/mask_check.h"
#include "walls/home_store.h"
#include "walls/overlay_mount.h"

namespace paddock {

namespace {

constexpr const char* kLayerName = "mask";
constexpr const char* kOpaqueXattr = "user.overlay.opaque";
constexpr const char* kUnfinished = "new-";  // being made
constexpr const char* kSetAside = "stale-";  // failed its check

// Processes end with their run: the locks that keep a mask in use from being swept are held
// by descriptors that stay open until then.
std::vector<UniqueFd>& held_until_exit() {
  static std::vector<UniqueFd> held;
  return held;
}

std::string random_suffix() {
  unsigned char b[8];
  if (::getrandom(b, sizeof b, 0) != static_cast<ssize_t>(sizeof b))
    return std::to_string(::getpid());
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s += hex[c >> 4];
    s += hex[c & 15];
  }
  return s;
}

bool ours(const struct stat& st) {
  static const uid_t euid = ::geteuid();
  return st.st_uid == euid;
}

// The entries of the directory open at `dir` (read from its own offset, which must be at the
// start), with their kinds (from fstatat where the filesystem does not say); nullopt when it
// cannot be read whole. getdents64 itself: a directory stream would need a descriptor of its
// own, and every directory of every kept mask is read at every run.
std::optional<std::vector<ListedEntry>> list(int dir) {
  struct LinuxDirent64 {
    ino64_t d_ino;
    off64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[1];
  };
  alignas(LinuxDirent64) char buf[16384];
  std::vector<ListedEntry> out;
  for (;;) {
    const long n = ::syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n < 0) return std::nullopt;
    if (n == 0) return out;
    for (long off = 0; off < n;) {
      const auto* e = reinterpret_cast<const LinuxDirent64*>(buf + off);
      off += e->d_reclen;
      const char* name = e->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
      ListedEntry l{name, e->d_type, static_cast<ino_t>(e->d_ino)};
      if (l.type == DT_UNKNOWN) {
        struct stat st;
        if (::fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
        l.type = S_ISDIR(st.st_mode)   ? DT_DIR
                 : S_ISCHR(st.st_mode) ? DT_CHR
                 : S_ISREG(st.st_mode) ? DT_REG
                                       : DT_UNKNOWN;
        l.ino = st.st_ino;
      }
      out.push_back(std::move(l));
    }
  }
}

// Why the kept mask open at `entry` is not exactly what `recipe` makes, or nullopt.
std::optional<std::string> check(int entry, const MaskRecipe& recipe) {
  struct stat wt;
  if (::fstatat(entry, kWhiteoutName, &wt, AT_SYMLINK_NOFOLLOW) != 0) return "no whiteout";
  if (!S_ISCHR(wt.st_mode) || wt.st_rdev != makedev(0, 0) || !ours(wt))
    return "its whiteout is not a character device 0/0 of ours";
  const std::vector<MaskDirectory> dirs = mask_directories(recipe);
  std::vector<UniqueFd> fds(dirs.size());  // by position: every parent is opened before
  for (size_t i = 0; i < dirs.size(); ++i) {
    const MaskDirectory& d = dirs[i];
    if (i > 0 && d.parent >= i) return "a directory beneath one that is missing: " + d.rel;
    const int parent = i == 0 ? entry : fds[d.parent].get();
    const char* name = i == 0 ? kLayerName : d.name.c_str();
    UniqueFd fd(::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return "a directory that cannot be opened: /" + d.rel;
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || !ours(st) || (st.st_mode & 07777) != d.mode)
      return "a directory not of ours or of another mode: /" + d.rel;
    char v[2];
    const ssize_t n = ::fgetxattr(fd.get(), kOpaqueXattr, v, sizeof v);
    const bool opaque = n == 1 && v[0] == 'y';
    if (n < 0 && errno != ENODATA) return "a directory whose attributes cannot be read: /" + d.rel;
    if (opaque != d.opaque) return "a directory opaque where it should not be, or not: /" + d.rel;
    auto listed = list(fd.get());
    if (!listed) return "a directory that cannot be listed: /" + d.rel;
    if (auto why = mismatched_listing(std::move(*listed), d.children, wt.st_ino))
      return "/" + d.rel + ": " + *why;
    fds[i] = std::move(fd);
  }
  return std::nullopt;
}

// `name` in the cache, open (and share-locked) at `entry`, moved out of the way for sweep():
// never removed here, since a running sandbox may have it mounted. Only when nobody else holds
// it: another run that found it good (its check could not have failed where ours did, unless
// for want of a descriptor or memory) is about to mount it by its name.
void set_aside(int cache, const std::string& name, UniqueFd entry) {
  if (::flock(entry.get(), LOCK_EX | LOCK_NB) != 0) return;
  const std::string aside = kSetAside + random_suffix();
  (void)::renameat2(cache, name.c_str(), cache, aside.c_str(), RENAME_NOREPLACE);
}

}  // namespace

Result<MaskCache> MaskCache::open(const std::string& xdg_runtime_dir, const MountPlan& plan,
                                  const std::vector<std::string>& sandbox_writable) {
  std::vector<std::string> layered;
  for (const auto& op : plan.ops)
    if (op.kind == MountOp::Kind::Overlay && !op.source.empty()) layered.push_back(op.source);
  auto d = control::make_runtime_dir(xdg_runtime_dir, "masks", sandbox_writable, layered);
  if (!d) return d.error();
  return MaskCache(std::move(d->fd), std::move(d->real));
}

std::optional<std::string> MaskCache::use(const MaskRecipe& recipe) {
  const std::string key = mask_key(recipe);
  UniqueFd entry(
      ::openat(dir_.get(), key.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!entry.valid()) return std::nullopt;
  // Shared: other runs may use it too; a sweep holding it exclusively is removing it.
  if (::flock(entry.get(), LOCK_SH | LOCK_NB) != 0) return std::nullopt;
  struct stat st;
  if (::fstat(entry.get(), &st) != 0 || control::unsafe_directory(st, ::geteuid()) ||
      check(entry.get(), recipe)) {
    set_aside(dir_.get(), key, std::move(entry));
    return std::nullopt;
  }
  held_until_exit().push_back(std::move(entry));
  return real_ + "/" + key + "/" + kLayerName;
}

Status MaskCache::keep(const MaskRecipe& recipe) {
  const std::string key = mask_key(recipe);
  struct stat st;
  if (::fstatat(dir_.get(), key.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return ok_status();
  const std::string tmp = kUnfinished + random_suffix();
  const std::string shown = real_ + "/" + tmp;
  if (::mkdirat(dir_.get(), tmp.c_str(), 0700) != 0) return sys_error("mkdir", shown);
  UniqueFd entry(
      ::openat(dir_.get(), tmp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  // Exclusive while it is made: a sweep leaves it alone.
  Status made = !entry.valid()                                 ? sys_error("open", shown)
                : ::flock(entry.get(), LOCK_EX | LOCK_NB) != 0 ? sys_error("flock", shown)
                : ::fchmod(entry.get(), 0700) != 0             ? sys_error("chmod", shown)
                                                               : ok_status();
  if (made.ok()) made = make_whiteout_template(entry.get());
  // The modes asked for, whatever the umask (make_mask gives the layer its own at the end).
  if (made.ok() && (::mkdirat(entry.get(), kLayerName, 0700) != 0 ||
                    ::fchmodat(entry.get(), kLayerName, 0700, 0) != 0))
    made = sys_error("mkdir", shown + "/" + kLayerName);
  if (made.ok()) {
    UniqueFd layer(
        ::openat(entry.get(), kLayerName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    made = layer.valid() ? make_mask(entry.get(), layer.get(), recipe, shown + "/" + kLayerName)
                         : sys_error("open", shown + "/" + kLayerName);
  }
  // Whole or not at all: another run may have kept the same mask meanwhile (then ours goes).
  if (made.ok() &&
      ::renameat2(dir_.get(), tmp.c_str(), dir_.get(), key.c_str(), RENAME_NOREPLACE) == 0)
    return ok_status();
  const int err = errno;
  entry.reset();
  (void)remove_entry(dir_.get(), real_, tmp);
  if (!made.ok()) return made;
  if (err == EEXIST || err == ENOTEMPTY) return ok_status();
  return sys_error("rename", shown, err);
}

void MaskCache::sweep() {
  struct Kept {
    std::string name;
    time_t ctime;
  };
  std::vector<Kept> kept;
  std::vector<std::string> gone;
  for (const auto& name : directory_names(dir_.get())) {
    if (name.starts_with(kUnfinished) || name.starts_with(kSetAside)) {
      gone.push_back(name);
      continue;
    }
    struct stat st;
    if (::fstatat(dir_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
      kept.push_back({name, st.st_ctime});
  }
  if (kept.size() > kMaxKept) {
    std::sort(kept.begin(), kept.end(),
              [](const Kept& a, const Kept& b) { return a.ctime < b.ctime; });
    for (size_t i = 0; i < kept.size() - kMaxKept; ++i) gone.push_back(kept[i].name);
  }
  for (const auto& name : gone) {
    UniqueFd entry(
        ::openat(dir_.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (entry.valid() && ::flock(entry.get(), LOCK_EX | LOCK_NB) != 0) continue;  // in use
    // A surplus one is set aside first: a run that opens it after our lock is released must
    // not find it half removed under its own name.
    std::string target = name;
    if (!name.starts_with(kUnfinished) && !name.starts_with(kSetAside)) {
      target = kSetAside + random_suffix();
      if (::renameat2(dir_.get(), name.c_str(), dir_.get(), target.c_str(), RENAME_NOREPLACE) != 0)
        continue;
    }
    (void)remove_entry(dir_.get(), real_, target);
  }
}

void keep_masks(const MountPlan& plan, const std::vector<std::string>& sandbox_writable) {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  auto cache = MaskCache::open(xdg != nullptr ? xdg : "", plan, sandbox_writable);
  if (!cache) return;
  auto recipes = plan_masks(plan);
  if (!recipes) return;
  for (const auto& r : *recipes)
    if (r) (void)cache->keep(*r);
  cache->sweep();
}

}  // namespace paddock
