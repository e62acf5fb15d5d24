#include "base/closest_word.h"

#include <algorithm>

namespace paddock {

namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions), ASCII
// case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

}  // namespace

std::string closest_word(std::string_view word, const std::vector<std::string_view>& candidates) {
  constexpr std::size_t kMaxDistance = 2;
  std::string_view best;
  std::size_t best_distance = kMaxDistance + 1;
  for (std::string_view c : candidates) {
    const std::size_t diff =
        word.size() > c.size() ? word.size() - c.size() : c.size() - word.size();
    if (diff > kMaxDistance) continue;
    const std::size_t d = edit_distance(word, c);
    // A distance as large as the name itself is a different word ("ab" -> "git").
    if (d < best_distance && d < c.size()) {
      best = c;
      best_distance = d;
    }
  }
  return std::string(best);
}

}  // namespace paddock
