#include "mediator/capture_ops.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

namespace paddock::mediator {
namespace {

// The IPv4 address the caller names, directly or v4-mapped in an IPv6 one (host order).
std::optional<uint32_t> ipv4_of(const sockaddr_storage& ss, const DecodedAddress& d) {
  if (d.kind == DecodedAddress::Kind::Inet) {
    sockaddr_in in;
    std::memcpy(&in, &ss, sizeof in);
    return ntohl(in.sin_addr.s_addr);
  }
  if (d.kind == DecodedAddress::Kind::Inet6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, &ss, sizeof in6);
    if (!IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) return std::nullopt;
    uint32_t v4;
    std::memcpy(&v4, in6.sin6_addr.s6_addr + 12, 4);
    return ntohl(v4);
  }
  return std::nullopt;
}

// 127.0.0.1:port in the socket's own family (v4-mapped for an IPv6 socket).
CaptureTarget loopback(int domain, uint16_t port) {
  CaptureTarget t;
  if (domain == AF_INET6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr.s6_addr[10] = 0xFF;
    a.sin6_addr.s6_addr[11] = 0xFF;
    const uint32_t lo = htonl(INADDR_LOOPBACK);
    std::memcpy(a.sin6_addr.s6_addr + 12, &lo, 4);
    std::memcpy(&t.addr, &a, sizeof a);
    t.len = sizeof a;
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::memcpy(&t.addr, &a, sizeof a);
    t.len = sizeof a;
  }
  return t;
}

Out<uint16_t> local_port(int s) {
  sockaddr_storage me{};
  socklen_t ml = sizeof me;
  if (::getsockname(s, reinterpret_cast<sockaddr*>(&me), &ml) != 0) return CallError{errno};
  if (me.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&me)->sin_port);
  if (me.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&me)->sin6_port);
  return CallError{EAFNOSUPPORT};
}

}  // namespace

bool is_resolver_address(const sockaddr_storage& ss, const DecodedAddress& d) {
  const std::optional<uint32_t> v4 = ipv4_of(ss, d);
  return v4 && dns::is_fake_ipv4(*v4);
}

bool is_loopback_address(const sockaddr_storage& ss, const DecodedAddress& d) {
  if (d.kind == DecodedAddress::Kind::Inet6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, &ss, sizeof in6);
    if (IN6_IS_ADDR_LOOPBACK(&in6.sin6_addr) || IN6_IS_ADDR_UNSPECIFIED(&in6.sin6_addr))
      return true;
  }
  const std::optional<uint32_t> v4 = ipv4_of(ss, d);
  return v4 && ((*v4 >> 24) == 127 || *v4 == 0);
}

std::string inet_address_text(const sockaddr_storage& ss, const DecodedAddress& d) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (d.kind == DecodedAddress::Kind::Inet) {
    sockaddr_in in;
    std::memcpy(&in, &ss, sizeof in);
    ::inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(d.port);
  }
  sockaddr_in6 in6;
  std::memcpy(&in6, &ss, sizeof in6);
  ::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
  return "[" + std::string(text) + "]:" + std::to_string(d.port);
}

std::optional<Out<CaptureTarget>> capture_target(Call& c, int s, const sockaddr_storage& ss,
                                                 const DecodedAddress& d) {
  const dns::Capture* cap = c.ctx.sockets.capture.get();
  if (cap == nullptr || cap->listener_port == 0) return std::nullopt;
  const std::optional<uint32_t> v4 = ipv4_of(ss, d);
  if (!v4 || !dns::is_fake_ipv4(*v4)) return std::nullopt;
  const std::optional<std::string> name = cap->names->name_for(*v4);
  if (!name)
    return Out<CaptureTarget>(c.refuse({false, ENETUNREACH,
                                        "an address of the resolver's range that stands for no "
                                        "name it gave out"},
                                       "connect", inet_address_text(ss, d)));
  int domain = 0;
  socklen_t dl = sizeof domain;
  if (::getsockopt(s, SOL_SOCKET, SO_DOMAIN, &domain, &dl) != 0)
    return Out<CaptureTarget>(CallError{errno});
  if (domain != AF_INET && domain != AF_INET6) return Out<CaptureTarget>(CallError{EAFNOSUPPORT});
  if (domain == AF_INET && d.kind == DecodedAddress::Kind::Inet6)
    return Out<CaptureTarget>(CallError{EAFNOSUPPORT});
  auto port = local_port(s);
  if (!port.ok()) return Out<CaptureTarget>(CallError{port.err});
  if (port.value == 0) {
    // Bound now, so the proxy's key (this port) exists before the connect can be accepted.
    CaptureTarget any = loopback(domain, 0);
    if (::bind(s, reinterpret_cast<const sockaddr*>(&any.addr), any.len) != 0)
      return Out<CaptureTarget>(CallError{errno});
    port = local_port(s);
    if (!port.ok()) return Out<CaptureTarget>(CallError{port.err});
  }
  dns::CapturedDestination dest{*name, d.port, {}};
  // Read while the caller waits in connect(): its pid names no other process yet.
  if (cap->name_callers) dest.process = c.caller.name() + " (pid " + c.caller.ns_tgid() + ")";
  cap->pending->expect(port.value, std::move(dest));
  return Out<CaptureTarget>(loopback(domain, cap->listener_port));
}

}  // namespace paddock::mediator
