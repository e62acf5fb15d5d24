#include "policy/hosts_file.h"

namespace paddock {

namespace {

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

}  // namespace

bool hosts_names(std::string_view hosts, std::string_view name) {
  size_t pos = 0;
  while (pos < hosts.size()) {
    size_t end = hosts.find('\n', pos);
    if (end == std::string_view::npos) end = hosts.size();
    std::string_view line = hosts.substr(pos, end - pos);
    pos = end + 1;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    // Fields: an address, then names; the address itself never counts as a name.
    bool first = true;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && blank(line[i])) ++i;
      size_t start = i;
      while (i < line.size() && !blank(line[i])) ++i;
      if (start == i) break;
      if (!first && iequal(line.substr(start, i - start), name)) return true;
      first = false;
    }
  }
  return false;
}

std::string hosts_with_hostname(std::string_view host_hosts, std::string_view hostname) {
  std::string out(host_hosts);
  if (hosts_names(host_hosts, hostname)) return out;
  if (!out.empty() && out.back() != '\n') out.push_back('\n');
  out += "127.0.1.1\t";
  out += hostname;
  out += "\t# added by paddock: the sandbox's hostname\n";
  return out;
}

}  // namespace paddock
