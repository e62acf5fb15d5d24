#pragma once
// Where the control sockets of the user's running sandboxes live, and the checks that keep the
// directory the user's own.
//
//   $XDG_RUNTIME_DIR/paddock/ctl/<ID>.sock   when $XDG_RUNTIME_DIR is set, absolute, and a
//                                            directory of ours that nobody else may enter
//   /tmp/paddock-<uid>/ctl/<ID>.sock         otherwise
//
// The overlay masks kept between runs live beside ctl/ (masks/, walls/mask_cache.h): the same
// root, hidden inside every sandbox (control_roots), and the same checks.
//
// Every directory paddock makes is 0700, and every one it uses (made now or found) is opened
// without following a symlink and checked on the open descriptor: a directory, owned by our
// effective uid, no group or other access. Anything else is refused with the reason, never
// repaired or used: /tmp/paddock-<uid> made by someone else first (or a symlink planted there)
// means no control socket, not someone else's directory. The sockets are reached through the
// descriptor (fchdir), so a path swapped after the checks changes nothing.
#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace paddock::control {

// The directories to hide inside every sandbox (both candidates, whichever a run uses):
// "$XDG_RUNTIME_DIR/paddock" when the variable is absolute, and "/tmp/paddock-<uid>".
std::vector<std::string> control_roots(const char* xdg_runtime_dir, uid_t uid);

// Why a directory found at `what` may not hold control sockets, or nullopt when it may.
// Pure: judges what fstat() said.
std::optional<std::string> unsafe_directory(const struct stat& st, uid_t euid);

struct CtlDir {
  UniqueFd fd;       // the ctl directory, O_DIRECTORY
  std::string path;  // for messages and `paddock ctl list`
  std::string real;  // made by make_runtime_dir: the same path with no symlink on the way
};

// The control directory for a run, made where missing (`xdg_runtime_dir`: the variable's value,
// empty when unset). `sandbox_writable`: the run's writable roots (canonical); a directory
// beneath one is refused, since the sandbox could replace the socket with one of its own
// (`$XDG_RUNTIME_DIR` inside the project, `--allow-write /tmp`). Errors say which directory and
// why (the run goes on without a control socket: the caller warns).
Result<CtlDir> make_control_dir(const std::string& xdg_runtime_dir,
                                const std::vector<std::string>& sandbox_writable = {});

// The same for another directory of paddock's beside ctl/ (`leaf`: "masks" holds the overlay
// masks kept between runs, walls/mask_cache.h), with the same checks and refusals; also
// refused beneath any of `layered` (the lower layers of the run's overlays, beneath which
// overlayfs takes no other layer).
Result<CtlDir> make_runtime_dir(const std::string& xdg_runtime_dir, const std::string& leaf,
                                const std::vector<std::string>& sandbox_writable = {},
                                const std::vector<std::string>& layered = {});

// The control directories that exist, for `paddock ctl` (nothing is made). `refused` receives
// one line for each directory found but not used (another owner, open to others, a symlink).
std::vector<CtlDir> find_control_dirs(const std::string& xdg_runtime_dir,
                                      std::vector<std::string>& refused);

// "3fa2c9e01b7d.sock": the name of a control socket (kIdHexDigits lower-case hex digits).
inline constexpr std::size_t kIdHexDigits = 12;
bool valid_id(std::string_view id);
std::optional<std::string> id_of_socket_name(std::string_view name);
std::string socket_name(std::string_view id);

// A fresh random id (getrandom).
Result<std::string> new_id();

}  // namespace paddock::control
