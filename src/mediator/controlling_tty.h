#pragma once
// /dev/tty names the opener's controlling terminal. The write mediator performs opens for the
// sandbox in the supervisor, where that node would name the supervisor's terminal: the user's,
// also under --ask, where the command runs on paddock's own pty precisely so that nothing in the
// sandbox holds the user's terminal (a sandbox holding it could read the keys meant for the
// question, or print a look-alike of it). So an open of that node the mediator performs is an
// open of the caller's own controlling terminal, found for it (choose_controlling_tty).
#include <sys/stat.h>

#include <cstdint>

#include "base/unique_fd.h"
#include "mediator/caller.h"

namespace paddock::mediator {

// The node of /dev/tty (character device 5:0), under any name.
bool names_controlling_tty(const struct stat& st);

struct TtyChoice {
  enum class Kind {
    None,        // no controlling terminal (ENXIO, as the kernel answers)
    Ours,        // the caller is in our session: its terminal is ours
    SandboxPty,  // pty `pty` of the sandbox's /dev/pts (the command's, under its name, or one
                 // made inside), which must turn out to be device `rdev`
  };
  Kind kind = Kind::None;
  unsigned pty = 0;
};

// Pure. `*_tty` are tty_nr of /proc/PID/stat (the kernel's encoding of a device number).
TtyChoice choose_controlling_tty(uint64_t caller_session, uint64_t caller_tty, uint64_t our_session,
                                 uint64_t our_tty);

// The caller's controlling terminal opened with its open `flags` (never as our controlling
// terminal), or the errno for it.
Out<UniqueFd> open_controlling_tty(const Caller& caller, int sandbox_root, int flags);

}  // namespace paddock::mediator
