#pragma once
// The user's terminal under its own name inside. The sandbox's /dev/pts is a devpts instance of
// its own (so the command cannot open the host's other terminals), where the pty the command's
// stdin, stdout or stderr is open on does not exist: `tty` says "not a tty" and ttyname() fails,
// which breaks GPG_TTY=$(tty), ssh's and sudo's prompts that reopen it, and tmux. So that one
// node (and only that one: the command holds it already, as it holds /dev/tty) is bound at its
// own path, /dev/pts/N, in the sandbox's instance.
//
// A mount needs an entry to cover, and devpts makes one only for an allocated pty, numbered
// lowest-free: the sandbox side allocates ptys 0..N in its fresh instance (their masters are
// held by init, locked, for the sandbox's life), and binds the host's node over entry N. Ptys
// the command opens later get numbers above N.
#include <array>
#include <string>
#include <vector>

#include "base/result.h"

namespace paddock {

// Supervisor side: the host pty numbers (N of /dev/pts/N) that stdin, stdout and stderr are
// open on, each checked to be the very node at /dev/pts/N (same device and inode), without
// duplicates, and only where those descriptors together read and write it (reopening the node
// gives both). Numbers above kMaxExposedPty are left out (they would cost as many ptys).
// `stdio`: the descriptors the command will have as 0, 1 and 2 (with --ask on the user's
// terminal, paddock's own pty stands in for those that were the terminal).
inline constexpr unsigned kMaxExposedPty = 255;
std::vector<unsigned> stdio_ptys(const std::array<int, 3>& stdio = {0, 1, 2});

// Sandbox side, after `dev`/pts is the new devpts instance: allocates ptys up to the largest N
// and binds `old_root`/dev/pts/N over `dev`/pts/N for each N, after checking that the node is
// the one one of fds 0-2 is open on (never another terminal). The allocated masters stay open
// (close-on-exec) in the calling process.
Status expose_ptys(const std::string& dev, const std::string& old_root,
                   const std::vector<unsigned>& ptys);

}  // namespace paddock
