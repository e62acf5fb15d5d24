#pragma once
// Name resolution off the event loops. getaddrinfo blocks (for seconds when a DNS server is slow),
// so lookups run on a few resolver threads and each answer is handed to a callback, which posts it
// back to the loop that asked (EventLoop::post wakes the loop through its eventfd).
//
//   - Threads start on demand, up to max_threads, and stay for the resolver's life.
//   - Concurrent lookups of the same name share one getaddrinfo call.
//   - Each name is resolved once per request: the caller filters the answer (filter_resolved) and
//     dials the chosen address itself; nothing here caches.
//   - close() returns at once even while a thread sits in getaddrinfo: threads share their state
//     through a shared_ptr and finish on their own; no callback runs after close() returns.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "proxy/decide/host_name.h"

namespace paddock::proxy {

class Resolver {
 public:
  using Answer = Result<std::vector<IpAddress>>;
  // Runs on a resolver thread with the resolver's lock held: it must only hand the answer on
  // (EventLoop::post), never call back into the resolver.
  using Callback = std::function<void(const Answer&)>;

  explicit Resolver(unsigned max_threads);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // name: a normalised host name (Host::text). Errors in the answer: op "resolve", path = name.
  void resolve(const std::string& name, Callback done);
  void close();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// The blocking lookup itself (getaddrinfo, AF_UNSPEC, AI_ADDRCONFIG), in the resolver's order,
// duplicates removed. Exposed for tests.
Resolver::Answer resolve_blocking(const std::string& name);

}  // namespace paddock::proxy
