#pragma once
// Capture by name: a TCP connect from inside the sandbox to an address the resolver handed out
// (fake_ips.h) is performed by the supervisor as a connect to the proxy's capture listener
// (127.0.0.1:3129, walls/proxy_listeners.h, inside the sandbox's network namespace), and the
// destination it stood for is left here, keyed by the connecting socket's local port, for the proxy
// to take when it accepts. The port is known before the connect (the supervisor binds the socket
// first when the sandbox did not), so the entry is always in place before the proxy can look for
// it; a port is unique among live connections to the one listener, so the key cannot be ambiguous.
// Thread-safe.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "dns/fake_ips.h"

namespace paddock::dns {

struct CapturedDestination {
  std::string name;  // normalised, as the resolver judged it
  uint16_t port = 0;
  // With Capture::name_callers: the program that connected, "curl (pid 12)" (its name and pid
  // inside the sandbox, as the write mediator saw them), for a question asked about it.
  std::string process;
};

class PendingCaptures {
 public:
  // The supervisor, just before connecting the socket bound at local_port. Replaces a stale
  // entry left by a connect that never reached the listener.
  void expect(uint16_t local_port, CapturedDestination d);
  // The proxy, on accepting a connection from local_port: the entry, removed.
  std::optional<CapturedDestination> take(uint16_t local_port);
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<uint16_t, CapturedDestination> by_port_;
};

// What the supervisor's connect path and the proxy share for one run.
struct Capture {
  std::shared_ptr<FakeIpTable> names = std::make_shared<FakeIpTable>();
  std::shared_ptr<PendingCaptures> pending = std::make_shared<PendingCaptures>();
  uint16_t listener_port = 0;  // the capture listener's, inside the sandbox
  bool name_callers = false;   // --ask: fill CapturedDestination::process
};

}  // namespace paddock::dns
