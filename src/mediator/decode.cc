#include "mediator/decode.h"

#include <netinet/in.h>
#include <sys/un.h>

#include <charconv>
#include <climits>
#include <cstring>
#include <vector>

#include "policy/paths.h"

namespace paddock::mediator {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string join_rest(const std::vector<std::string_view>& comps, size_t from) {
  std::string out;
  for (size_t k = from; k < comps.size(); ++k) {
    if (!out.empty()) out += '/';
    out.append(comps[k]);
  }
  return out;
}

// comps[at] is the fd number; the result carries what follows.
FdReference fd_at(const std::vector<std::string_view>& comps, size_t at) {
  FdReference r;
  auto n = parse_fd_number(comps[at]);
  if (!n) {
    r.kind = FdReference::Kind::Invalid;
    return r;
  }
  r.kind = FdReference::Kind::Fd;
  r.fd = *n;
  r.rest = join_rest(comps, at + 1);
  return r;
}

}  // namespace

std::optional<int> parse_fd_number(std::string_view digits) {
  // As procfs reads the name: digits only, no leading zero (so "01" names no descriptor).
  if (!all_digits(digits) || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  int v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size() || v < 0) return std::nullopt;
  return v;
}

FdReference parse_fd_reference(std::string_view path) {
  auto c = path_components(path);
  FdReference none;
  if (path.empty() || path[0] != '/' || c.size() < 2) return none;
  for (auto x : c)
    if (x == "." || x == "..") return none;  // only lexically normalised paths are references
  if (c[0] == "dev") {
    if (c.size() == 2) {
      int fd = c[1] == "stdin" ? 0 : c[1] == "stdout" ? 1 : c[1] == "stderr" ? 2 : -1;
      if (fd < 0) return none;
      FdReference r;
      r.kind = FdReference::Kind::Fd;
      r.fd = fd;
      return r;
    }
    if (c[1] == "fd" && c.size() >= 3) return fd_at(c, 2);
    return none;
  }
  if (c[0] != "proc" || c.size() < 3) return none;
  size_t at = 2;
  bool thread = false;
  if (c[1] != "self" && c[1] != "thread-self") {
    if (!all_digits(c[1])) return none;
    if (c.size() >= 5 && c[2] == "task" && all_digits(c[3])) {
      at = 4;
      thread = true;
    }
  }
  if (c.size() >= at + 1 && (c[at] == "cwd" || c[at] == "root")) {
    FdReference r;
    r.kind = c[at] == "cwd" ? FdReference::Kind::Cwd : FdReference::Kind::Root;
    if (c[1] != "self" && c[1] != "thread-self") {
      r.pid = std::string(thread ? c[3] : c[1]);
      r.thread = thread;
    }
    r.rest = join_rest(c, at + 1);
    return r;
  }
  if (c.size() < at + 2 || c[at] != "fd") return none;
  FdReference r = fd_at(c, at + 1);
  if (r.kind == FdReference::Kind::Fd && c[1] != "self" && c[1] != "thread-self") {
    r.kind = FdReference::Kind::OtherTask;
    r.pid = std::string(thread ? c[3] : c[1]);
    r.thread = thread;
  }
  return r;
}

FinalSplit split_final(std::string_view path) {
  FinalSplit s;
  size_t end = path.size();
  while (end > 1 && path[end - 1] == '/') {
    --end;
    s.trailing_slash = true;
  }
  std::string_view p = path.substr(0, end);
  if (p.empty()) return s;
  if (p == "/") {
    s.parent = "/";
    return s;
  }
  size_t slash = p.find_last_of('/');
  std::string_view name;
  if (slash == std::string_view::npos) {
    s.parent = ".";
    name = p;
  } else {
    s.parent = slash == 0 ? "/" : std::string(p.substr(0, slash));
    name = p.substr(slash + 1);
  }
  if (name == "." || name == "..") {
    s.parent = std::string(p);
    return s;
  }
  s.name = std::string(name);
  return s;
}

DecodedAddress decode_address(const void* bytes, size_t len) {
  DecodedAddress d;
  if (bytes == nullptr || len < sizeof(sa_family_t)) return d;
  std::memcpy(&d.family, bytes, sizeof d.family);
  const auto* b = static_cast<const unsigned char*>(bytes);
  switch (d.family) {
    case AF_UNIX: {
      size_t off = offsetof(sockaddr_un, sun_path);
      if (len <= off) {
        d.kind = DecodedAddress::Kind::UnixUnnamed;
        return d;
      }
      size_t n = std::min(len - off, sizeof(sockaddr_un::sun_path));
      const char* p = reinterpret_cast<const char*>(b + off);
      if (p[0] == 0) {
        d.kind = DecodedAddress::Kind::UnixAbstract;
        return d;
      }
      d.kind = DecodedAddress::Kind::UnixPath;
      d.unix_path.assign(p, strnlen(p, n));
      return d;
    }
    case AF_INET: {
      if (len < sizeof(sockaddr_in)) return d;  // the kernel answers EINVAL
      sockaddr_in in;
      std::memcpy(&in, bytes, sizeof in);
      d.kind = DecodedAddress::Kind::Inet;
      d.port = ntohs(in.sin_port);
      return d;
    }
    case AF_INET6: {
      constexpr size_t kMinSin6 = 24;  // SIN6_LEN_RFC2133: no scope id, still accepted
      if (len < kMinSin6) return d;
      sockaddr_in6 in6{};
      std::memcpy(&in6, bytes, std::min(len, sizeof in6));
      d.kind = DecodedAddress::Kind::Inet6;
      d.port = ntohs(in6.sin6_port);
      return d;
    }
    case AF_UNSPEC:
      return d;
    default:
      d.kind = DecodedAddress::Kind::Other;
      return d;
  }
}

}  // namespace paddock::mediator
