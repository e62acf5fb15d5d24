#pragma once
// The proxy's listening sockets, created by the sandbox side inside its own network namespace
// (so every sandbox has its own 127.0.0.1:3128 and :1080, no host port is opened, no socket
// file exists) and handed to the supervisor over the sync channel. The same for the capture
// listener and the resolver's sockets.
#include <cstdint>

#include "base/result.h"
#include "base/unique_fd.h"

namespace paddock {

constexpr uint16_t kHttpProxyPort = 3128;
constexpr uint16_t kSocksProxyPort = 1080;
// Where the supervisor joins a connect to one of the resolver's addresses (dns/capture.h).
constexpr uint16_t kCapturePort = 3129;
// The sandbox's resolver (dns/server.h), UDP and TCP; /etc/resolv.conf names it.
constexpr uint16_t kDnsPort = 53;

struct ProxyListeners {
  UniqueFd http;
  UniqueFd socks;
  UniqueFd capture;
  UniqueFd dns_udp;
  UniqueFd dns_tcp;
};

Result<ProxyListeners> create_proxy_listeners();

// A non-blocking, close-on-exec TCP listener on 127.0.0.1:`port` of the current network
// namespace (the proxy's, and --allow-host-port's inside the sandbox).
Result<UniqueFd> listen_on_loopback(uint16_t port);

}  // namespace paddock
