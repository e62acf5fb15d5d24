#include "settings/git_key_pattern.h"

namespace paddock {
namespace {

Error invalid(std::string detail) {
  return plain_error("", std::move(detail));
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_key_char(char c) {
  return is_alpha(c) || (c >= '0' && c <= '9') || c == '-';
}
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

bool GitKeyPattern::matches(std::string_view entry_section,
                            const std::optional<std::string>& entry_subsection,
                            std::string_view entry_key) const {
  if (lower(entry_section) != section) return false;
  switch (sub) {
    case Sub::kNone:
      if (entry_subsection) return false;
      break;
    case Sub::kExact:
      if (!entry_subsection || *entry_subsection != subsection) return false;
      break;
    case Sub::kAny:
      if (!entry_subsection) return false;
      break;
    case Sub::kAnyOrNone:
      break;
  }
  return key == "*" || lower(entry_key) == key;
}

Result<GitKeyPattern> parse_git_key_pattern(std::string_view text) {
  for (char c : text) {
    if (c == '\0' || c == '\n') return invalid("contains a NUL byte or a newline");
  }
  const std::size_t first = text.find('.');
  const std::size_t last = text.rfind('.');
  if (first == std::string_view::npos) {
    return invalid("expected section.key or section.subsection.key");
  }
  GitKeyPattern p;
  p.text = std::string(text);
  const std::string_view section = text.substr(0, first);
  const std::string_view key = text.substr(last + 1);
  if (section.empty()) return invalid("the section name is empty");
  if (section == "*") return invalid("'*' cannot stand for the section");
  for (char c : section) {
    if (!is_key_char(c)) {
      return invalid(
          "a section name has only letters, digits and '-' (and '*' only stands for "
          "a whole subsection or key)");
    }
  }
  p.section = lower(section);
  if (key.empty()) return invalid("the key name is empty");
  if (key != "*") {
    if (!is_alpha(key.front())) return invalid("a key name starts with a letter");
    for (char c : key) {
      if (!is_key_char(c)) {
        return invalid(
            "a key name has only letters, digits and '-' (and '*' only stands for a "
            "whole subsection or key)");
      }
    }
  }
  // lower("*") is "*" (and a literal assigned here trips GCC 12's -Wrestrict).
  p.key = lower(key);
  if (first == last) {
    p.sub = p.key == "*" ? GitKeyPattern::Sub::kAnyOrNone : GitKeyPattern::Sub::kNone;
    return p;
  }
  const std::string_view sub = text.substr(first + 1, last - first - 1);
  if (sub.empty()) return invalid("the subsection is empty");
  if (sub == "*") {
    p.sub = GitKeyPattern::Sub::kAny;
  } else if (sub.find('*') != std::string_view::npos) {
    return invalid("'*' stands only for a whole subsection or key, not part of one");
  } else {
    p.sub = GitKeyPattern::Sub::kExact;
    p.subsection = std::string(sub);
  }
  return p;
}

}  // namespace paddock
