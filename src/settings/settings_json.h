#pragma once
// Internal to src/settings: a small JSON tree that keeps keys in file order, built from
// nlohmann's SAX parser with the checks the settings loader needs (UTF-8, duplicate keys,
// nesting depth, line and column of syntax errors).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace paddock::settings_detail {

struct JsonValue;
struct JsonMember;
using JsonArray = std::vector<JsonValue>;
using JsonObject = std::vector<JsonMember>;  // file order; keys are unique

struct JsonNumber {
  double value = 0;
  bool integral = false;  // written as an integer (no fraction or exponent)
};

struct JsonValue {
  std::variant<std::nullptr_t, bool, JsonNumber, std::string, JsonArray, JsonObject> v;
};

struct JsonMember {
  std::string key;
  JsonValue value;
};

// "null", "boolean", "number", "string", "array" or "object".
const char* json_type_name(const JsonValue& v);

// One step of a key path: an object key or an array index.
struct PathStep {
  PathStep(std::string k) : key(std::move(k)) {}         // NOLINT(google-explicit-constructor)
  PathStep(std::size_t i) : index(i), is_index(true) {}  // NOLINT(google-explicit-constructor)
  std::string key;
  std::size_t index = 0;
  bool is_index = false;
};

// "network.allowedDomains[2]", "network.resolve[\"example.com\"]"; "" for the root.
std::string format_path(const std::vector<PathStep>& path);

// `s` made safe to print on a terminal: control characters, C1 controls and bidi overrides are
// escaped, and the text is cut (at a character boundary) after about `max_bytes` bytes.
std::string printable(std::string_view s, std::size_t max_bytes = 100);

// `s` in double quotes, escaped as printable() does, plus '"' and '\'.
std::string quoted(std::string_view s, std::size_t max_bytes = 100);

// 1-based line and column (in characters) of the byte at `offset`.
struct TextPosition {
  std::size_t line = 1;
  std::size_t column = 1;
};
TextPosition position_of(std::string_view text, std::size_t offset);

// Byte offset of the first byte that is not part of well-formed UTF-8 (no overlong forms, no
// surrogates, nothing above U+10FFFF), or nullopt when all of `text` is well formed.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

inline constexpr std::size_t kMaxJsonDepth = 64;

// Parses strict JSON (no comments, nothing after the value). On failure returns a sentence
// without the file name: "line 3, column 7: syntax error: ...",
// "filesystem: duplicate key \"denyRead\" ...".
struct JsonParseResult {
  std::optional<JsonValue> value;
  std::string error;
};
JsonParseResult parse_json(std::string_view text);

}  // namespace paddock::settings_detail
