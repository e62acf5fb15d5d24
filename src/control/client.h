#pragma once
// `paddock ctl`'s side of the control socket: finding the user's running sandboxes and asking one
// of them (protocol.h). Blocking, with timeouts; one request per connection.
#include <chrono>
#include <string>
#include <vector>

#include "base/result.h"
#include "control/ctl_dir.h"
#include "control/protocol.h"

namespace paddock::control {

inline constexpr std::chrono::seconds kClientTimeout{5};

struct SocketEntry {
  const CtlDir* dir = nullptr;
  std::string id;
};

// The control sockets in `dirs` (names that are not <ID>.sock are skipped), sorted by id.
std::vector<SocketEntry> list_sockets(const std::vector<CtlDir>& dirs);

// Sends one request and reads the answer. The server must run as our effective uid (checked
// with SO_PEERCRED before anything is sent). Errors keep errno: ECONNREFUSED means nothing
// listens there any more (a run that was killed), ENOENT that it ended meanwhile.
Result<Response> ask_sandbox(const SocketEntry& s, const Request& req,
                             std::chrono::milliseconds timeout = kClientTimeout);

// Removes the socket of a run that is gone, when it is a socket of ours. False when it was not.
bool remove_stale(const SocketEntry& s);

}  // namespace paddock::control
