// perf_event_open: refused by seccomp (EPERM). With a NULL attr the host answers EFAULT.
#include <sys/syscall.h>
#include <unistd.h>

#include "probe_util.h"

int main() {
  PROBE("perf_event_open", syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0));
  return 0;
}
