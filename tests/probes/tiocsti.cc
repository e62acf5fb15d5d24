// Terminal injection: TIOCSTI (and the same request with high bits set, which the kernel truncates
// to 32 bits) and TIOCLINUX on fd 0. Also reports whether fd 0 is our controlling terminal, since
// the kernel itself refuses TIOCSTI on a tty that is not.
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe_util.h"

int main(int argc, char** argv) {
  const char* ch = argc > 1 ? argv[1] : "Z";
  pid_t sid = 0;
  PROBE("tiocgsid", ioctl(0, TIOCGSID, &sid));
  PROBE("tiocsti", syscall(SYS_ioctl, 0, 0x5412UL, ch));
  PROBE("tiocsti_highbits", syscall(SYS_ioctl, 0, 0xffffffff00005412UL, ch));
  char sub = 0;  // TIOCLINUX subcode 0 is invalid; on a pty the kernel says ENOTTY/EINVAL
  PROBE("tioclinux", syscall(SYS_ioctl, 0, 0x541CUL, &sub));
  return 0;
}
