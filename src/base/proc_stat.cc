#include "base/proc_stat.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>

#include "base/unique_fd.h"

namespace paddock {

std::optional<uint64_t> proc_stat_field(std::string_view stat_text, int n) {
  if (n < 3) return std::nullopt;
  size_t close = stat_text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = stat_text.substr(close + 1);
  int field = 2;
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\n')) ++i;
    if (i == rest.size()) break;
    size_t j = rest.find_first_of(" \n", i);
    if (j == std::string_view::npos) j = rest.size();
    if (++field == n) {
      std::string_view s = rest.substr(i, j - i);
      uint64_t v = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
      return v;
    }
    i = j;
  }
  return std::nullopt;
}

std::optional<std::string> read_proc_stat(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  char buf[1024];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n <= 0) return std::nullopt;
  return std::string(buf, size_t(n));
}

}  // namespace paddock
