#include "proxy/decide/host_name.h"

#include <arpa/inet.h>
#include <idn2.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "base/printable.h"

namespace paddock::proxy {

namespace {

constexpr size_t kMaxRawHost = 1024;  // refuse before any IDNA work on absurd input
constexpr size_t kMaxName = 253;
constexpr size_t kMaxLabel = 63;

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f');
}

Error host_error(std::string_view raw, std::string detail) {
  return plain_error("host name", std::move(detail), printable(raw));
}

// Runs one label through idn2_lookup_u8: non-transitional first, transitional as the fallback.
// Returns the A-label (lower-case), or the non-transitional error.
Result<std::string> idna_label(std::string_view raw, const std::string& label) {
  int first_rc = IDN2_OK;
  for (int flags : {IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL, IDN2_NFC_INPUT | IDN2_TRANSITIONAL}) {
    uint8_t* out = nullptr;
    const int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(label.c_str()), &out, flags);
    if (rc == IDN2_OK && out != nullptr) {
      std::string s(reinterpret_cast<const char*>(out));
      idn2_free(out);
      for (char& c : s) c = lower(c);
      return s;
    }
    if (out != nullptr) idn2_free(out);
    if (first_rc == IDN2_OK) first_rc = rc;
  }
  return host_error(raw, std::string("not a valid internationalised name (IDNA: ") +
                             idn2_strerror(first_rc) + ")");
}

// The last label decides whether resolvers and URL parsers would read a name as an IPv4 number.
bool looks_numeric(std::string_view label) {
  if (label.empty()) return false;
  if (label.size() >= 2 && label[0] == '0' && label[1] == 'x') {
    for (char c : label.substr(2))
      if (!is_hex(c)) return false;
    return true;
  }
  for (char c : label)
    if (!is_digit(c)) return false;
  return true;
}

// Checks the LDH rules on a lower-case ASCII name without a trailing dot.
Status check_ldh(std::string_view raw, std::string_view name) {
  if (name.empty()) return host_error(raw, "empty host name");
  if (name.size() > kMaxName)
    return host_error(raw, "longer than " + std::to_string(kMaxName) + " characters");
  size_t start = 0;
  while (true) {
    const size_t dot = name.find('.', start);
    const bool last = dot == std::string_view::npos;
    const std::string_view label = name.substr(start, last ? std::string_view::npos : dot - start);
    if (label.empty()) return host_error(raw, "empty label (\"..\" or a leading dot)");
    if (label.size() > kMaxLabel)
      return host_error(raw, "label longer than " + std::to_string(kMaxLabel) + " characters");
    for (char c : label) {
      if ((c >= 'a' && c <= 'z') || is_digit(c) || c == '-') continue;
      if (c == '_' && !last) continue;
      if (c == '_') return host_error(raw, "'_' is not allowed in the last label");
      if (c == '*') return host_error(raw, "'*' is not a host name character");
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        return host_error(raw, "control character in host name");
      return host_error(raw, std::string("invalid character '") + c + "' in host name");
    }
    if (label.front() == '-' || label.back() == '-')
      return host_error(raw, "a label starts or ends with '-'");
    if (last) {
      if (looks_numeric(label))
        return host_error(raw,
                          "numeric last label: not a strict dotted-quad IPv4 address and not a "
                          "name (octal, hex and short IPv4 forms are refused)");
      return ok_status();
    }
    start = dot + 1;
  }
}

// Splits at '.', U+3002, U+FF0E and U+FF61 (the IDNA label separators).
std::vector<std::string_view> split_labels(std::string_view s) {
  static constexpr std::string_view kStops[] = {"\xe3\x80\x82", "\xef\xbc\x8e", "\xef\xbd\xa1"};
  std::vector<std::string_view> out;
  size_t start = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t sep = 0;
    if (s[i] == '.') {
      sep = 1;
    } else {
      for (std::string_view stop : kStops)
        if (s.substr(i, stop.size()) == stop) sep = stop.size();
    }
    if (sep != 0) {
      out.push_back(s.substr(start, i - start));
      i += sep;
      start = i;
    } else {
      ++i;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

Host ip_host(const IpAddress& ip) {
  Host h;
  h.kind = ip.is_v4() ? Host::IPv4 : Host::IPv6;
  h.ip = ip;
  h.text = ip.to_string();
  return h;
}

}  // namespace

IpAddress IpAddress::v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  ip.family = Family::V4;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

IpAddress IpAddress::from_in_addr(const in_addr& a) {
  IpAddress ip;
  ip.family = Family::V4;
  std::memcpy(ip.bytes.data(), &a.s_addr, 4);
  return ip;
}

IpAddress IpAddress::from_in6_addr(const in6_addr& a) {
  IpAddress ip;
  ip.family = Family::V6;
  std::memcpy(ip.bytes.data(), a.s6_addr, 16);
  return ip;
}

std::optional<IpAddress> IpAddress::from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr) return std::nullopt;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof sin);
    return from_in_addr(sin.sin_addr);
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof sin6);
    return from_in6_addr(sin6.sin6_addr);
  }
  return std::nullopt;
}

IpAddress IpAddress::unmapped() const {
  if (is_v4()) return *this;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(bytes.data(), kMapped, 12) != 0) return *this;
  return v4(bytes[12], bytes[13], bytes[14], bytes[15]);
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

std::string IpAddress::to_host_string() const {
  return is_v4() ? to_string() : "[" + to_string() + "]";
}

sockaddr_storage IpAddress::to_sockaddr(uint16_t port, socklen_t* len) const {
  sockaddr_storage ss{};
  if (is_v4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    std::memcpy(&sin.sin_addr.s_addr, bytes.data(), 4);
    std::memcpy(&ss, &sin, sizeof sin);
    if (len != nullptr) *len = sizeof sin;
  } else {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    std::memcpy(sin6.sin6_addr.s6_addr, bytes.data(), 16);
    std::memcpy(&ss, &sin6, sizeof sin6);
    if (len != nullptr) *len = sizeof sin6;
  }
  return ss;
}

size_t IpAddressHash::operator()(const IpAddress& a) const {
  // FNV-1a over family and bytes.
  uint64_t h = 1469598103934665603ull ^ static_cast<uint64_t>(a.family);
  for (uint8_t b : a.bytes) {
    h ^= b;
    h *= 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

std::optional<IpAddress> parse_ipv4_strict(std::string_view s) {
  uint8_t octets[4] = {};
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
    const size_t begin = i;
    unsigned value = 0;
    while (i < s.size() && is_digit(s[i]) && i - begin < 3) value = value * 10 + (s[i++] - '0');
    const size_t n = i - begin;
    if (n == 0 || value > 255) return std::nullopt;
    if (n > 1 && s[begin] == '0') return std::nullopt;  // "010" would be octal to inet_aton
    octets[part] = static_cast<uint8_t>(value);
  }
  if (i != s.size()) return std::nullopt;
  return IpAddress::v4(octets[0], octets[1], octets[2], octets[3]);
}

std::optional<IpAddress> parse_ipv6(std::string_view s) {
  if (s.empty() || s.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string z(s);  // NUL-terminated copy; an embedded NUL would end it early, so check
  if (z.find('\0') != std::string::npos) return std::nullopt;
  in6_addr a{};
  if (inet_pton(AF_INET6, z.c_str(), &a) != 1) return std::nullopt;
  return IpAddress::from_in6_addr(a);
}

std::optional<IpAddress> parse_ip_literal(std::string_view s) {
  if (auto v4 = parse_ipv4_strict(s)) return v4;
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (auto v6 = parse_ipv6(s)) return v6->unmapped();
  return std::nullopt;
}

std::string Host::display() const {
  return kind == IPv6 ? "[" + text + "]" : text;
}

Result<Host> normalise_host(std::string_view raw) {
  if (raw.empty()) return host_error(raw, "empty host name");
  if (raw.size() > kMaxRawHost) return host_error(raw, "host name too long");
  for (unsigned char c : raw) {
    if (c == 0) return host_error(raw, "NUL byte in host name");
    if (c < 0x20 || c == 0x7f) return host_error(raw, "control character in host name");
    if (c == ' ') return host_error(raw, "space in host name");
  }

  // IPv6 literals: "[...]" or bare text with a colon. A name never contains ':' (a port must have
  // been split off by the caller).
  if (raw.front() == '[') {
    if (raw.back() != ']') return host_error(raw, "'[' without a closing ']'");
    const auto v6 = parse_ipv6(raw.substr(1, raw.size() - 2));
    if (!v6) return host_error(raw, "not a valid IPv6 address in brackets");
    return ip_host(v6->unmapped());
  }
  if (raw.find(':') != std::string_view::npos) {
    const auto v6 = parse_ipv6(raw);
    if (!v6)
      return host_error(raw, "':' in host name (not an IPv6 address; no port expected here)");
    return ip_host(v6->unmapped());
  }

  for (size_t i = 0; i < raw.size();) {
    const size_t n = paddock::utf8_sequence(raw, i);
    if (n == 0) return host_error(raw, "invalid UTF-8 in host name");
    i += n;
  }

  std::string name;
  name.reserve(raw.size());
  const std::vector<std::string_view> labels = split_labels(raw);
  for (size_t k = 0; k < labels.size(); ++k) {
    if (k > 0) name += '.';
    const std::string_view label = labels[k];
    std::string out;
    if (is_ascii(label)) {
      out.reserve(label.size());
      for (char c : label) out += lower(c);
      if (out.size() >= 4 && out.compare(0, 4, "xn--") == 0) {
        auto checked = idna_label(raw, out);
        if (!checked) return checked.error();
        if (*checked != out)
          return host_error(raw, "A-label \"" + out + "\" does not round-trip through IDNA");
      }
    } else {
      auto converted = idna_label(raw, std::string(label));
      if (!converted) return converted.error();
      out = std::move(*converted);
    }
    name += out;
  }

  if (!name.empty() && name.back() == '.') name.pop_back();  // one trailing dot, no more
  if (auto v4 = parse_ipv4_strict(name)) return ip_host(*v4);
  PADDOCK_TRY(check_ldh(raw, name));

  Host h;
  h.kind = Host::Name;
  h.text = std::move(name);
  return h;
}

std::string printable(std::string_view raw) {
  return paddock::printable(raw, 200);
}

}  // namespace paddock::proxy
