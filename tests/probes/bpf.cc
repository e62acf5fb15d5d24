// bpf: refused by seccomp (EPERM) in the sandbox. An invalid command makes the host answer EINVAL
// for every user, so EPERM can only come from the filter.
#include <sys/syscall.h>
#include <unistd.h>

#include "probe_util.h"

int main() {
  PROBE("bpf", syscall(SYS_bpf, 9999, nullptr, 0));
  return 0;
}
