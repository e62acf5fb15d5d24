#pragma once
// ASCII case folding for protocol and file-format names (HTTP header names, git config sections
// and keys, ssh_config keywords, host names): locale-independent, bytes >= 0x80 unchanged.
#include <cstddef>
#include <string_view>

namespace paddock {

constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool equal_ascii_ci(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

}  // namespace paddock
