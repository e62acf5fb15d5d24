// mount, umount2, pivot_root, chroot and the new mount API: refused by seccomp (EPERM).
// The "_fault" calls pass arguments the kernel rejects with EFAULT/EBADF/EINVAL on the host, so
// EPERM can only come from the filter; the "_real" calls try an actual mount and are only run when
// argv[1] == "real" (in the sandbox), never on the host.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe_util.h"

int main(int argc, char** argv) {
  PROBE("mount_fault", syscall(SYS_mount, nullptr, nullptr, nullptr, 0, nullptr));
  PROBE("umount2_fault", syscall(SYS_umount2, nullptr, 0));
  PROBE("chroot_fault", syscall(SYS_chroot, nullptr));
  PROBE("fsopen_fault", syscall(SYS_fsopen, nullptr, 0));
  PROBE("fsmount_badfd", syscall(SYS_fsmount, -1, 0, 0));
  PROBE("fspick_fault", syscall(SYS_fspick, AT_FDCWD, nullptr, 0));
  PROBE("open_tree_fault", syscall(SYS_open_tree, AT_FDCWD, nullptr, 0));
  PROBE("move_mount_fault", syscall(SYS_move_mount, AT_FDCWD, nullptr, AT_FDCWD, nullptr, 0));
  if (argc > 1 && strcmp(argv[1], "real") == 0) {
    PROBE("mount_real_tmpfs", mount("none", "/tmp", "tmpfs", 0, nullptr));
    PROBE("mount_real_remount_rw", mount(nullptr, "/", nullptr, MS_REMOUNT, nullptr));
    PROBE("mount_real_bind", mount("/tmp", "/usr", nullptr, MS_BIND, nullptr));
    PROBE("umount2_real", umount2("/proc", MNT_DETACH));
    PROBE("pivot_root_real", syscall(SYS_pivot_root, "/tmp", "/tmp"));
    PROBE("chroot_real", chroot("/tmp"));
    PROBE("fsopen_real", syscall(SYS_fsopen, "tmpfs", 0));
    PROBE("open_tree_real", syscall(SYS_open_tree, AT_FDCWD, "/tmp", 1 /* OPEN_TREE_CLONE */));
    PROBE("mount_setattr_real", syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, nullptr, 0));
  }
  return 0;
}
