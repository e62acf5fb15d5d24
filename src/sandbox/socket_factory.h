#pragma once
// Sockets made inside the sandbox's network namespace for the supervisor (--publish).
//
// A socket belongs to the network namespace it was created in, so a connect to 127.0.0.1:PORT on
// one made inside reaches the sandbox's own loopback. The supervisor cannot make them itself:
// setns() into the namespace needs CAP_SYS_ADMIN in the supervisor's own user namespace (an
// unprivileged user has none), and a threaded process may not join the sandbox's user namespace
// first. init is already inside and holds nothing worth having: on each one-byte request (the
// address family) over a SOCK_SEQPACKET pair it answers with a new, unconnected TCP socket. The
// supervisor connects it, to a port it chose; init never connects, binds or reads anything.
#include <mutex>

#include "base/result.h"
#include "base/unique_fd.h"

namespace paddock {

// init's side. Answers one request; false when the supervisor's end is closed (stop serving).
bool serve_socket_request(int channel);

// The supervisor's side, shared by the relay's connection threads.
class SocketFactory {
 public:
  explicit SocketFactory(UniqueFd channel) : channel_(std::move(channel)) {}
  // A TCP socket (blocking, close-on-exec) in the sandbox's network namespace; `family`
  // AF_INET or AF_INET6.
  Result<UniqueFd> make(int family);

 private:
  std::mutex mu_;  // one request in flight: answers come back in order
  UniqueFd channel_;
};

}  // namespace paddock
