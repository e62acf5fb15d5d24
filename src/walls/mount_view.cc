#include "walls/mount_view.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "base/kernel_abi.h"
#include "base/unique_fd.h"
#include "policy/paths.h"
#include "walls/overlay_mount.h"
#include "walls/terminal.h"

namespace paddock {

namespace {

// Staging layout after the first pivot: "/" is a private tmpfs holding both trees.
constexpr const char* kNew = "/newroot";
constexpr const char* kOld = "/oldroot";
constexpr const char* kEmptyFile = "/empty";
constexpr const char* kHostsFile = "/hosts";
constexpr const char* kResolvFile = "/resolv.conf";
constexpr const char* kMasks = "/masks";

std::string in_new(const std::string& p) {
  return p == "/" ? kNew : kNew + p;
}
std::string in_old(const std::string& p) {
  return p == "/" ? kOld : kOld + p;
}

Status set_attr(const std::string& path, uint64_t set, bool recursive) {
  kabi::mount_attr_v0 a{};
  a.attr_set = set;
  unsigned flags = recursive ? kabi::AT_RECURSIVE_FLAG : 0;
  if (::syscall(kabi::NR_mount_setattr, AT_FDCWD, path.c_str(), flags, &a, sizeof a) != 0)
    return sys_error("mount_setattr", path, errno, errno == ENOSYS ? "needs Linux 5.12+" : "");
  return ok_status();
}

Status do_mount(const char* src, const std::string& dst, const char* type, unsigned long flags,
                const char* data, const std::string& shown) {
  if (::mount(src, dst.c_str(), type, flags, data) != 0)
    return sys_error(std::string("mount ") + (type ? type : "bind"), shown);
  return ok_status();
}

Status make_dir(const std::string& p, mode_t mode = 0755) {
  if (::mkdir(p.c_str(), mode) != 0 && errno != EEXIST) return sys_error("mkdir", p);
  return ok_status();
}

Status make_file(const std::string& p) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return ok_status();
    return sys_error("create mount point", p);
  }
  ::close(fd);
  return ok_status();
}

Status bind(const std::string& host, const std::string& view, bool writable) {
  PADDOCK_TRY(
      do_mount(in_old(host).c_str(), in_new(view), nullptr, MS_BIND | MS_REC, nullptr, view));
  // Host device nodes are usable only through the sandbox's own /dev: a node anywhere else (one
  // directly under /, one in the project) opens as nothing.
  uint64_t attrs = kabi::ATTR_NODEV | (writable ? 0 : kabi::ATTR_RDONLY);
  return set_attr(in_new(view), attrs, true);
}

Status build_dev(const std::string& view, const std::vector<unsigned>& ptys) {
  std::string d = in_new(view);
  PADDOCK_TRY(do_mount("tmpfs", d, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k", view));
  for (const char* n : {"null", "zero", "full", "random", "urandom", "tty"}) {
    std::string dst = d + "/" + n;
    PADDOCK_TRY(make_file(dst));
    PADDOCK_TRY(do_mount((std::string(kOld) + "/dev/" + n).c_str(), dst, nullptr, MS_BIND, nullptr,
                         "/dev/" + std::string(n)));
  }
  PADDOCK_TRY(make_dir(d + "/pts"));
  PADDOCK_TRY(make_dir(d + "/shm", 01777));
  struct {
    const char* name;
    const char* target;
  } links[] = {{"ptmx", "pts/ptmx"},
               {"fd", "/proc/self/fd"},
               {"stdin", "/proc/self/fd/0"},
               {"stdout", "/proc/self/fd/1"},
               {"stderr", "/proc/self/fd/2"}};
  for (auto& l : links)
    if (::symlink(l.target, (d + "/" + l.name).c_str()) != 0)
      return sys_error("symlink", "/dev/" + std::string(l.name));
  // The tmpfs and the host's device inodes bound on it, in one change: usable, but nothing can
  // be added and their mode and owner cannot change. Before pts and shm are mounted, which stay
  // writable.
  PADDOCK_TRY(set_attr(d, kabi::ATTR_RDONLY | kabi::ATTR_NOSUID, true));
  PADDOCK_TRY(do_mount("devpts", d + "/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                       "newinstance,ptmxmode=0666,mode=0620", "/dev/pts"));
  PADDOCK_TRY(expose_ptys(d, kOld, ptys));
  return do_mount("tmpfs", d + "/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", "/dev/shm");
}

Status build_proc(const std::string& view) {
  std::string d = in_new(view);
  PADDOCK_TRY(do_mount("proc", d, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, view));
  // Kernel knobs stay read-only even where procfs would let the sandbox's root write them.
  for (const char* sub : {"/sys", "/sysrq-trigger"}) {
    std::string p = d + sub;
    if (::access(p.c_str(), F_OK) != 0) continue;  // not built into this kernel
    PADDOCK_TRY(do_mount(p.c_str(), p, nullptr, MS_BIND | MS_REC, nullptr, view + sub));
    PADDOCK_TRY(set_attr(p, kabi::ATTR_RDONLY, true));
  }
  return ok_status();
}

// A generated file (/etc/hosts, /etc/resolv.conf), written on the staging tmpfs (which outlives
// the pivot only as the bound file) and bound read-only over the host's file where the view
// shows it.
Status place_generated(const char* staged, const std::string& path, const std::string& text,
                       const char* what) {
  if (path.empty()) return ok_status();
  struct stat st;
  std::string target = in_new(path);
  // Not in the view (denied, or under the sandbox's empty /run): nothing to cover.
  if (::lstat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return ok_status();
  UniqueFd fd(::open(staged, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd.valid()) return sys_error("create", what);
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sys_error("write", what);
    p += n;
    left -= size_t(n);
  }
  if (::fchmod(fd.get(), 0644) != 0) return sys_error("chmod", what);
  PADDOCK_TRY(do_mount(staged, target, nullptr, MS_BIND, nullptr, path));
  return set_attr(target, kabi::ATTR_RDONLY | kabi::ATTR_NOSUID | kabi::ATTR_NODEV, false);
}

// A directory of the home layer made in memory (on the way to a filesystem mounted beneath the
// home): writable, with the mode of the host's directory.
Status layer_tmpfs(const MountOp& op) {
  struct stat st;
  if (::stat(in_old(op.source).c_str(), &st) != 0) return sys_error("stat", op.source);
  char data[32];
  std::snprintf(data, sizeof data, "mode=0%o", unsigned(st.st_mode & 07777));
  return do_mount("tmpfs", in_new(op.path), "tmpfs", MS_NOSUID | MS_NODEV, data, op.path);
}

Status run_op(const MountOp& op, const ViewExtras& extras, OverlayBuilder& overlays) {
  std::string dst = in_new(op.path);
  switch (op.kind) {
    case MountOp::Kind::Tmpfs:
      if (!op.source.empty()) return layer_tmpfs(op);
      return do_mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV,
                      op.writable ? "mode=1777" : "mode=0755", op.path);
    case MountOp::Kind::MakeDir:
      return make_dir(dst);
    case MountOp::Kind::MakeFile:
      return make_file(dst);
    case MountOp::Kind::Symlink:
      if (::symlink(op.source.c_str(), dst.c_str()) != 0 && errno != EEXIST)
        return sys_error("symlink", op.path);
      return ok_status();
    case MountOp::Kind::Bind:
      return bind(op.source, op.path, op.writable);
    case MountOp::Kind::HideDir:
      PADDOCK_TRY(do_mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY,
                           "mode=0755,size=4k", op.path));
      return ok_status();
    case MountOp::Kind::HideFile:
      PADDOCK_TRY(do_mount(kEmptyFile, dst, nullptr, MS_BIND, nullptr, op.path));
      return set_attr(dst, kabi::ATTR_RDONLY, false);
    case MountOp::Kind::Proc:
      return build_proc(op.path);
    case MountOp::Kind::Dev:
      return build_dev(op.path, extras.ptys);
    case MountOp::Kind::ReadOnly:
      return set_attr(dst, kabi::ATTR_RDONLY, false);
    case MountOp::Kind::Whiteout:
    case MountOp::Kind::OpaqueDir:
    case MountOp::Kind::MaskDir:
    case MountOp::Kind::MaskFile:
      return ok_status();  // in the masks made before the view (make_masks)
    case MountOp::Kind::Overlay:
      return overlays.mount(op, dst, op.source.empty() ? std::string() : in_old(op.source),
                            op.store.empty() ? std::string() : in_old(op.store));
  }
  return ok_status();
}

// A step beneath a writable overlay is reached through that overlay's upper layer, which holds
// what the sandboxes of earlier runs made: a symlink there (~/.npm -> /newroot/usr/bin) would
// carry a mount the plan puts at a canonical path somewhere else in the view. Every path the
// plan mounts on is canonical on the host, so a symlink on the way can only be the layer's.
// `final`: the target itself too (not for a denied symlink, which is hidden where it points).
Status no_symlink_on_the_way(const MountOp& op, bool final) {
  const std::string p = final ? op.path : parent_path(op.path);
  kabi::open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = kabi::RESOLVE_NO_SYMLINKS | kabi::RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(int(::syscall(kabi::NR_openat2, AT_FDCWD, in_new(p).c_str(), &how, sizeof how)));
  if (fd.valid() || errno != ELOOP) return ok_status();  // a missing target: the step says so
  return sys_error("mount", op.path, ELOOP,
                   "the home layer holds a symlink on the way to it (made by a sandbox of this "
                   "project); paddock mounts nothing through one. `paddock reset` discards the "
                   "layer");
}

bool checks_final(MountOp::Kind k) {
  switch (k) {
    case MountOp::Kind::Bind:
    case MountOp::Kind::HideDir:
    case MountOp::Kind::Tmpfs:
    case MountOp::Kind::MakeDir:
    case MountOp::Kind::MakeFile:
      return true;
    default:
      return false;
  }
}

// What to tell the user when an overlay cannot be mounted.
std::string overlay_hint(const MountOp& op) {
  if (!op.writable) return "a read-only overlay hides entries of this directory";
  if (!op.store.empty())
    return "the home layer needs Linux 5.11+ and a filesystem with user extended attributes "
           "for " +
           op.store + "; --ephemeral-home keeps the layer in memory instead";
  return "the home layer in memory needs Linux 6.6+ (user extended attributes on tmpfs)";
}

}  // namespace

Status build_mount_view(const MountPlan& plan, const std::string& cwd, const ViewExtras& extras,
                        const PreparedMasks& masks, const std::function<Status()>& masks_made) {
  // Nothing we mount may propagate back to the host.
  PADDOCK_TRY(do_mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr, "/ (make private)"));
  // A private tmpfs becomes the staging root, with the host tree at /oldroot.
  PADDOCK_TRY(
      do_mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700", "/tmp (staging)"));
  PADDOCK_TRY(make_dir("/tmp/newroot"));
  PADDOCK_TRY(make_dir("/tmp/oldroot"));
  PADDOCK_TRY(make_file("/tmp/empty"));
  if (::chdir("/tmp") != 0) return sys_error("chdir", "/tmp (staging)");
  if (::syscall(SYS_pivot_root, ".", "oldroot") != 0) return sys_error("pivot_root", "staging");
  if (::chdir("/") != 0) return sys_error("chdir", "/");
  if (::chmod(kEmptyFile, 0444) != 0) return sys_error("chmod", kEmptyFile);
  PADDOCK_TRY(make_dir(kMasks, 0700));
  if (::move_mount(masks.tmpfs, "", AT_FDCWD, kMasks, MOVE_MOUNT_F_EMPTY_PATH) != 0)
    return sys_error("move_mount", "the overlay masks' tmpfs", errno, kMasks);

  // The new root: the host's root bound read-only (the plan's first step), or a tmpfs on
  // which the plan rebuilds the top level.
  if (!starts_from_host_root(plan))
    PADDOCK_TRY(do_mount("tmpfs", kNew, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", "/"));
  OverlayBuilder overlays("", masks, kMasks, kOld);  // in-memory layers: on the staging tmpfs
  std::vector<std::string> layered;                  // writable overlays mounted so far
  bool masks_awaited = !masks_made;
  for (const auto& op : plan.ops) {
    if (op.kind == MountOp::Kind::Overlay && !masks_awaited) {
      PADDOCK_TRY(masks_made());
      masks_awaited = true;
    }
    bool beneath_layer = false;
    if (!is_mask_op(op.kind))
      for (const auto& o : layered) beneath_layer |= op.path != o && path_within(op.path, o);
    Status s = beneath_layer ? no_symlink_on_the_way(op, checks_final(op.kind)) : ok_status();
    if (s.ok()) s = run_op(op, extras, overlays);
    if (s.ok() && op.kind == MountOp::Kind::Overlay && op.writable) layered.push_back(op.path);
    if (!s.ok()) {
      Error e = s.error();
      e.detail = (e.detail.empty() ? "" : e.detail + "; ") + "while building the view (" +
                 mount_op_name(op.kind) + (op.source.empty() ? "" : " from " + op.source) + ")";
      if (op.kind == MountOp::Kind::Overlay) e.detail += ": " + overlay_hint(op);
      if (beneath_layer && e.err != ELOOP)
        e.detail +=
            ": beneath the home layer, where a sandbox of this project may have replaced "
            "or removed the entry; `paddock reset` discards the layer";
      return e;
    }
  }

  if (!masks_awaited) PADDOCK_TRY(masks_made());  // a plan without overlays: said all the same
  PADDOCK_TRY(
      place_generated(kHostsFile, extras.hosts_path, extras.hosts, "/etc/hosts (generated)"));
  PADDOCK_TRY(place_generated(kResolvFile, extras.resolv_path, extras.resolv,
                              "/etc/resolv.conf (generated)"));

  // Make the new root the only root: the staging tmpfs goes, and the host tree mounted beneath
  // it with it. One detach, not one for each: every unmount waits for an RCU grace period
  // (~0.3 ms here).
  if (::chdir(kNew) != 0) return sys_error("chdir", kNew);
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return sys_error("pivot_root", "/newroot");
  if (::umount2(".", MNT_DETACH) != 0) return sys_error("umount", "staging root and host tree");
  if (::chdir(cwd.c_str()) != 0) return sys_error("chdir", cwd, errno, "the working directory");
  return ok_status();
}

}  // namespace paddock
