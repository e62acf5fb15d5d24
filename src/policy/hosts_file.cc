#include "policy/hosts_file.h"

#include "base/ascii.h"

namespace paddock {

namespace {

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
      if (!first && equal_ascii_ci(line.substr(start, i - start), name)) return true;
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
