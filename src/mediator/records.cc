#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "mediator/context.h"

namespace paddock::mediator {

namespace {
// A sandbox that provokes refusals by the million must not grow the supervisor without bound.
constexpr size_t kMaxRecords = 10000;
}  // namespace

void Records::refused(const std::string& what, const std::string& path, const std::string& reason) {
  if (sink_) sink_(what, path, reason);
  std::lock_guard<std::mutex> g(mu_);
  const std::string line = what + " " + path + " (" + reason + ")";
  auto it = denials_.find(line);
  if (it != denials_.end())
    ++it->second;
  else if (denials_.size() < kMaxRecords)
    denials_.emplace(line, 1);
}

void Records::refused(const std::string& what) {
  if (sink_) sink_(what, "", "");
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

std::optional<Records::FileKey> Records::key_of(int fd) {
  struct statx sx {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_INO | STATX_BTIME | STATX_TYPE, &sx) != 0)
    return std::nullopt;
  if (!(sx.stx_mask & STATX_BTIME) || !S_ISREG(sx.stx_mode)) return std::nullopt;
  return FileKey{makedev(sx.stx_dev_major, sx.stx_dev_minor), ino_t(sx.stx_ino),
                 sx.stx_btime.tv_sec, sx.stx_btime.tv_nsec};
}

void Records::created_file(int fd) {
  auto k = key_of(fd);
  if (!k) return;
  std::lock_guard<std::mutex> g(mu_);
  if (!created_.insert(*k).second) return;
  created_order_.push_back(*k);
  constexpr size_t kWindow = 4096;
  if (created_order_.size() > kWindow) {
    created_.erase(created_order_.front());
    created_order_.pop_front();
  }
}

bool Records::is_created_file(int fd) const {
  auto k = key_of(fd);
  if (!k) return false;
  std::lock_guard<std::mutex> g(mu_);
  return created_.count(*k) != 0;
}

void Records::forget_file(dev_t dev, ino_t ino) {
  std::lock_guard<std::mutex> g(mu_);
  for (auto it = created_.lower_bound(FileKey{dev, ino, INT64_MIN, 0});
       it != created_.end() && it->dev == dev && it->ino == ino;)
    it = created_.erase(it);
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
