#pragma once
// Checks of the host services a policy names (network.publishPorts, network.allowHostPorts)
// and of allowedDomains entries that would mean the host's loopback. Pure.
#include <cstdint>
#include <vector>

#include "base/result.h"
#include "settings/settings.h"

namespace paddock {

// Refuses (exit 125): a loopback name or address in allowedDomains (inside, localhost is the
// sandbox's own: --allow-host-port is the way to a host service); a port of `reserved` (the
// proxy's, inside) published or allowed as a host port; one port both published and a host
// port (both need 127.0.0.1:PORT inside); one host port published twice; too many host ports.
Status check_host_services(const NetworkSettings& n, const std::vector<uint16_t>& reserved);

// Duplicates removed, first occurrence kept (a flag repeating a settings entry is no error).
void dedupe_host_services(NetworkSettings& n);

}  // namespace paddock
