#include "proxy/io/resolver.h"

#include <netdb.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>

namespace paddock::proxy {

struct Resolver::State {
  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;
  unsigned max_threads = 1;
  unsigned threads = 0;
  unsigned idle = 0;
  std::deque<std::string> queue;                                   // names not yet started
  std::unordered_map<std::string, std::vector<Callback>> waiters;  // name -> who asked
};

namespace {

void resolver_thread(std::shared_ptr<Resolver::State> st) {
  // Signals belong to the supervisor's main thread, not to ours.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);

  std::unique_lock<std::mutex> lock(st->mu);
  while (!st->closed) {
    if (st->queue.empty()) {
      ++st->idle;
      st->cv.wait(lock, [&] { return st->closed || !st->queue.empty(); });
      --st->idle;
      continue;
    }
    std::string name = std::move(st->queue.front());
    st->queue.pop_front();
    lock.unlock();
    const Resolver::Answer answer = resolve_blocking(name);
    lock.lock();
    if (st->closed) break;
    auto it = st->waiters.find(name);
    if (it == st->waiters.end()) continue;
    std::vector<Resolver::Callback> cbs = std::move(it->second);
    st->waiters.erase(it);
    for (auto& cb : cbs) cb(answer);
  }
  --st->threads;
}

}  // namespace

Resolver::Answer resolve_blocking(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &list);
  if (rc != 0) {
    if (rc == EAI_SYSTEM) return sys_error("resolve", name);
    return plain_error("resolve", gai_strerror(rc), name);
  }
  std::vector<IpAddress> out;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    auto ip = IpAddress::from_sockaddr(ai->ai_addr, ai->ai_addrlen);
    if (!ip) continue;
    if (std::find(out.begin(), out.end(), *ip) == out.end()) out.push_back(*ip);
  }
  freeaddrinfo(list);
  return out;
}

Resolver::Resolver(unsigned max_threads) : state_(std::make_shared<State>()) {
  state_->max_threads = std::max(1u, max_threads);
}

Resolver::~Resolver() {
  close();
}

void Resolver::resolve(const std::string& name, Callback done) {
  std::unique_lock<std::mutex> lock(state_->mu);
  if (state_->closed) return;
  auto [it, fresh] = state_->waiters.try_emplace(name);
  it->second.push_back(std::move(done));
  if (!fresh) return;  // a lookup of this name is already queued or running
  state_->queue.push_back(name);
  if (state_->idle > 0) {
    state_->cv.notify_one();
    return;
  }
  if (state_->threads < state_->max_threads) {
    try {
      std::thread(resolver_thread, state_).detach();
      ++state_->threads;
    } catch (const std::system_error&) {
      // Could not start a thread: a running one takes the queue eventually; with none, fail now.
      if (state_->threads == 0) {
        std::vector<Callback> cbs = std::move(it->second);
        state_->waiters.erase(it);
        state_->queue.pop_back();
        const Answer answer = plain_error("resolve", "cannot start a resolver thread", name);
        for (auto& cb : cbs) cb(answer);
      }
    }
  }
}

void Resolver::close() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->closed = true;
  state_->queue.clear();
  state_->waiters.clear();
  state_->cv.notify_all();
}

}  // namespace paddock::proxy
