#include "mediator/task_cache.h"

#include <fcntl.h>

#include <string>

namespace paddock::mediator {

void TaskCache::make_room() {
  // Threads come and go; a bounded cache forgets all when full (a re-open is cheap).
  if (tasks_.size() >= kMax) tasks_.clear();
}

std::shared_ptr<const UniqueFd> TaskCache::status(pid_t tid, bool fresh) {
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = tasks_.find(tid);
    if (!fresh && it != tasks_.end() && it->second.status) return it->second.status;
  }
  std::string path = "/proc/" + std::to_string(tid) + "/status";
  auto fd = std::make_shared<UniqueFd>(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd->valid()) return nullptr;
  std::lock_guard<std::mutex> g(mu_);
  make_room();
  tasks_[tid].status = fd;
  return fd;
}

std::shared_ptr<const TaskCache::Pidfd> TaskCache::pidfd(pid_t tid) const {
  std::lock_guard<std::mutex> g(mu_);
  auto it = tasks_.find(tid);
  return it == tasks_.end() ? nullptr : it->second.pidfd;
}

void TaskCache::set_pidfd(pid_t tid, std::shared_ptr<const Pidfd> p) {
  std::lock_guard<std::mutex> g(mu_);
  make_room();
  tasks_[tid].pidfd = std::move(p);
}

void TaskCache::forget_pidfd(pid_t tid) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = tasks_.find(tid);
  if (it != tasks_.end()) it->second.pidfd.reset();
}

}  // namespace paddock::mediator
