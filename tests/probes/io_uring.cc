// io_uring_setup / io_uring_enter / io_uring_register: refused by seccomp (EPERM) in the sandbox.
#include <linux/io_uring.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe_util.h"

int main() {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  errno = 0;
  long fd = syscall(SYS_io_uring_setup, 4, &p);  // succeeds on a normal host
  probe_report("io_uring_setup", fd, errno);
  if (fd >= 0) close((int)fd);
  PROBE("io_uring_enter", syscall(SYS_io_uring_enter, -1, 0, 0, 0, nullptr, 0));  // host: EBADF
  PROBE("io_uring_register", syscall(SYS_io_uring_register, -1, 0, nullptr, 0));  // host: EBADF
  return 0;
}
