#pragma once
// Idle upstream HTTP connections of one worker, kept for the next request to the same host and
// port, also from another client connection (a client that sends "Connection: close" on every
// request otherwise costs a TCP handshake upstream each time).
//
// Key: the normalised host and port the request was decided for; the entry remembers the address
// that was dialled (after the resolved-address filter, when the name was resolved), so a reused
// connection goes exactly where a fresh dial went, with no second lookup. Every request is still
// decided on its own before a connection is taken from here.
//
// Bounded: kMaxIdlePerKey per key, kMaxIdle in all (the oldest goes first), kIdleTimeout of
// idleness. take() skips connections the server has closed (or that hold stray bytes). Pooled fds
// are not registered with epoll: nothing reads them until they are taken.
#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>

#include "base/unique_fd.h"
#include "proxy/decide/host_name.h"
#include "proxy/io/event_loop.h"

namespace paddock::proxy {

class UpstreamPool {
 public:
  static constexpr std::size_t kMaxIdle = 256;
  static constexpr std::size_t kMaxIdlePerKey = 16;
  static constexpr std::chrono::seconds kIdleTimeout{15};

  struct Taken {
    UniqueFd fd;
    IpAddress address;
  };

  void put(std::string key, UniqueFd fd, const IpAddress& address, Clock::time_point now);
  std::optional<Taken> take(const std::string& key);
  void expire(Clock::time_point now);
  std::size_t size() const { return idle_.size(); }

 private:
  struct Entry {
    std::string key;
    UniqueFd fd;
    IpAddress address;
    Clock::time_point since;
  };
  std::deque<Entry> idle_;  // oldest first
};

// Whether an idle connection can take another request: open, and nothing unread on it.
bool idle_connection_usable(int fd);

}  // namespace paddock::proxy
