#pragma once
// The last refusals of a run, network and filesystem, for `paddock ctl show`: a bounded ring fed
// by the proxy's and the resolver's denial hook and the write mediator's refusal sink (the same
// hooks the agent channel's "blocked" notices come from). The same refusal repeated in a row is
// one entry with a count. Thread-safe; adding never blocks on anything but a short lock.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace paddock::control {

struct Denial {
  std::chrono::system_clock::time_point time;  // of the latest one
  bool network = true;
  std::string what;  // "connect example.com:443", "create /project/.bashrc"
  std::string rule;  // the rule (network), or why (filesystem)
  uint64_t count = 1;
};

class RecentDenials {
 public:
  static constexpr std::size_t kKept = 50;
  // Longer texts are cut: a path chosen inside the sandbox can be 4 KiB.
  static constexpr std::size_t kMaxText = 512;

  void add(Denial d);
  // Oldest first.
  std::vector<Denial> list() const;

 private:
  mutable std::mutex mu_;
  std::deque<Denial> ring_;
};

}  // namespace paddock::control
