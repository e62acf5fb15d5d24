#pragma once
// SOCKS5 (RFC 1928) message parsers and reply builders for the proxy's SOCKS listener. Pure: no
// I/O, no exceptions; any byte string is a valid input. Buffers are std::string_view over raw
// bytes (bytes are read as unsigned char).
//
// Both parsers are incremental: call them on everything received so far; NeedMore means read more
// and call again; Done reports how many bytes the message took. On Error, `reply` is the code to
// answer a well-formed-enough request with (RFC 1928 section 6), and `error` says what was wrong.
// A client that opens with version 4 gets SocksError::Socks4 so the server can answer in SOCKS4
// (socks4_reject_reply) instead of sending SOCKS5 bytes it cannot read.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace paddock::proxy {

enum class SocksState { NeedMore, Done, Error };

enum class SocksError {
  None,
  Socks4,          // version byte 4: a SOCKS4/4a client
  BadVersion,      // version byte neither 4 nor 5
  NoMethods,       // greeting with nmethods == 0
  BadReserved,     // request RSV byte not 0
  BadCommand,      // command not 1, 2 or 3
  BadAddressType,  // ATYP not 1, 3 or 4
  BadDomain,       // domain of length 0 or containing NUL / control characters
};

enum class SocksReply : std::uint8_t {
  Succeeded = 0x00,
  GeneralFailure = 0x01,
  NotAllowed = 0x02,  // connection not allowed by ruleset
  NetworkUnreachable = 0x03,
  HostUnreachable = 0x04,
  ConnectionRefused = 0x05,
  TtlExpired = 0x06,
  CommandNotSupported = 0x07,
  AddressTypeNotSupported = 0x08,
};

inline constexpr std::uint8_t kSocksMethodNoAuth = 0x00;
inline constexpr std::uint8_t kSocksMethodNoAcceptable = 0xff;

struct SocksGreeting {
  std::vector<std::uint8_t> methods;
  bool offers_no_auth = false;  // method 0x00 is among them
};

enum class SocksCommand : std::uint8_t { Connect = 1, Bind = 2, UdpAssociate = 3 };
enum class SocksAddressType : std::uint8_t { IPv4 = 1, Domain = 3, IPv6 = 4 };

struct SocksAddress {
  SocksAddressType type = SocksAddressType::IPv4;
  std::array<std::uint8_t, 16> ip{};  // IPv4 in the first 4 bytes, or IPv6
  std::string domain;                 // for Domain: lower-cased ASCII
  std::uint16_t port = 0;

  // "1.2.3.4", "2001:db8::1" or the domain (no port, no brackets).
  std::string host() const;
};

struct SocksRequest {
  SocksCommand command = SocksCommand::Connect;
  SocksAddress address;
};

struct SocksGreetingResult {
  SocksState state = SocksState::NeedMore;
  std::size_t consumed = 0;
  SocksError error = SocksError::None;
  std::string reason;
  SocksGreeting greeting;  // valid when Done
};

struct SocksRequestResult {
  SocksState state = SocksState::NeedMore;
  std::size_t consumed = 0;
  SocksError error = SocksError::None;
  SocksReply reply = SocksReply::GeneralFailure;  // on Error: the reply code to send
  std::string reason;
  SocksRequest request;  // valid when Done
};

// VER NMETHODS METHODS...
SocksGreetingResult parse_socks5_greeting(std::string_view buf);
// VER CMD RSV ATYP DST.ADDR DST.PORT. BIND and UDP ASSOCIATE parse fine (Done); refusing them is
// the caller's decision (reply CommandNotSupported).
SocksRequestResult parse_socks5_request(std::string_view buf);

// {5, method}: pass kSocksMethodNoAcceptable to refuse.
std::string socks5_method_reply(std::uint8_t method);
// VER REP RSV ATYP BND.ADDR BND.PORT.
std::string socks5_reply(SocksReply code, const SocksAddress& bound);
// Same with BND = 0.0.0.0:0, for refusals and failures.
std::string socks5_reply(SocksReply code);
// The 8-byte SOCKS4 "request rejected or failed" reply (VN=0, CD=91).
std::string socks4_reject_reply();

}  // namespace paddock::proxy
