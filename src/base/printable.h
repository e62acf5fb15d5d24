#pragma once
// Text chosen inside the sandbox (file names, host names) shown on the user's terminal: every
// control character, DEL, C1 control and byte that is not valid UTF-8 is escaped, so a name
// cannot forge a "paddock:" line, hide text or send terminal escape sequences.
#include <cstdint>
#include <string>
#include <string_view>

namespace paddock {

// "\n" -> "\\n", ESC -> "\\x1b", a stray 0xff -> "\\xff"; backslash -> "\\\\"; valid printable
// UTF-8 passes unchanged. With `max_bytes`, at most that many input bytes are shown, then "...".
std::string printable(std::string_view text, size_t max_bytes = std::string_view::npos);

// The length of the valid UTF-8 sequence at text[i] (1 for ASCII), 0 when it is not one:
// overlong forms, surrogates and code points above U+10FFFF are not valid. `cp` receives the
// code point.
size_t utf8_sequence(std::string_view text, size_t i, uint32_t* cp = nullptr);

}  // namespace paddock
