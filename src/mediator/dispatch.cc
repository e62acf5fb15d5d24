// From a seccomp notification to the handler for its syscall, decoding the raw arguments the
// way the kernel does (ints are the low 32 bits, modes 16 bits).
#include "mediator/dispatch.h"

#include <fcntl.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstring>

#include "base/kernel_abi.h"
#include "mediator/call.h"

namespace paddock::mediator {

namespace {

int as_int(uint64_t v) {
  return static_cast<int>(static_cast<uint32_t>(v));
}
mode_t as_mode(uint64_t v) {
  return static_cast<mode_t>(static_cast<uint16_t>(v));
}

// setxattrat's struct xattr_args, read as the kernel reads an extensible struct: at least the
// first version's 16 bytes, any further bytes zero.
Out<long> setxattrat(Call& c, const __u64* x) {
  unsigned at_flags = static_cast<uint32_t>(x[2]);
  if (at_flags & ~unsigned(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return CallError{EINVAL};
  size_t usize = x[5];
  constexpr size_t kVer0 = 16;
  if (usize < kVer0) return CallError{EINVAL};
  if (usize > 4096) return CallError{E2BIG};
  auto raw = c.caller.read_bytes(x[4], usize);
  if (!raw.ok()) return CallError{raw.err};
  for (size_t i = kVer0; i < usize; ++i)
    if (raw.value[i] != 0) return CallError{E2BIG};
  uint64_t value;
  uint32_t size, flags;
  std::memcpy(&value, raw.value.data(), 8);
  std::memcpy(&size, raw.value.data() + 8, 4);
  std::memcpy(&flags, raw.value.data() + 12, 4);
  return do_setxattr(c, {as_int(x[0]), x[1], at_flags}, x[3], value, size, int(flags));
}

Out<long> removexattrat(Call& c, const __u64* x) {
  unsigned at_flags = static_cast<uint32_t>(x[2]);
  if (at_flags & ~unsigned(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return CallError{EINVAL};
  return do_removexattr(c, {as_int(x[0]), x[1], at_flags}, x[3]);
}

}  // namespace

Out<long> dispatch(Call& c) {
  const __u64* x = c.caller.args();
  switch (c.caller.nr()) {
    case SYS_open:
      return do_open(c, AT_FDCWD, x[0], as_int(x[1]), as_mode(x[2]));
    case SYS_openat:
      return do_open(c, as_int(x[0]), x[1], as_int(x[2]), as_mode(x[3]));
    case SYS_creat:
      return do_open(c, AT_FDCWD, x[0], O_CREAT | O_WRONLY | O_TRUNC, as_mode(x[1]));
    case SYS_mkdir:
      return do_mknod(c, AT_FDCWD, x[0], S_IFDIR | (as_mode(x[1]) & 07777), 0);
    case SYS_mkdirat:
      return do_mknod(c, as_int(x[0]), x[1], S_IFDIR | (as_mode(x[2]) & 07777), 0);
    case SYS_mknod:
      return do_mknod(c, AT_FDCWD, x[0], as_mode(x[1]), dev_t(uint32_t(x[2])));
    case SYS_mknodat:
      return do_mknod(c, as_int(x[0]), x[1], as_mode(x[2]), dev_t(uint32_t(x[3])));
    case SYS_symlink:
      return do_symlink(c, x[0], AT_FDCWD, x[1]);
    case SYS_symlinkat:
      return do_symlink(c, x[0], as_int(x[1]), x[2]);
    case SYS_link:
      return do_link(c, AT_FDCWD, x[0], AT_FDCWD, x[1], 0);
    case SYS_linkat:
      return do_link(c, as_int(x[0]), x[1], as_int(x[2]), x[3], as_int(x[4]));
    case SYS_rename:
      return do_rename(c, AT_FDCWD, x[0], AT_FDCWD, x[1], 0);
    case SYS_renameat:
      return do_rename(c, as_int(x[0]), x[1], as_int(x[2]), x[3], 0);
    case SYS_renameat2:
      return do_rename(c, as_int(x[0]), x[1], as_int(x[2]), x[3], uint32_t(x[4]));
    case SYS_truncate:
      return do_truncate(c, x[0], off_t(x[1]));
    case SYS_chmod:
      return do_chmod(c, AT_FDCWD, x[0], as_mode(x[1]), 0);
    case SYS_fchmodat:
      return do_chmod(c, as_int(x[0]), x[1], as_mode(x[2]), 0);
    case kabi::NR_fchmodat2:
      return do_chmod(c, as_int(x[0]), x[1], as_mode(x[2]), as_int(x[3]));
    case SYS_fchmod:
      return do_fchmod(c, as_int(x[0]), as_mode(x[1]));
    case SYS_unlink:
      return do_unlink(c, AT_FDCWD, x[0], 0);
    case SYS_unlinkat:
      return do_unlink(c, as_int(x[0]), x[1], as_int(x[2]));
    case SYS_rmdir:
      return do_unlink(c, AT_FDCWD, x[0], AT_REMOVEDIR);
    case SYS_connect:
      return do_connect(c, as_int(x[0]), x[1], socklen_t(uint32_t(x[2])));
    case SYS_bind:
      return do_bind(c, as_int(x[0]), x[1], socklen_t(uint32_t(x[2])));
    case SYS_sendto:
      return do_sendto(c, as_int(x[0]), x[1], size_t(x[2]), as_int(x[3]), x[4],
                       socklen_t(uint32_t(x[5])));
    case SYS_setxattr:
      return do_setxattr(c, {AT_FDCWD, x[0], 0}, x[1], x[2], size_t(x[3]), as_int(x[4]));
    case SYS_lsetxattr:
      return do_setxattr(c, {AT_FDCWD, x[0], AT_SYMLINK_NOFOLLOW}, x[1], x[2], size_t(x[3]),
                         as_int(x[4]));
    case SYS_fsetxattr:
      return do_setxattr(c, {as_int(x[0]), 0, AT_EMPTY_PATH}, x[1], x[2], size_t(x[3]),
                         as_int(x[4]));
    case SYS_removexattr:
      return do_removexattr(c, {AT_FDCWD, x[0], 0}, x[1]);
    case SYS_lremovexattr:
      return do_removexattr(c, {AT_FDCWD, x[0], AT_SYMLINK_NOFOLLOW}, x[1]);
    case SYS_fremovexattr:
      return do_removexattr(c, {as_int(x[0]), 0, AT_EMPTY_PATH}, x[1]);
    case kabi::NR_setxattrat:
      return setxattrat(c, x);
    case kabi::NR_removexattrat:
      return removexattrat(c, x);
    default:
      return CallError{ENOSYS};
  }
}

}  // namespace paddock::mediator
