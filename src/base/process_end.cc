#include "base/process_end.h"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "base/kernel_abi.h"

namespace paddock {

namespace {

// The helper's stack: it only waits, in syscalls. Static, since it runs on our memory.
alignas(64) char helper_stack[16 * 1024];
pid_t helper_parent = -1;

// Runs in the helper, on our memory: it holds the address space until we are gone (the death
// signal comes once our exit has dropped its own hold), then its exit releases it.
int hold_memory(void*) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || ::getppid() != helper_parent) ::_exit(0);
  for (;;) ::pause();
}

}  // namespace

void end_process(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  // Nothing may outlive the exit through the helper: the home layer's lock, the caller's pipes
  // and terminal are all released here, before the exit is reported.
  if (::syscall(kabi::NR_close_range, 0U, ~0U, 0U) == 0) {
    helper_parent = ::getpid();
    // No CLONE_FILES: the helper's table is a copy of ours, now empty.
    (void)::clone(hold_memory, helper_stack + sizeof helper_stack, CLONE_VM | SIGCHLD, nullptr);
  }
  std::_Exit(code);
}

}  // namespace paddock
