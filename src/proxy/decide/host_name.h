#pragma once
// Host names and IP literals as the proxy compares them. Every host the proxy is asked for (from an
// HTTP request, a CONNECT line, a SOCKS5 request, a captured flow) and every host named in a rule
// goes through normalise_host(), so a rule and a request meet in one canonical form:
//
//   names  lower-case A-labels (IDNA, UTS #46), no trailing dot, LDH labels checked
//   IPv4   strict dotted quad "a.b.c.d" (no octal, hex, short or leading-zero forms)
//   IPv6   inet_ntop's compressed form, no brackets, no zone; ::ffff:a.b.c.d becomes IPv4 a.b.c.d
//
// Pure: no I/O, no DNS. The proxy must resolve and dial Host::text, never the raw string it was
// given: "ⓐ.com" and "a.com" are the same host after IDNA mapping, and a rule judged the latter.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace paddock::proxy {

// An IPv4 or IPv6 address, in network byte order. Plain value; compares and hashes by content.
struct IpAddress {
  enum class Family : uint8_t { V4, V6 };
  Family family = Family::V4;
  std::array<uint8_t, 16> bytes{};  // V4 uses bytes[0..3], the rest stay zero

  static IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  static IpAddress from_in_addr(const in_addr& a);
  static IpAddress from_in6_addr(const in6_addr& a);
  // AF_INET or AF_INET6 socket addresses; anything else (or a short length) gives nullopt.
  static std::optional<IpAddress> from_sockaddr(const sockaddr* sa, socklen_t len);

  bool is_v4() const { return family == Family::V4; }
  bool is_v6() const { return family == Family::V6; }
  // ::ffff:a.b.c.d -> a.b.c.d; any other address is returned unchanged.
  IpAddress unmapped() const;
  // Canonical text without brackets: "192.0.2.1", "2001:db8::1".
  std::string to_string() const;
  // As it appears before a ":port": "192.0.2.1", "[2001:db8::1]".
  std::string to_host_string() const;
  // For dialling exactly this address.
  sockaddr_storage to_sockaddr(uint16_t port, socklen_t* len) const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

struct IpAddressHash {
  size_t operator()(const IpAddress& a) const;
};

// Strict dotted quad: four decimal octets 0..255, no leading zeros, no other characters.
std::optional<IpAddress> parse_ipv4_strict(std::string_view s);
// Bare IPv6 text as inet_pton(AF_INET6) accepts it (no brackets, no "%zone").
std::optional<IpAddress> parse_ipv6(std::string_view s);
// An IP literal as a user or a client writes it: strict IPv4, IPv6 bare or in brackets.
// IPv4-mapped IPv6 (::ffff:a.b.c.d) comes back as the IPv4 address.
std::optional<IpAddress> parse_ip_literal(std::string_view s);

struct Host {
  enum Kind { Name, IPv4, IPv6 };
  Kind kind = Name;
  std::string text;  // canonical: A-label name, dotted quad, or compressed IPv6 without brackets
  IpAddress ip;      // meaningful when kind != Name

  bool is_ip() const { return kind != Name; }
  // For messages and "host:port" forms: IPv6 in brackets, everything else as text.
  std::string display() const;
};

// Normalises a host as it came from the wire or from a rule, without a port:
//  - IPv6 literal, bare or in brackets -> IPv6 (IPv4-mapped -> IPv4);
//  - otherwise split into labels at '.' and the IDNA full stops (U+3002, U+FF0E, U+FF61); ASCII
//    labels are lower-cased as they are (DNS semantics: "r3---sn-x" stays valid), labels with
//    non-ASCII go through idn2_lookup_u8(IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) and, if that
//    refuses them, once more with IDN2_TRANSITIONAL (the fallback curl and wget2 use, so
//    IDNA2003-era names such as emoji domains still resolve); "xn--" labels must be valid punycode
//    that round-trips through the same two steps;
//  - one trailing dot is dropped; a strict dotted quad (also one spelled in full-width digits) is
//    IPv4;
//  - a name whose last label is numeric ("127.1", "0x7f.1", "2130706433", "1.2.3.4.5") is refused:
//    resolvers and URL parsers read such strings as IPv4 in octal/hex/short forms;
//  - labels are 1..63 bytes of [a-z0-9-_], no leading or trailing '-'; '_' is allowed in every
//    label but the last (real hosts use it, e.g. "_acme-challenge.example.com"); the whole name is
//    at most 253 bytes.
// Errors: op "host name", path = the raw input made printable, detail = why.
Result<Host> normalise_host(std::string_view raw);

// Raw bytes made safe to print in one line: control bytes and invalid UTF-8 as \xNN, at most
// 200 bytes followed by "...".
std::string printable(std::string_view raw);

}  // namespace paddock::proxy
