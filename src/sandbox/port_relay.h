#pragma once
// Host services: TCP relays between the host's loopback and the sandbox's, in the supervisor.
//
//  --publish HOST:PORT    host 127.0.0.1:HOST (a listener the supervisor binds on the host)
//                         -> 127.0.0.1:PORT inside (a socket init made there, socket_factory.h)
//  --allow-host-port PORT inside 127.0.0.1:PORT (a listener the sandbox side made)
//                         -> host 127.0.0.1:PORT (a socket the supervisor makes on the host)
//
// Bytes only: no policy applies beyond the port itself, which the user named. One accepting
// thread for every listener; two threads per connection (one per direction, blocking, so a
// slow reader on one side never stalls the other), at most kMaxConnections at once.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace paddock {

struct RelayRoute {
  UniqueFd listener;  // non-blocking, listening
  // Opens the other end for one accepted connection (a connected, blocking socket).
  std::function<Result<UniqueFd>()> dial;
};

class PortRelay {
 public:
  static constexpr int kMaxConnections = 256;

  static Result<std::unique_ptr<PortRelay>> start(std::vector<RelayRoute> routes);
  ~PortRelay();
  PortRelay(const PortRelay&) = delete;
  PortRelay& operator=(const PortRelay&) = delete;

  // Stops accepting and shuts down the connections still open.
  void stop();

  struct State;

 private:
  PortRelay() = default;
  std::shared_ptr<State> state_;
};

// A listener on the host's 127.0.0.1:`port` for --publish. A port already in use is an error
// that says so (the run stops with 125 before the sandbox starts).
Result<UniqueFd> listen_on_host_loopback(uint16_t port);

// A blocking TCP connection to 127.0.0.1:`port` from `sock` (made in whichever network
// namespace is meant).
Status connect_loopback(int sock, uint16_t port, bool ipv6);

}  // namespace paddock
