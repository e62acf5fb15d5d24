#include "walls/overlay_mount.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "base/unique_fd.h"
#include "policy/home_layer.h"
#include "policy/mask_recipe.h"
#include "policy/paths.h"
#include "walls/dir_spread.h"

namespace paddock {

namespace {

// The mode the view should show for `rel` beneath the lower layer (a directory of the mask or
// an upper layer takes the place of the host's in the merged view); 0 when the host has no
// directory there.
mode_t lower_dir_mode(int lower_fd, const std::string& rel) {
  struct stat st;
  if (lower_fd < 0) return 0;
  const char* at = rel.empty() ? "." : rel.c_str();
  if (::fstatat(lower_fd, at, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) return 0;
  return st.st_mode & 07777;
}

// Opens directory `name` in `dir` without following a symlink, making it (with `mode`) when
// it is missing. `replace`: a non-directory there (a layer's own entry) is removed first.
Result<UniqueFd> open_or_make_dir(int dir, const std::string& name, mode_t mode, bool replace,
                                  const std::string& shown) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    UniqueFd fd(::openat(dir, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.valid()) return fd;
    if (errno == ENOENT) {
      if (::mkdirat(dir, name.c_str(), mode) != 0 && errno != EEXIST)
        return sys_error("mkdir", shown);
      // The mode asked for, whatever the umask.
      if (::fchmodat(dir, name.c_str(), mode, 0) != 0) return sys_error("chmod", shown);
      continue;
    }
    if ((errno == ENOTDIR || errno == ELOOP) && replace) {
      if (::unlinkat(dir, name.c_str(), 0) != 0) return sys_error("unlink", shown);
      continue;
    }
    return sys_error("open", shown, errno, "expected a directory");
  }
  return sys_error("open", shown, EAGAIN, "changed while being made");
}

// The directory `rel` beneath the store open at `store_fd`: each step opened without following a
// symlink, and made (mode 0700) where it is missing.
Result<UniqueFd> open_store_dir(int store_fd, const std::string& rel, const std::string& shown) {
  UniqueFd dir(::fcntl(store_fd, F_DUPFD_CLOEXEC, 0));
  if (!dir.valid()) return sys_error("fcntl(F_DUPFD_CLOEXEC)", shown);
  const std::string abs = "/" + rel;  // path_components returns views into it
  for (auto comp : path_components(abs)) {
    auto next = open_or_make_dir(dir.get(), std::string(comp), 0700, false, shown);
    if (!next) return next.error();
    dir = std::move(*next);
  }
  return dir;
}

// The work directory of `op` (a kept layer's) beneath its store, open at `store_fd`, made where it
// is missing: the run's own is the spare one beside it renamed (home_layer.h), if there is one.
Result<UniqueFd> open_work_dir(int store_fd, const MountOp& op) {
  const std::string shown = op.store + "/" + op.work;
  auto parent = open_store_dir(store_fd, parent_path(op.work), shown);
  if (!parent) return parent.error();
  const std::string name = base_name(op.work);
  // No replacing: a work directory there already (the supervisor made it) stays and the spare
  // with it; without a spare the directory is made below.
  (void)::renameat2(parent->get(), kSpareWorkName, parent->get(), name.c_str(), RENAME_NOREPLACE);
  return open_or_make_dir(parent->get(), name, 0700, false, shown);
}

constexpr const char* kOpaqueXattr = "user.overlay.opaque";

}  // namespace

// The whiteout every mask's whiteouts are hard links to, at the root of the masks' tmpfs (no
// overlay's layer: the layers are its subdirectories). A link is ~20% cheaper than a mknod on
// tmpfs (no inode made), and a mask holds ~90 whiteouts; overlayfs judges a whiteout by its
// inode (a character device 0/0), however many names it has.
Status make_whiteout_template(int tmpfs) {
  if (::mknodat(tmpfs, kWhiteoutName, S_IFCHR | 0000, makedev(0, 0)) == 0) return ok_status();
  if (errno != EEXIST) return sys_error("mknod (whiteout)", "the overlay masks' tmpfs");
  struct stat st;
  if (::fstatat(tmpfs, kWhiteoutName, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error("stat", "the overlay masks' tmpfs", errno, kWhiteoutName);
  if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return ok_status();
  return sys_error("mknod (whiteout)", "the overlay masks' tmpfs", EEXIST,
                   std::string("its name (") + kWhiteoutName + ") holds something else");
}

// Makes `recipe` in the empty directory open at `dir` (and gives it the recipe's root mode);
// its whiteouts are links to the template at the root of `tmpfs`.
Status make_mask(int tmpfs, int dir, const MaskRecipe& recipe, const std::string& shown) {
  for (const MaskEntry& e : recipe.entries) {
    const std::string what = shown + "/" + e.rel;
    switch (e.kind) {
      case MaskEntry::Kind::Dir:
      case MaskEntry::Kind::OpaqueDir: {
        if (::mkdirat(dir, e.rel.c_str(), e.mode) != 0) return sys_error("mkdir", what);
        // The mode asked for, whatever the umask.
        if (::fchmodat(dir, e.rel.c_str(), e.mode, 0) != 0) return sys_error("chmod", what);
        if (e.kind == MaskEntry::Kind::Dir) break;
        UniqueFd d(::openat(dir, e.rel.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!d.valid()) return sys_error("open", what);
        if (::fsetxattr(d.get(), kOpaqueXattr, "y", 1, 0) != 0)
          return sys_error("setxattr user.overlay.opaque", what, errno,
                           errno == EOPNOTSUPP ? "tmpfs takes user xattrs from Linux 6.6" : "");
        break;
      }
      case MaskEntry::Kind::Whiteout:
        if (::linkat(tmpfs, kWhiteoutName, dir, e.rel.c_str(), 0) != 0)
          return sys_error("link (whiteout)", what);
        break;
      case MaskEntry::Kind::File: {
        UniqueFd f(::openat(dir, e.rel.c_str(),
                            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, e.mode));
        if (!f.valid()) return sys_error("create mount point", what);
        break;
      }
    }
  }
  if (::fchmod(dir, recipe.root_mode) != 0) return sys_error("chmod", shown);
  return ok_status();
}

std::string overlay_option_path(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '\\' || c == ',' || c == ':') out += '\\';
    out += c;
  }
  return out;
}

Result<UniqueFd> mask_tmpfs() {
  UniqueFd fs(::fsopen("tmpfs", FSOPEN_CLOEXEC));
  if (!fs.valid()) return sys_error("fsopen", "tmpfs (overlay masks)");
  if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "mode", "0700", 0) != 0 ||
      ::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    return sys_error("fsconfig", "tmpfs (overlay masks)");
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
  if (!mnt.valid()) return sys_error("fsmount", "tmpfs (overlay masks)");
  return mnt;
}

namespace {

// Calls `each(op, steps, name)` for every overlay step of `plan`, with the mask steps before it
// and the name of its mask ("" when it has none), until one fails.
template <class F>
Status for_each_overlay(const MountPlan& plan, F each) {
  std::vector<const MountOp*> steps;  // the mask steps since the last overlay
  unsigned masks = 0;
  for (const MountOp& op : plan.ops) {
    if (is_mask_op(op.kind)) {
      steps.push_back(&op);
      continue;
    }
    if (op.kind != MountOp::Kind::Overlay) continue;
    const bool with_mask = !steps.empty() || !op.writable || op.source.empty();
    PADDOCK_TRY(each(op, steps, with_mask ? "mask-" + std::to_string(++masks) : std::string()));
    steps.clear();
  }
  return ok_status();
}

}  // namespace

std::vector<std::string> mask_names(const MountPlan& plan) {
  std::vector<std::string> names;
  (void)for_each_overlay(
      plan,
      [&names](const MountOp&, const std::vector<const MountOp*>&, std::string name) -> Status {
        names.push_back(std::move(name));
        return ok_status();
      });
  return names;
}

Result<std::vector<std::optional<MaskRecipe>>> plan_masks(const MountPlan& plan) {
  std::vector<std::optional<MaskRecipe>> out;
  PADDOCK_TRY(for_each_overlay(
      plan,
      [&out](const MountOp& op, const std::vector<const MountOp*>& steps,
             const std::string& name) -> Status {
        if (name.empty()) {
          out.emplace_back();
          return ok_status();
        }
        UniqueFd lower_fd;
        if (!op.source.empty()) {
          lower_fd.reset(::open(op.source.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
          if (!lower_fd.valid())
            return sys_error("open", op.source, errno, "an overlay's lower layer");
        }
        auto recipe = plan_mask(op.path, steps, [&lower_fd](const std::string& rel) {
          return lower_dir_mode(lower_fd.get(), rel);
        });
        if (!recipe) return recipe.error();
        out.emplace_back(std::move(*recipe));
        return ok_status();
      }));
  return out;
}

Status make_masks(const std::vector<std::string>& names,
                  const std::vector<std::optional<MaskRecipe>>& recipes, int tmpfs,
                  const std::vector<std::string>& kept) {
  if (names.size() != recipes.size() || (!kept.empty() && kept.size() != names.size()))
    return plain_error("overlay masks", "the masks and their recipes do not match");
  bool template_made = false;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty() || !recipes[i] || (!kept.empty() && !kept[i].empty())) continue;
    if (!template_made) PADDOCK_TRY(make_whiteout_template(tmpfs));
    template_made = true;
    const std::string shown = "mask " + names[i];
    if (::mkdirat(tmpfs, names[i].c_str(), 0700) != 0)
      return sys_error("mkdir", shown, errno, "overlay mask");
    UniqueFd mask_fd(
        ::openat(tmpfs, names[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!mask_fd.valid()) return sys_error("open", shown);
    PADDOCK_TRY(make_mask(tmpfs, mask_fd.get(), *recipes[i], shown));
  }
  return ok_status();
}

Status make_masks(const MountPlan& plan, int tmpfs) {
  auto recipes = plan_masks(plan);
  if (!recipes) return recipes.error();
  return make_masks(mask_names(plan), *recipes, tmpfs);
}

Status make_layer_work_dirs(const MountPlan& plan) {
  for (const MountOp& op : plan.ops) {
    if (op.kind != MountOp::Kind::Overlay || op.store.empty() || op.work.empty()) continue;
    UniqueFd store(::open(op.store.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!store.valid()) return sys_error("open", op.store, errno, "the home layer");
    auto work = open_work_dir(store.get(), op);
    if (!work) return work.error();
  }
  return ok_status();
}

Status make_spare_work_dirs(const MountPlan& plan) {
  for (const MountOp& op : plan.ops) {
    if (op.kind != MountOp::Kind::Overlay || op.store.empty() || op.work.empty()) continue;
    const std::string shown = op.store + "/" + parent_path(op.work) + "/" + kSpareWorkName;
    UniqueFd store(::open(op.store.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!store.valid()) return sys_error("open", op.store, errno, "the home layer");
    auto dir = open_store_dir(store.get(), parent_path(op.work), shown);
    if (!dir) return dir.error();
    // Before the spare is made, so that it is spread too. Only a hint (dir_spread.h): where
    // it cannot be set the spare is made all the same.
    (void)spread_subdirectories(dir->get(), op.store + "/" + parent_path(op.work));
    if (::mkdirat(dir->get(), kSpareWorkName, 0700) != 0) {
      if (errno == EEXIST) continue;
      return sys_error("mkdir", shown);
    }
    // The mode a work directory needs, whatever the umask.
    if (::fchmodat(dir->get(), kSpareWorkName, 0700, 0) != 0) return sys_error("chmod", shown);
  }
  return ok_status();
}

// An upper layer in memory (--ephemeral-home, or the project's layer is busy): one tmpfs for
// every such overlay of the run, gone with the sandbox.
Result<std::string> OverlayBuilder::memory_layer(const std::string& lower) {
  std::string base = scratch_ + "/layers";
  if (!memory_mounted_) {
    if (::mkdir(base.c_str(), 0700) != 0) return sys_error("mkdir", base);
    if (::mount("tmpfs", base.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") != 0)
      return sys_error("mount tmpfs", "(the home layer in memory)");
    memory_mounted_ = true;
  }
  std::string dir = base + "/" + std::to_string(seq_);  // this overlay's index, plus one
  struct stat st;
  mode_t mode = !lower.empty() && ::stat(lower.c_str(), &st) == 0 ? st.st_mode & 07777 : 0755;
  if (::mkdir(dir.c_str(), 0700) != 0) return sys_error("mkdir", dir);
  std::string upper = dir + "/upper";
  if (::mkdir(upper.c_str(), mode) != 0 || ::chmod(upper.c_str(), mode) != 0)
    return sys_error("mkdir", upper);
  if (::mkdir((dir + "/work").c_str(), 0700) != 0) return sys_error("mkdir", dir + "/work");
  return dir;
}

// The upper and work directories of a kept layer, made as needed beneath the store without
// following any symlink: what lies beneath upper/ was written by earlier sandboxes, and a
// non-directory there (the layer's own entry, from a run that layered the home as one) gives
// way. Directories of the upper layer take the host's modes: the view shows theirs.
Status OverlayBuilder::ensure_store_dirs(const MountOp& op, const std::string& lower,
                                         const std::string& store) {
  UniqueFd store_fd(::open(store.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!store_fd.valid()) return sys_error("open", op.store, errno, "the home layer");
  // op.upper is "upper" or "upper/REL", where the lower is HOME/REL: find HOME's directory.
  std::string rel = op.upper.size() > 6 ? op.upper.substr(6) : std::string();
  std::string home = rel.empty() || lower.size() <= rel.size() + 1
                         ? lower
                         : lower.substr(0, lower.size() - rel.size() - 1);
  UniqueFd home_fd(home.empty() ? -1 : ::open(home.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd dir(::fcntl(store_fd.get(), F_DUPFD_CLOEXEC, 0));
  if (!dir.valid()) return sys_error("fcntl(F_DUPFD_CLOEXEC)", op.store);
  const std::string abs = "/" + op.upper;  // path_components returns views into it
  auto comps = path_components(abs);
  std::string below;  // the path beneath upper/, as in the home
  for (size_t i = 0; i < comps.size(); ++i) {
    std::string name(comps[i]);
    if (i > 0) {
      if (!below.empty()) below += '/';
      below += name;
    }
    mode_t mode = lower_dir_mode(home_fd.get(), below);
    auto next = open_or_make_dir(dir.get(), name, mode != 0 ? mode : 0700, i > 0, op.store + abs);
    if (!next) return next.error();
    dir = std::move(*next);
  }
  auto work = open_work_dir(store_fd.get(), op);
  if (!work) return work.error();
  // A volatile overlay leaves work/incompat/volatile behind, and overlayfs refuses a work
  // directory holding it (the upper layer may have lost writes in a crash: for a layer of
  // caches and histories, accepted). The lock says no other mount uses this one.
  const std::string shown = op.store + "/" + op.work + "/work/incompat";
  UniqueFd ww(::openat(work->get(), "work", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  UniqueFd inc(ww.valid()
                   ? ::openat(ww.get(), "incompat", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                   : -1);
  UniqueFd vol(inc.valid()
                   ? ::openat(inc.get(), "volatile", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                   : -1);
  if (vol.valid() && ::unlinkat(vol.get(), "dirty", 0) != 0 && errno != ENOENT)
    return sys_error("unlink", shown + "/volatile/dirty");
  if (inc.valid()) {
    if (::unlinkat(inc.get(), "volatile", AT_REMOVEDIR) != 0 && errno != ENOENT)
      return sys_error("rmdir", shown + "/volatile");
    if (::unlinkat(ww.get(), "incompat", AT_REMOVEDIR) != 0 && errno != ENOENT)
      return sys_error("rmdir", shown);
  }
  return ok_status();
}

Status OverlayBuilder::mount(const MountOp& op, const std::string& target, const std::string& lower,
                             const std::string& store) {
  const size_t index = seq_++;
  if (index >= masks_.names.size())
    return plain_error("mount overlay", "no mask was prepared for this overlay", op.path);
  std::string opts = "lowerdir=";
  const std::string& kept = index < masks_.kept.size() ? masks_.kept[index] : std::string();
  if (!masks_.names[index].empty()) {
    // A kept mask, checked by the supervisor and held until it exits (walls/mask_cache.h),
    // is read where the host's tree is now; the others are in the masks' tmpfs.
    opts += overlay_option_path(kept.empty() ? masks_dir_ + "/" + masks_.names[index]
                                             : host_root_ + kept);
    if (!lower.empty()) opts += ":";
  }
  if (!lower.empty()) opts += overlay_option_path(lower);
  if (op.writable) {
    std::string upper, work;
    if (store.empty()) {
      auto dir = memory_layer(lower);
      if (!dir) return dir.error();
      upper = *dir + "/upper";
      work = *dir + "/work";
    } else {
      PADDOCK_TRY(ensure_store_dirs(op, lower, store));
      upper = store + "/" + op.upper;
      work = store + "/" + op.work;
    }
    opts += ",upperdir=" + overlay_option_path(upper) + ",workdir=" + overlay_option_path(work);
  }
  // user.overlay.* xattrs (the only kind a user namespace may use); no redirects, metacopy or
  // index: nothing in an upper layer may point the view at another host path. xino keeps one
  // st_dev for every file, which is how the write mediator recognises the layer. volatile: no
  // sync of the whole upper filesystem at unmount (4 ms on ext4 here), and no way for the
  // sandbox to make one with syncfs().
  opts += ",userxattr,redirect_dir=nofollow,metacopy=off,index=off,xino=on";
  if (op.writable) opts += ",volatile";
  unsigned long flags = MS_NOSUID | MS_NODEV | (op.writable ? 0 : MS_RDONLY);
  if (::mount("overlay", target.c_str(), "overlay", flags, opts.c_str()) != 0)
    return sys_error("mount overlay", op.path);
  return ok_status();
}

}  // namespace paddock
