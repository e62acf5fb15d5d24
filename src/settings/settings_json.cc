#include "settings/settings_json.h"

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <unordered_set>
#include <utility>

namespace paddock::settings_detail {
namespace {

// Decodes one well-formed UTF-8 sequence at s[i] (RFC 3629). Returns its length, 0 if malformed.
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t* cp) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  char32_t value = c & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned char b = byte(i + k);
    const unsigned char min = k == 1 ? lo : 0x80;
    const unsigned char max = k == 1 ? hi : 0xBF;
    if (b < min || b > max) return 0;
    value = (value << 6) | (b & 0x3F);
  }
  *cp = value;
  return len;
}

bool is_invisible_or_control(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||  // C0, DEL, C1
         cp == 0x061C || (cp >= 0x200B && cp <= 0x200F) ||         // zero-width, bidi marks
         cp == 0x2028 || cp == 0x2029 ||                           // line and paragraph separators
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||  // bidi overrides
         cp == 0xFEFF;                                                        // zero-width no-break
}

std::string escape_text(std::string_view s, std::size_t max_bytes, bool quote) {
  std::string out;
  if (quote) out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    if (out.size() >= max_bytes) {
      out += "...";
      break;
    }
    char32_t cp = 0;
    const std::size_t len = decode_utf8(s, i, &cp);
    char buf[16];
    if (len == 0) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(s[i]));
      out += buf;
      ++i;
      continue;
    }
    if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (quote && (cp == '"' || cp == '\\')) {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (is_invisible_or_control(cp)) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  if (quote) out += '"';
  return out;
}

bool is_identifier(std::string_view k) {
  if (k.empty()) return false;
  for (std::size_t i = 0; i < k.size(); ++i) {
    const char c = k[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

using nlohmann::json;

// Builds a JsonValue tree from SAX events. Refuses duplicate keys and deep nesting, and
// records where a syntax error happened.
class TreeBuilder final : public nlohmann::json_sax<json> {
 public:
  explicit TreeBuilder(std::string_view text) : text_(text) {}

  bool null() override { return add(JsonValue{nullptr}); }
  bool boolean(bool b) override { return add(JsonValue{b}); }
  bool number_integer(number_integer_t n) override {
    return add(JsonValue{JsonNumber{static_cast<double>(n), true}});
  }
  bool number_unsigned(number_unsigned_t n) override {
    return add(JsonValue{JsonNumber{static_cast<double>(n), true}});
  }
  bool number_float(number_float_t d, const string_t& /*text*/) override {
    return add(JsonValue{JsonNumber{d, false}});
  }
  bool string(string_t& s) override { return add(JsonValue{std::move(s)}); }
  bool binary(binary_t& /*bin*/) override { return false; }  // not produced by JSON text

  bool start_object(std::size_t /*elements*/) override { return open(JsonValue{JsonObject{}}); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t /*elements*/) override { return open(JsonValue{JsonArray{}}); }
  bool end_array() override { return close(); }

  bool key(string_t& k) override {
    Frame& top = stack_.back();
    if (!top.keys.insert(k).second) {
      std::vector<PathStep> path = current_path();
      path.emplace_back(k);
      error_ = format_path(path) +
               ": duplicate key (the same key twice in one object; one would silently replace "
               "the other)";
      return false;
    }
    top.pending_key = std::move(k);
    return true;
  }

  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) override {
    const auto* pe = dynamic_cast<const nlohmann::detail::parse_error*>(&ex);
    std::size_t offset = text_.size();
    if (pe != nullptr && pe->byte > 0) offset = std::min(pe->byte - 1, text_.size());
    const TextPosition pos = position_of(text_, offset);
    error_ = "line " + std::to_string(pos.line) + ", column " + std::to_string(pos.column) + ": " +
             describe_syntax_error(ex.what(), text_, offset);
    return false;
  }

  JsonValue& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  struct Frame {
    JsonValue* node;
    std::unordered_set<std::string> keys;  // objects only
    std::string pending_key;               // objects only
  };

  bool add(JsonValue&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return true;
    }
    Frame& top = stack_.back();
    if (auto* arr = std::get_if<JsonArray>(&top.node->v)) {
      arr->push_back(std::move(v));
    } else {
      std::get<JsonObject>(top.node->v).push_back({std::move(top.pending_key), std::move(v)});
    }
    return true;
  }

  JsonValue* last_added() {
    if (stack_.empty()) return &root_;
    JsonValue* top = stack_.back().node;
    if (auto* arr = std::get_if<JsonArray>(&top->v)) return &arr->back();
    return &std::get<JsonObject>(top->v).back().value;
  }

  bool open(JsonValue&& container) {
    if (stack_.size() >= kMaxJsonDepth) {
      // Name the container that would be one level too deep.
      std::vector<PathStep> path = current_path();
      const JsonValue* top = stack_.back().node;
      if (const auto* arr = std::get_if<JsonArray>(&top->v)) {
        path.emplace_back(arr->size());
      } else {
        path.emplace_back(stack_.back().pending_key);
      }
      error_ = format_path(path) + ": nested more than " + std::to_string(kMaxJsonDepth) +
               " levels deep";
      return false;
    }
    add(std::move(container));
    // The new container is the last element of its parent, which does not grow until the new
    // container is closed, so this pointer stays valid while the frame is open.
    stack_.push_back(Frame{last_added(), {}, {}});
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  // Path of the innermost open container.
  std::vector<PathStep> current_path() const {
    std::vector<PathStep> path;
    for (std::size_t i = 1; i < stack_.size(); ++i) {
      const JsonValue* parent = stack_[i - 1].node;
      if (const auto* arr = std::get_if<JsonArray>(&parent->v)) {
        path.emplace_back(arr->size() - 1);
      } else {
        path.emplace_back(std::get<JsonObject>(parent->v).back().key);
      }
    }
    return path;
  }

  // "[json.exception.parse_error.101] parse error at line 1, column 8: syntax error while
  // parsing value - invalid literal; last read: '"a": tru'; expected X" ->
  // "syntax error: invalid literal; expected X (while parsing value), near '"a": tru'"
  // nlohmann's "last read" can hold earlier tokens too, and be as long as the file (an
  // unterminated string), so it is replaced by a short quote of the text itself.
  static std::string describe_syntax_error(std::string_view what, std::string_view text,
                                           std::size_t offset) {
    const std::size_t at = what.find("syntax error");
    if (at == std::string_view::npos) return "syntax error: " + printable(what, 200);
    std::string_view rest = what.substr(at + 12);
    std::string_view context;
    if (rest.rfind(" while parsing ", 0) == 0) {
      rest.remove_prefix(15);
      const std::size_t dash = rest.find(" - ");
      if (dash != std::string_view::npos) {
        context = rest.substr(0, dash);
        rest.remove_prefix(dash);
      }
    }
    if (rest.rfind(" - ", 0) == 0) rest.remove_prefix(3);
    std::string body;
    bool quote_text = false;
    const std::size_t lr = rest.find("; last read: '");
    if (lr != std::string_view::npos) {
      body = printable(rest.substr(0, lr), 200);
      const std::size_t expected = rest.rfind("'; expected ");
      if (expected != std::string_view::npos && expected > lr) {
        body += printable(rest.substr(expected + 1), 200);
      }
      quote_text = true;
    } else {
      body = printable(rest, 300);
    }
    std::string out = "syntax error: " + body;
    if (!context.empty()) out += " (while parsing " + printable(context, 60) + ")";
    if (quote_text) out += ", near '" + snippet(text, offset) + "'";
    return out;
  }

  // Up to 16 characters of the line, ending with the one at `offset`.
  static std::string snippet(std::string_view text, std::size_t offset) {
    const std::size_t end = std::min(offset + 1, text.size());
    // A newline at the error belongs to the line it ends.
    const std::size_t search_to = end > 0 && text[end - 1] == '\n' ? end - 1 : end;
    std::size_t line_start = 0;
    if (search_to > 0) {
      const std::size_t nl = text.rfind('\n', search_to - 1);
      if (nl != std::string_view::npos) line_start = nl + 1;
    }
    std::size_t start = end - std::min<std::size_t>(end - line_start, 16);
    while (start < end && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
    return (start > line_start ? "..." : "") + printable(text.substr(start, end - start), 80);
  }

  std::string_view text_;
  JsonValue root_;
  std::vector<Frame> stack_;
  std::string error_;
};

}  // namespace

const char* json_type_name(const JsonValue& v) {
  switch (v.v.index()) {
    case 0:
      return "null";
    case 1:
      return "boolean";
    case 2:
      return "number";
    case 3:
      return "string";
    case 4:
      return "array";
    default:
      return "object";
  }
}

std::string format_path(const std::vector<PathStep>& path) {
  // Each step as text, with the dot an identifier needs after the first step.
  std::vector<std::string> steps;
  std::size_t total = 0;
  for (const PathStep& step : path) {
    std::string text;
    if (step.is_index) {
      text = "[" + std::to_string(step.index) + "]";
    } else if (is_identifier(step.key)) {
      text = (steps.empty() ? "" : ".") + printable(step.key, 60);
    } else {
      text = "[" + quoted(step.key, 60) + "]";
    }
    total += text.size();
    steps.push_back(std::move(text));
  }
  // A path through deeply nested keys is cut in the middle to keep the message one short line.
  constexpr std::size_t kKeep = 3;
  std::string out;
  const bool cut = total > 300 && steps.size() > 2 * kKeep;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (cut && i == kKeep) {
      out += "...";
      i = steps.size() - kKeep;
    }
    if (cut && i == steps.size() - kKeep && steps[i].front() == '.') {
      out += steps[i].substr(1);
      continue;
    }
    out += steps[i];
  }
  return out;
}

std::string printable(std::string_view s, std::size_t max_bytes) {
  return escape_text(s, max_bytes, false);
}

std::string quoted(std::string_view s, std::size_t max_bytes) {
  return escape_text(s, max_bytes, true);
}

TextPosition position_of(std::string_view text, std::size_t offset) {
  if (offset > text.size()) offset = text.size();
  TextPosition pos;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      line_start = i + 1;
    }
  }
  if (line_start == 0 && text.substr(0, 3) == "\xEF\xBB\xBF" && offset >= 3) line_start = 3;
  for (std::size_t i = line_start; i < offset; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++pos.column;
  }
  return pos;
}

std::optional<std::size_t> find_invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t len = decode_utf8(text, i, &cp);
    if (len == 0) return i;
    i += len;
  }
  return std::nullopt;
}

JsonParseResult parse_json(std::string_view text) {
  TreeBuilder builder(text);
  const bool ok = json::sax_parse(text.data(), text.data() + text.size(), &builder,
                                  json::input_format_t::json, /*strict=*/true,
                                  /*ignore_comments=*/false);
  JsonParseResult result;
  if (ok && builder.error().empty()) {
    result.value = std::move(builder.root());
  } else {
    result.error = builder.error().empty() ? "syntax error" : builder.error();
  }
  return result;
}

}  // namespace paddock::settings_detail
