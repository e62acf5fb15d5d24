#include "mediator/controlling_tty.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "base/kernel_abi.h"
#include "base/proc_stat.h"
#include "base/pty.h"

namespace paddock::mediator {

namespace {

constexpr unsigned kTtyAuxMajor = 5;  // /dev/tty is 5:0
// Fields of /proc/PID/stat (proc(5)).
constexpr int kSessionField = 6;
constexpr int kTtyField = 7;

// tty_nr: the minor in bits 31-20 and 7-0, the major in bits 19-8.
unsigned tty_major(uint64_t tty) {
  return unsigned((tty >> 8) & 0xfff);
}
unsigned tty_minor(uint64_t tty) {
  return unsigned((tty & 0xff) | ((tty >> 12) & 0xfff00));
}

struct SessionTty {
  uint64_t session = 0;
  uint64_t tty = 0;
};

Out<SessionTty> session_tty(const std::string& stat_path) {
  auto text = read_proc_stat(stat_path);
  if (!text) return CallError{ENOENT};
  auto session = proc_stat_field(*text, kSessionField);
  auto tty = proc_stat_field(*text, kTtyField);
  if (!session || !tty) return CallError{ENXIO};
  return SessionTty{*session, *tty};
}

}  // namespace

bool names_controlling_tty(const struct stat& st) {
  return S_ISCHR(st.st_mode) && major(st.st_rdev) == kTtyAuxMajor && minor(st.st_rdev) == 0;
}

TtyChoice choose_controlling_tty(uint64_t caller_session, uint64_t caller_tty, uint64_t our_session,
                                 uint64_t our_tty) {
  TtyChoice c;
  if (caller_tty == 0) return c;
  // A session has one controlling terminal: in ours, the caller's is ours.
  if (caller_session == our_session && caller_tty == our_tty) {
    c.kind = TtyChoice::Kind::Ours;
    return c;
  }
  if (auto pty = pty_number(tty_major(caller_tty), tty_minor(caller_tty))) {
    c.kind = TtyChoice::Kind::SandboxPty;
    c.pty = *pty;
  }
  return c;
}

Out<UniqueFd> open_controlling_tty(const Caller& caller, int sandbox_root, int flags) {
  auto theirs = session_tty(caller.proc("stat"));
  if (!theirs.ok()) return CallError{theirs.err};
  // No terminal at all, the common case (an agent's commands; every bash start asks): ours is
  // not read.
  if (theirs.value.tty == 0) return CallError{caller.still_valid() ? ENXIO : ENOENT};
  auto ours = session_tty("/proc/self/stat");
  if (!ours.ok()) return CallError{ours.err};
  if (!caller.still_valid()) return CallError{ENOENT};
  const TtyChoice choice = choose_controlling_tty(theirs.value.session, theirs.value.tty,
                                                  ours.value.session, ours.value.tty);
  // Never ours to keep as a controlling terminal; blocking is undone by the caller's flags.
  const int oflags =
      (flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_PATH | O_DIRECTORY)) |
      O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  UniqueFd fd;
  switch (choice.kind) {
    case TtyChoice::Kind::None:
      return CallError{ENXIO};
    case TtyChoice::Kind::Ours:
      fd.reset(::open("/dev/tty", oflags));
      break;
    case TtyChoice::Kind::SandboxPty: {
      // In the sandbox's view, as it would open the node itself; mounts may be crossed (a pty
      // shown under its name is a bind), symlinks not.
      kabi::open_how how{};
      how.flags = uint64_t(oflags);
      how.resolve = kabi::RESOLVE_IN_ROOT | kabi::RESOLVE_NO_SYMLINKS | kabi::RESOLVE_NO_MAGICLINKS;
      const std::string rel = "dev/pts/" + std::to_string(choice.pty);
      fd.reset(int(::syscall(kabi::NR_openat2, sandbox_root, rel.c_str(), &how, sizeof how)));
      break;
    }
  }
  if (!fd.valid()) return CallError{errno == ENOENT ? ENXIO : errno};
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return CallError{errno};
  // What was opened must be the caller's terminal (a pty of that number, the very device).
  if (choice.kind == TtyChoice::Kind::SandboxPty &&
      (!S_ISCHR(st.st_mode) || major(st.st_rdev) != tty_major(theirs.value.tty) ||
       minor(st.st_rdev) != tty_minor(theirs.value.tty)))
    return CallError{ENXIO};
  return fd;
}

}  // namespace paddock::mediator
