#include "policy/git_config.h"

#include <cstdio>
#include <utility>

namespace paddock {
namespace {

// git's own ctype (ctype.c): ASCII only, whatever the locale. Space is exactly these four.
bool is_space(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_alpha(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_alnum(int c) {
  return is_alpha(c) || (c >= '0' && c <= '9');
}
// Characters of section and variable names.
bool is_key_char(int c) {
  return is_alnum(c) || c == '-';
}
char to_lower(int c) {
  return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

std::string describe_byte(int c) {
  if (c > 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02x", static_cast<unsigned>(c));
  return buf;
}

// One failure, with the line it happened on.
struct ParseFailure {
  std::size_t line;
  std::string reason;
};

// Reads bytes the way git's get_next_char does: CR LF is one '\n', a lone CR is itself, and the
// end of the text reads as an endless run of '\n' with at_end() set.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  int next() {
    if (pos_ >= text_.size()) {
      at_end_ = true;
      return '\n';
    }
    int c = static_cast<unsigned char>(text_[pos_++]);
    if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') {
      ++pos_;
      c = '\n';
    }
    if (c == '\n') ++line_;
    return c;
  }

  bool at_end() const { return at_end_; }
  // The line of the byte read last (a '\n' belongs to the line it ends).
  std::size_t line(int last) const { return last == '\n' && !at_end_ ? line_ - 1 : line_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  bool at_end_ = false;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : in_(text) {}

  // Throws ParseFailure.
  std::vector<GitConfigEntry> run() {
    skip_bom();
    bool comment = false;
    for (;;) {
      const int c = in_.next();
      if (c == '\n') {
        if (in_.at_end()) return std::move(entries_);
        comment = false;
        continue;
      }
      if (comment) continue;
      if (is_space(c)) continue;
      if (c == '#' || c == ';') {
        comment = true;
        continue;
      }
      if (c == '[') {
        section_header();
        continue;
      }
      if (!is_alpha(c)) {
        fail(c, describe_byte(c) + " cannot start a variable name (a letter must)");
      }
      variable(c);
    }
  }

 private:
  [[noreturn]] void fail(int last, std::string reason) const {
    throw ParseFailure{in_.line(last), std::move(reason)};
  }

  // git skips a UTF-8 byte order mark at the start and refuses a partial one.
  void skip_bom() {
    static constexpr unsigned char kBom[] = {0xef, 0xbb, 0xbf};
    Reader probe = in_;
    for (std::size_t i = 0; i < sizeof kBom; ++i) {
      const int c = probe.next();
      if (c != kBom[i]) {
        if (i == 0) return;
        throw ParseFailure{1, "the file starts with an incomplete UTF-8 byte order mark"};
      }
    }
    in_ = probe;
  }

  void section_header() {
    std::string name;
    for (;;) {
      const int c = in_.next();
      if (in_.at_end()) fail(c, "the section header is not closed with ']'");
      if (c == ']') break;
      if (is_space(c)) {
        quoted_subsection(c, std::move(name));
        return;
      }
      if (!is_key_char(c) && c != '.') {
        fail(c, describe_byte(c) + " is not allowed in a section name");
      }
      name += to_lower(c);
    }
    // The deprecated [section.subsection] form: git lower-cases all of it.
    const std::size_t dot = name.find('.');
    if (name.empty()) fail(']', "empty section name");
    if (dot == std::string::npos) {
      start_section(std::move(name), std::nullopt);
      return;
    }
    if (dot == 0 || name.back() == '.') {
      fail(']', "a section name [" + name + "] with an empty part around '.'");
    }
    start_section(name.substr(0, dot), name.substr(dot + 1));
  }

  // After `[name` and a space: optional spaces, a quoted subsection, then ']' at once.
  void quoted_subsection(int c, std::string name) {
    do {
      if (c == '\n') fail(c, "the section header is not closed on its line");
      c = in_.next();
    } while (is_space(c));
    if (c != '"') fail(c, "expected a quoted subsection name or ']' in the section header");
    std::string sub;
    for (;;) {
      c = in_.next();
      if (c == '\n') fail(c, "the subsection name is not closed on its line");
      if (c == '"') break;
      if (c == '\\') {
        // git keeps the next character, whatever it is: "\t" is 't'.
        c = in_.next();
        if (c == '\n') fail(c, "the subsection name is not closed on its line");
      }
      sub += static_cast<char>(c);
    }
    c = in_.next();
    if (c != ']') fail(c, "expected ']' right after the subsection name");
    if (name.empty()) fail(c, "a subsection without a section name");
    if (name.find('.') != std::string::npos) {
      // git reads [a.b "c"] as a.b.c.*: section a, subsection "b.c", neither form's rules.
      fail(c, "a dotted section name [" + name + "] before a quoted subsection");
    }
    start_section(std::move(name), std::move(sub));
  }

  void start_section(std::string name, std::optional<std::string> sub) {
    section_ = std::move(name);
    subsection_ = std::move(sub);
    have_section_ = true;
  }

  void variable(int c) {
    const std::size_t line = in_.line(c);
    std::string key(1, to_lower(c));
    for (;;) {
      c = in_.next();
      if (!is_key_char(c)) break;
      key += to_lower(c);
    }
    while (c == ' ' || c == '\t') c = in_.next();
    std::optional<std::string> value;
    if (c != '\n') {
      if (c != '=') {
        fail(c, describe_byte(c) + " after the variable name " + key +
                    " (expected '=', a comment is not allowed here)");
      }
      value = parse_value();
    }
    if (!have_section_) {
      throw ParseFailure{line, "the variable " + key + " comes before any section header"};
    }
    entries_.push_back(
        GitConfigEntry{section_, subsection_, std::move(key), std::move(value), line});
  }

  // Everything after '=' up to the end of the line (and its continuation lines).
  std::string parse_value() {
    std::string v;
    bool quote = false;
    bool comment = false;
    std::size_t pending_spaces = 0;
    for (;;) {
      int c = in_.next();
      if (c == '\n') {
        if (quote) fail(c, "a quoted value is not closed before the end of the line");
        return v;
      }
      if (comment) continue;
      if (is_space(c) && !quote) {
        // Whitespace inside an unquoted value becomes one space per character (a tab too);
        // leading and trailing runs are dropped.
        if (!v.empty()) ++pending_spaces;
        continue;
      }
      if (!quote && (c == ';' || c == '#')) {
        comment = true;
        continue;
      }
      v.append(pending_spaces, ' ');
      pending_spaces = 0;
      if (c == '\\') {
        c = in_.next();
        switch (c) {
          case '\n':
            continue;  // a continuation line
          case 't':
            c = '\t';
            break;
          case 'b':
            c = '\b';
            break;
          case 'n':
            c = '\n';
            break;
          case '\\':
          case '"':
            break;
          default:
            fail(c, "unknown escape: a backslash before " + describe_byte(c) +
                        " in a value (only \\n \\t \\b \\\\ \\\" are known)");
        }
        v += static_cast<char>(c);
        continue;
      }
      if (c == '"') {
        quote = !quote;
        continue;
      }
      v += static_cast<char>(c);
    }
  }

  Reader in_;
  std::vector<GitConfigEntry> entries_;
  std::string section_;
  std::optional<std::string> subsection_;
  bool have_section_ = false;
};

void append_escaped(std::string& out, std::string_view s, bool value) {
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += value ? "\\n" : "\n";  // never in a subsection
        break;
      case '\t':
        out += value ? "\\t" : "\t";
        break;
      case '\b':
        out += value ? "\\b" : "\b";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace

std::string GitConfigEntry::name() const {
  std::string n = section;
  if (subsection) {
    n += '.';
    n += *subsection;
  }
  n += '.';
  n += key;
  return n;
}

Result<std::vector<GitConfigEntry>> parse_git_config(std::string_view text) {
  if (text.size() > kMaxGitConfigBytes) {
    return plain_error("parse git config", "the file is " + std::to_string(text.size()) +
                                               " bytes long; the limit is " +
                                               std::to_string(kMaxGitConfigBytes));
  }
  const std::size_t nul = text.find('\0');
  if (nul != std::string_view::npos) {
    std::size_t line = 1;
    for (std::size_t i = 0; i < nul; ++i) line += text[i] == '\n';
    return plain_error("parse git config", "line " + std::to_string(line) +
                                               ": a NUL byte (git would cut the text there)");
  }
  try {
    return Parser(text).run();
  } catch (const ParseFailure& f) {
    return plain_error("parse git config", "line " + std::to_string(f.line) + ": " + f.reason);
  }
}

std::string serialize_git_config(const std::vector<GitConfigEntry>& entries) {
  std::string out;
  const GitConfigEntry* prev = nullptr;
  for (const GitConfigEntry& e : entries) {
    if (prev == nullptr || prev->section != e.section || prev->subsection != e.subsection) {
      out += '[';
      out += e.section;
      if (e.subsection) {
        out += " \"";
        append_escaped(out, *e.subsection, false);
        out += '"';
      }
      out += "]\n";
    }
    out += '\t';
    out += e.key;
    if (e.value) {
      out += " = \"";
      append_escaped(out, *e.value, true);
      out += '"';
    }
    out += '\n';
    prev = &e;
  }
  return out;
}

}  // namespace paddock
