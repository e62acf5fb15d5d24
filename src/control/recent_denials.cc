#include "control/recent_denials.h"

namespace paddock::control {

namespace {

void cut(std::string& s) {
  if (s.size() <= RecentDenials::kMaxText) return;
  s.resize(RecentDenials::kMaxText);
  s += "...";
}

}  // namespace

void RecentDenials::add(Denial d) {
  cut(d.what);
  cut(d.rule);
  std::lock_guard<std::mutex> g(mu_);
  if (!ring_.empty()) {
    Denial& last = ring_.back();
    if (last.network == d.network && last.what == d.what && last.rule == d.rule) {
      ++last.count;
      last.time = d.time;
      return;
    }
  }
  if (ring_.size() >= kKept) ring_.pop_front();
  ring_.push_back(std::move(d));
}

std::vector<Denial> RecentDenials::list() const {
  std::lock_guard<std::mutex> g(mu_);
  return {ring_.begin(), ring_.end()};
}

}  // namespace paddock::control
