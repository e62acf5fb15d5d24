#pragma once
// "Did you mean ...?": the nearest of a few known words to a mistyped one.
#include <string>
#include <string_view>
#include <vector>

namespace paddock {

// The closest of `candidates` to `word` (ASCII case-insensitive optimal string alignment
// distance, at most 2 and less than the candidate's length), or "" if none is that close.
std::string closest_word(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace paddock
