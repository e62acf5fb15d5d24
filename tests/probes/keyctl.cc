// keyctl / add_key / request_key: refused by seccomp (EPERM) in the sandbox.
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe_util.h"

int main() {
  // host: returns the session keyring's serial (creating one if needed)
  PROBE("keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 1));
  // host: adds a key to the (new) process keyring and returns its serial
  PROBE("add_key", syscall(SYS_add_key, "user", "paddock-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING));
  // host: ENOKEY
  PROBE("request_key", syscall(SYS_request_key, "user", "paddock-probe-none", nullptr, 0));
  return 0;
}
