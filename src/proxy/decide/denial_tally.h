#pragma once
// Denials counted for the summary paddock prints when the command exits ("blocked 3 requests to
// example.org:443 (default-deny)"). Deduplicated by protocol, host, port and rule; kept in the
// order first seen. Thread-safe.
//
// A hostile command can ask for millions of distinct names; past kMaxDistinctDenials entries the
// rest are counted in one final entry with host "*" and rule "(more denials)".
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace paddock::proxy {

inline constexpr std::size_t kMaxDistinctDenials = 1000;

struct DenialSummary {
  std::string protocol;  // "http", "connect", "socks5"
  std::string host;      // normalised (IPv6 in brackets), or the raw host made printable;
                         // empty for a request too malformed to name one (port 0 then)
  uint16_t port = 0;
  std::string rule;    // "default-deny", a pattern, "resolved-address", "sni-mismatch", ...
  std::string reason;  // the first reason seen for this entry
  uint64_t count = 0;
};

class DenialTally {
 public:
  void add(std::string_view protocol, std::string_view host, uint16_t port, std::string_view rule,
           std::string_view reason);
  std::vector<DenialSummary> snapshot() const;

 private:
  using Key = std::tuple<std::string, std::string, uint16_t, std::string>;
  mutable std::mutex mu_;
  std::map<Key, size_t> index_;
  std::vector<DenialSummary> entries_;
  DenialSummary overflow_{"*", "*", 0, "(more denials)", "more distinct denials than are listed",
                          0};
};

}  // namespace paddock::proxy
