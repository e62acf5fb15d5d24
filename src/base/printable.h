#pragma once
// Text chosen inside the sandbox (file names, host names) shown on the user's terminal: every
// control character, DEL, C1 control and byte that is not valid UTF-8 is escaped, so a name
// cannot forge a "paddock:" line, hide text or send terminal escape sequences.
#include <string>
#include <string_view>

namespace paddock {

// "\n" -> "\\n", ESC -> "\\x1b", a stray 0xff -> "\\xff"; backslash -> "\\\\"; valid printable
// UTF-8 passes unchanged.
std::string printable(std::string_view text);

}  // namespace paddock
