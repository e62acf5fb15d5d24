// libFuzzer target: TLS ClientHello inspection. Checks: an SNI is short, lower-case and made of
// host-name characters; NeedMore asks for more than it was given; and a complete ClientHello
// gives the same answer when its handshake message is re-split into 1..64-byte records.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "proxy/parse/tls_client_hello.h"

using namespace paddock::proxy;
using paddock::fuzz::check;

namespace {

// Handshake bytes reassembled from the records at the start of `in` (no validation: the
// inspector already accepted them).
std::string handshake_bytes(std::string_view in) {
  std::string hs;
  std::size_t pos = 0;
  while (pos + 5 <= in.size()) {
    const std::size_t len =
        (static_cast<unsigned char>(in[pos + 3]) << 8) | static_cast<unsigned char>(in[pos + 4]);
    hs.append(in.substr(pos + 5, len));
    pos += 5 + len;
    if (hs.size() >= 4) {
      const std::size_t want =
          4 + ((static_cast<unsigned char>(hs[1]) << 16) |
               (static_cast<unsigned char>(hs[2]) << 8) | static_cast<unsigned char>(hs[3]));
      if (hs.size() >= want) {
        hs.resize(want);
        return hs;
      }
    }
  }
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const ClientHelloInfo info = inspect_client_hello(in);
  switch (info.kind) {
    case TlsSniff::NeedMore:
      check(info.need_at_least > size);
      return 0;
    case TlsSniff::NotTls:
      check(size > 0 && data[0] != 0x16);
      return 0;
    case TlsSniff::Malformed:
      check(!info.reason.empty());
      return 0;
    case TlsSniff::ClientHello:
      break;
  }
  if (info.sni) {
    check(!info.sni->empty() && info.sni->size() <= 255);
    for (char c : *info.sni) {
      check((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_');
    }
  }
  check((info.legacy_version >> 8) == 3);

  const std::string hs = handshake_bytes(in);
  check(!hs.empty());
  const std::size_t frag = (size % 64) + 1;
  std::string wire;
  for (std::size_t pos = 0; pos < hs.size(); pos += frag) {
    const std::string part = hs.substr(pos, frag);
    wire += std::string("\x16\x03\x01", 3);
    wire.push_back(static_cast<char>(part.size() >> 8));
    wire.push_back(static_cast<char>(part.size() & 0xff));
    wire += part;
  }
  const ClientHelloInfo again = inspect_client_hello(wire);
  check(again.kind == TlsSniff::ClientHello);
  check(again.sni == info.sni && again.has_ech == info.has_ech);
  check(again.legacy_version == info.legacy_version);
  return 0;
}
