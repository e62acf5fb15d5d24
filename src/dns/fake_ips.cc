#include "dns/fake_ips.h"

#include <algorithm>

namespace paddock::dns {

FakeIpTable::FakeIpTable(uint32_t capacity)
    : capacity_(std::min<uint32_t>(capacity, (~kFakeMask) - 1)) {}

std::optional<uint32_t> FakeIpTable::address_for(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = by_name_.find(std::string(name)); it != by_name_.end()) return it->second;
  if (by_index_.size() >= capacity_) return std::nullopt;
  // .0 of the range is skipped: some stacks treat a network address specially.
  const uint32_t a = kFakeNetwork + 1 + uint32_t(by_index_.size());
  by_index_.emplace_back(name);
  by_name_.emplace(std::string(name), a);
  return a;
}

std::optional<std::string> FakeIpTable::name_for(uint32_t ipv4) const {
  if (!is_fake_ipv4(ipv4) || ipv4 == kFakeNetwork) return std::nullopt;
  const uint32_t i = ipv4 - kFakeNetwork - 1;
  std::lock_guard<std::mutex> lock(mu_);
  if (i >= by_index_.size()) return std::nullopt;
  return by_index_[i];
}

std::size_t FakeIpTable::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_index_.size();
}

}  // namespace paddock::dns
