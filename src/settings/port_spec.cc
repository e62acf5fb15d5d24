#include "settings/port_spec.h"

#include <arpa/inet.h>

#include <cctype>
#include <string>

#include "base/printable.h"

namespace paddock {

namespace {

std::optional<uint16_t> decimal_port(std::string_view s) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + unsigned(c - '0');
  }
  if (v == 0 || v > 65535) return std::nullopt;
  return uint16_t(v);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// inet_aton accepts what getaddrinfo does for IPv4: 127.1, 0177.0.0.1, 0x7f000001.
bool is_loopback_v4(const std::string& s) {
  in_addr a{};
  if (::inet_aton(s.c_str(), &a) == 0) return false;
  uint32_t h = ntohl(a.s_addr);
  return (h >> 24) == 127 || h == 0;
}

bool is_loopback_v6(const std::string& s) {
  in6_addr a{};
  if (::inet_pton(AF_INET6, s.c_str(), &a) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&a) || IN6_IS_ADDR_UNSPECIFIED(&a)) return true;
  if (IN6_IS_ADDR_V4MAPPED(&a) || IN6_IS_ADDR_V4COMPAT(&a))
    return a.s6_addr[12] == 127 ||
           (a.s6_addr[12] | a.s6_addr[13] | a.s6_addr[14] | a.s6_addr[15]) == 0;
  return false;
}

}  // namespace

Result<uint16_t> parse_port(std::string_view text, std::string_view op) {
  auto p = decimal_port(text);
  if (!p)
    return plain_error(std::string(op), "expected a port number from 1 to 65535", printable(text));
  return *p;
}

Result<PublishedPort> parse_published_port(std::string_view text, std::string_view op) {
  const size_t colon = text.find(':');
  std::optional<uint16_t> host, inside;
  if (colon == std::string_view::npos) {
    inside = decimal_port(text);
    host = inside;
  } else {
    host = decimal_port(text.substr(0, colon));
    inside = decimal_port(text.substr(colon + 1));
  }
  if (!host || !inside)
    return plain_error(std::string(op),
                       "expected PORT or HOST_PORT:PORT, each from 1 to 65535 (e.g. 3000 or "
                       "8080:3000)",
                       printable(text));
  return PublishedPort{*host, *inside};
}

bool is_loopback_destination(std::string_view domain) {
  std::string d = lower(domain);
  if (d.rfind("*.", 0) == 0) d = d.substr(2);
  // [::1]:8080, [::1], 127.0.0.1:8080, localhost:3000
  if (!d.empty() && d[0] == '[') {
    size_t close = d.find(']');
    if (close == std::string::npos) return false;
    return is_loopback_v6(d.substr(1, close - 1));
  }
  if (size_t colon = d.find(':');
      colon != std::string::npos && d.find(':', colon + 1) == std::string::npos)
    d = d.substr(0, colon);
  while (!d.empty() && d.back() == '.') d.pop_back();
  if (d.empty()) return false;
  if (d == "localhost" || ends_with(d, ".localhost")) return true;
  // Names the sandbox's own /etc/hosts maps to its loopback.
  if (d == "localhost.localdomain" || d == "ip6-localhost" || d == "ip6-loopback") return true;
  if (d.find(':') != std::string::npos) return is_loopback_v6(d);
  return is_loopback_v4(d);
}

}  // namespace paddock
