#pragma once
// nlohmann's parser builds a value per level of nesting: messages of a known shape are refused
// before parsing when they nest deeper than that shape can, rather than after a deep allocation.
#include <string_view>

namespace paddock {

// Counts '{' and '[' outside strings (JSON escapes honoured); true past `max_depth` levels.
bool json_nested_deeper_than(std::string_view text, int max_depth);

}  // namespace paddock
