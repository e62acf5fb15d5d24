#include "policy/git_todo.h"

#include <cctype>

namespace paddock {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string judge_todo_list(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return "a NUL byte in a todo list";
  size_t line = 0;
  size_t i = 0;
  while (i <= text.size()) {
    size_t eol = text.find('\n', i);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view l = text.substr(i, eol - i);
    ++line;
    i = eol + 1;
    size_t b = 0;
    while (b < l.size() && is_space(l[b])) ++b;
    size_t e = b;
    while (e < l.size() && !is_space(l[e])) ++e;
    // Whatever the comment character is (core.commentChar can change it), a first word of
    // "exec" or "x" is refused: a commented one loses nothing, a live one would run.
    std::string word = lower(l.substr(b, e - b));
    if (word == "exec" || word == "x")
      return "line " + std::to_string(line) +
             ": exec lines run a command when the rebase continues, possibly on the host";
    if (eol == text.size()) break;
  }
  return {};
}

}  // namespace paddock
