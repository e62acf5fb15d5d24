// The 32-bit gate: getpid (32-bit number 20) through int 0x80 from a 64-bit process, and the x32
// ABI (syscall number | 0x40000000). The filter must refuse foreign-architecture calls (ENOSYS);
// an x32 keyctl must not slip past the keyctl rule.
#include <sys/syscall.h>
#include <unistd.h>

#include "probe_util.h"

int main() {
  long ret;
  asm volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
  // the raw kernel convention: -errno on failure
  if (ret < 0 && ret > -4096)
    probe_report("int80_getpid", -1, (int)-ret);
  else
    probe_report("int80_getpid", ret, 0);
  printf("{\"call\":\"getpid\",\"ret\":%ld,\"errno\":0,\"errname\":\"OK\"}\n", (long)getpid());
  fflush(stdout);
  // x32 keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 1)
  PROBE("x32_keyctl", syscall(0x40000000L | SYS_keyctl, 0, -2, 1));
  PROBE("x32_getpid", syscall(0x40000000L | SYS_getpid));
  return 0;
}
