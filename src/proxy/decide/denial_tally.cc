#include "proxy/decide/denial_tally.h"

namespace paddock::proxy {

void DenialTally::add(std::string_view protocol, std::string_view host, uint16_t port,
                      std::string_view rule, std::string_view reason) {
  Key key{std::string(protocol), std::string(host), port, std::string(rule)};
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key);
  if (it != index_.end()) {
    ++entries_[it->second].count;
    return;
  }
  if (entries_.size() >= kMaxDistinctDenials) {
    ++overflow_.count;
    return;
  }
  index_.emplace(key, entries_.size());
  entries_.push_back(DenialSummary{std::get<0>(key), std::get<1>(key), port, std::get<3>(key),
                                   std::string(reason), 1});
}

std::vector<DenialSummary> DenialTally::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<DenialSummary> r = entries_;
  if (overflow_.count > 0) r.push_back(overflow_);
  return r;
}

}  // namespace paddock::proxy
