#pragma once
// The addresses the sandbox's resolver hands out: one per allowed name, from 198.18.0.0/15
// (RFC 2544's benchmarking range, never routed on the internet), assigned in order of first
// lookup and stable for the run. The table maps both ways: the resolver asks for a name's
// address, the connect path asks which name an address stands for. Thread-safe.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace paddock::dns {

inline constexpr uint32_t kFakeNetwork = 0xC6120000;  // 198.18.0.0, host order
inline constexpr uint32_t kFakeMask = 0xFFFE0000;     // /15

// Is `ipv4` (host order) in the range the table hands out from?
constexpr bool is_fake_ipv4(uint32_t ipv4) {
  return (ipv4 & kFakeMask) == kFakeNetwork;
}

class FakeIpTable {
 public:
  // `capacity`: how many names at most (the range holds 131070; tests use less).
  explicit FakeIpTable(uint32_t capacity = (~kFakeMask) - 1);

  // The address standing for `name` (normalised by the caller: lower case, no trailing dot),
  // assigned now if it has none. nullopt when the range is used up.
  std::optional<uint32_t> address_for(std::string_view name);
  // The name `ipv4` (host order) stands for, if the table gave it out.
  std::optional<std::string> name_for(uint32_t ipv4) const;
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  uint32_t capacity_;
  std::unordered_map<std::string, uint32_t> by_name_;
  std::vector<std::string> by_index_;  // index i: kFakeNetwork + 1 + i
};

}  // namespace paddock::dns
