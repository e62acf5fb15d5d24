#include "proxy/io/upstream_pool.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace paddock::proxy {

bool idle_connection_usable(int fd) {
  char c;
  const ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void UpstreamPool::put(std::string key, UniqueFd fd, const IpAddress& address,
                       Clock::time_point now) {
  const auto same =
      std::count_if(idle_.begin(), idle_.end(), [&](const Entry& e) { return e.key == key; });
  if (static_cast<std::size_t>(same) >= kMaxIdlePerKey) return;  // fd closes here
  if (idle_.size() >= kMaxIdle) idle_.pop_front();
  idle_.push_back(Entry{std::move(key), std::move(fd), address, now});
}

std::optional<UpstreamPool::Taken> UpstreamPool::take(const std::string& key) {
  // Newest first: the least likely to have been closed by the server.
  for (auto it = idle_.rbegin(); it != idle_.rend();) {
    if (it->key != key) {
      ++it;
      continue;
    }
    Entry e = std::move(*it);
    it = decltype(it)(idle_.erase(std::next(it).base()));
    if (idle_connection_usable(e.fd.get())) return Taken{std::move(e.fd), e.address};
  }
  return std::nullopt;
}

void UpstreamPool::expire(Clock::time_point now) {
  while (!idle_.empty() && now - idle_.front().since >= kIdleTimeout) idle_.pop_front();
}

}  // namespace paddock::proxy
