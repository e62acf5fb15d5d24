#pragma once
// Looks at the first bytes a client sends through a CONNECT tunnel and, when they are a TLS
// ClientHello, extracts the SNI host name so the proxy can check it names the CONNECT host.
// Pure: no I/O, no exceptions; every read is bounds-checked; any byte string is a valid input.
//
// Call on everything received so far. NeedMore means read more (at least up to need_at_least
// bytes in total) and call again. The ClientHello may be split over several handshake records;
// it is reassembled up to kMaxClientHelloBytes.
//
// Checks: records are handshake (22) with version 3.x (x <= 4) and a length of 1..2^14; the
// handshake message is a ClientHello (1) of at most kMaxClientHelloBytes; session id <= 32 bytes;
// cipher suites a non-empty even length; at least one compression method; the extensions block
// exactly fills the message and holds no extension type twice; server_name holds exactly one
// entry, of type host_name, 1..255 bytes of letters, digits, '-', '.', '_'.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace paddock::proxy {

inline constexpr std::size_t kMaxClientHelloBytes = 64 * 1024;
inline constexpr std::uint16_t kExtServerName = 0x0000;
inline constexpr std::uint16_t kExtEncryptedClientHello = 0xfe0d;

enum class TlsSniff {
  NeedMore,     // not enough bytes yet
  NotTls,       // first byte is not 0x16 (handshake): plain bytes through the tunnel
  ClientHello,  // a well-formed ClientHello; see sni / has_ech
  Malformed,    // starts like TLS but is not a valid ClientHello; reason says why
};

struct ClientHelloInfo {
  TlsSniff kind = TlsSniff::NeedMore;
  std::optional<std::string> sni;    // host_name, lower-cased; absent when no server_name
  bool has_ech = false;              // encrypted_client_hello (0xfe0d) present; sni is the outer
  std::uint16_t legacy_version = 0;  // ClientHello.legacy_version, e.g. 0x0303
  std::size_t need_at_least = 0;     // NeedMore: total bytes needed before it can progress
  std::string reason;                // Malformed: why
};

ClientHelloInfo inspect_client_hello(std::string_view buf);

}  // namespace paddock::proxy
