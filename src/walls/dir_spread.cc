#include "walls/dir_spread.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

#include <cerrno>

#include "base/unique_fd.h"

namespace paddock {

namespace {

// The ioctl's answer when the filesystem has no such flags, or not this one.
bool not_supported(int err) {
  return err == ENOTTY || err == EOPNOTSUPP || err == EINVAL || err == ENOSYS;
}

}  // namespace

Result<SpreadHint> spread_subdirectories(int dir, const std::string& shown) {
  // The flags ioctls need a descriptor that is not O_PATH; "." beneath `dir` is the directory
  // itself, whatever its name says now.
  UniqueFd fd(::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return sys_error("open", shown);
  int flags = 0;
  if (::ioctl(fd.get(), FS_IOC_GETFLAGS, &flags) != 0) {
    if (not_supported(errno)) return SpreadHint::Unsupported;
    return sys_error("ioctl(FS_IOC_GETFLAGS)", shown);
  }
  if ((flags & FS_TOPDIR_FL) != 0) return SpreadHint::Set;
  flags |= FS_TOPDIR_FL;
  if (::ioctl(fd.get(), FS_IOC_SETFLAGS, &flags) != 0) {
    if (not_supported(errno)) return SpreadHint::Unsupported;
    return sys_error("ioctl(FS_IOC_SETFLAGS, FS_TOPDIR_FL)", shown);
  }
  return SpreadHint::Set;
}

}  // namespace paddock
