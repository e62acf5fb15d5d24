#pragma once
// --publish and --allow-host-port in a run: what the supervisor binds before the sandbox starts,
// and the relays it starts once the sandbox side has handed out its end (port_relay.h).
#include <memory>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "sandbox/port_relay.h"
#include "settings/settings.h"

namespace paddock {

// The host's 127.0.0.1:HOST_PORT listeners, in the order of `published`; a port in use stops
// the run (exit 125) before anything starts.
Result<std::vector<UniqueFd>> bind_published_ports(const std::vector<PublishedPort>& published);

struct HostServiceFds {
  std::vector<UniqueFd> published;   // bind_published_ports()
  UniqueFd socket_factory;           // the supervisor's end (socket_factory.h); with `published`
  std::vector<UniqueFd> host_ports;  // inside listeners, in the order of allow_host_ports
};

// Null when the policy names no host service.
Result<std::unique_ptr<PortRelay>> start_host_services(const NetworkSettings& network,
                                                       HostServiceFds fds);

}  // namespace paddock
