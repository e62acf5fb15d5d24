#pragma once
// The home layer as `paddock policy` shows it (where it is, what it holds) and as `paddock
// reset` reports it.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "policy/policy.h"

namespace paddock {

std::string human_bytes(uint64_t bytes);

// {"mode", "path", "store", "upper", "bytes", "entries", "sizePartial", "reason"}: the JSON of
// `paddock policy` under "homeLayer".
nlohmann::json home_layer_json(const Policy& p);

// One line for the text of `paddock policy`, without a trailing newline.
std::string home_layer_text(const Policy& p);

}  // namespace paddock
