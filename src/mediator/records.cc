#include "mediator/context.h"

namespace paddock::mediator {

namespace {
// A sandbox that provokes refusals by the million must not grow the supervisor without bound.
constexpr size_t kMaxRecords = 10000;
}  // namespace

void Records::refused(const std::string& what) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = denials_.find(what);
  if (it != denials_.end())
    ++it->second;
  else if (denials_.size() < kMaxRecords)
    denials_.emplace(what, 1);
}

std::map<std::string, unsigned> Records::denials() const {
  std::lock_guard<std::mutex> g(mu_);
  return denials_;
}

void Records::bound_socket(dev_t dev, ino_t ino) {
  std::lock_guard<std::mutex> g(mu_);
  if (bound_.size() < kMaxRecords) bound_.insert({dev, ino});
}

bool Records::is_bound_socket(dev_t dev, ino_t ino) const {
  std::lock_guard<std::mutex> g(mu_);
  return bound_.count({dev, ino}) != 0;
}

void Records::created_gitdir(dev_t dev, ino_t ino) {
  std::lock_guard<std::mutex> g(mu_);
  if (gitdirs_.size() < kMaxRecords) gitdirs_.insert({dev, ino});
}

bool Records::is_created_gitdir(dev_t dev, ino_t ino) const {
  std::lock_guard<std::mutex> g(mu_);
  return gitdirs_.count({dev, ino}) != 0;
}

}  // namespace paddock::mediator
