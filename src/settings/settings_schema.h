#pragma once
// Internal to src/settings: the settings schema, applied to a parsed JSON tree.
#include <string>

#include "settings/settings.h"
#include "settings/settings_json.h"

namespace paddock::settings_detail {

// Thrown by settings_from_json: one sentence naming the key path, without the file name.
struct SchemaError {
  std::string detail;
};

// Validates `root` against the settings schema (paddock's keys strictly, srt-only keys loosely,
// each of those adding one note) and returns the settings. Throws SchemaError.
Settings settings_from_json(const JsonValue& root);

// The closest of `candidates` to `key` (case-insensitive, edit distance <= 2), or "" if none.
std::string closest_key(std::string_view key, const std::vector<std::string_view>& candidates);

}  // namespace paddock::settings_detail
