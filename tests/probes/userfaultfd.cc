// userfaultfd: refused by seccomp (EPERM). UFFD_USER_MODE_ONLY succeeds on the host for any user.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe_util.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

int main() {
  errno = 0;
  long fd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
  probe_report("userfaultfd", fd, errno);
  return 0;
}
