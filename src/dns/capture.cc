#include "dns/capture.h"

namespace paddock::dns {

void PendingCaptures::expect(uint16_t local_port, CapturedDestination d) {
  std::lock_guard<std::mutex> lock(mu_);
  by_port_[local_port] = std::move(d);
}

std::optional<CapturedDestination> PendingCaptures::take(uint16_t local_port) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_port_.find(local_port);
  if (it == by_port_.end()) return std::nullopt;
  CapturedDestination d = std::move(it->second);
  by_port_.erase(it);
  return d;
}

std::size_t PendingCaptures::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_port_.size();
}

}  // namespace paddock::dns
