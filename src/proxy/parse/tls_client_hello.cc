#include "proxy/parse/tls_client_hello.h"

#include <algorithm>
#include <bitset>
#include <memory>

namespace paddock::proxy {
namespace {

constexpr unsigned char kRecordHandshake = 0x16;
constexpr unsigned char kHandshakeClientHello = 0x01;
constexpr std::size_t kRecordHeaderBytes = 5;
constexpr std::size_t kMaxRecordPayload = 16384;  // 2^14 for plaintext records
constexpr std::size_t kHandshakeHeaderBytes = 4;
constexpr std::size_t kMaxHostNameBytes = 255;

// Bounds-checked big-endian reader over a byte range. Every read fails (returns false) rather
// than going past the end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  std::size_t remaining() const { return data_.size() - pos_; }
  bool u8(std::uint32_t& v) { return read_be(1, v); }
  bool u16(std::uint32_t& v) { return read_be(2, v); }
  bool u24(std::uint32_t& v) { return read_be(3, v); }
  bool bytes(std::size_t n, std::string_view& out) {
    if (remaining() < n) return false;
    out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(std::size_t n) {
    std::string_view ignored;
    return bytes(n, ignored);
  }

 private:
  bool read_be(std::size_t n, std::uint32_t& v) {
    if (remaining() < n) return false;
    v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(data_[pos_ + i]);
    pos_ += n;
    return true;
  }

  std::string_view data_;
  std::size_t pos_ = 0;
};

ClientHelloInfo malformed(std::string reason) {
  ClientHelloInfo info;
  info.kind = TlsSniff::Malformed;
  info.reason = std::move(reason);
  return info;
}

ClientHelloInfo need_more(std::size_t at_least) {
  ClientHelloInfo info;
  info.kind = TlsSniff::NeedMore;
  info.need_at_least = at_least;
  return info;
}

// server_name extension body (RFC 6066 section 3). Returns an empty string on success.
std::string parse_server_name(std::string_view ext, std::string& host) {
  Reader r(ext);
  std::uint32_t list_len = 0;
  if (!r.u16(list_len) || list_len != r.remaining()) return "bad server_name list length";
  if (list_len == 0) return "empty server_name list";
  bool have = false;
  while (r.remaining() > 0) {
    std::uint32_t type = 0;
    std::uint32_t len = 0;
    std::string_view name;
    if (!r.u8(type) || !r.u16(len) || !r.bytes(len, name)) return "truncated server_name entry";
    if (type != 0) return "server_name entry is not host_name";
    if (have) return "more than one host_name in server_name";
    have = true;
    if (name.empty()) return "empty host_name";
    if (name.size() > kMaxHostNameBytes) return "host_name too long";
    host.clear();
    host.reserve(name.size());
    for (unsigned char c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
      bool ok =
          (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
      if (!ok) return "invalid character in host_name";
      host.push_back(static_cast<char>(c));
    }
  }
  return {};
}

ClientHelloInfo parse_client_hello_body(std::string_view body) {
  ClientHelloInfo info;
  Reader r(body);
  std::uint32_t version = 0;
  if (!r.u16(version)) return malformed("truncated ClientHello");
  if ((version >> 8) != 3) return malformed("ClientHello version is not 3.x");
  info.legacy_version = static_cast<std::uint16_t>(version);
  if (!r.skip(32)) return malformed("truncated ClientHello random");
  std::uint32_t sid_len = 0;
  if (!r.u8(sid_len) || sid_len > 32 || !r.skip(sid_len)) return malformed("bad session id");
  std::uint32_t cs_len = 0;
  if (!r.u16(cs_len) || cs_len == 0 || cs_len % 2 != 0 || !r.skip(cs_len)) {
    return malformed("bad cipher suites");
  }
  std::uint32_t cm_len = 0;
  if (!r.u8(cm_len) || cm_len == 0 || !r.skip(cm_len)) return malformed("bad compression methods");
  info.kind = TlsSniff::ClientHello;
  if (r.remaining() == 0) return info;  // no extensions (allowed before TLS 1.3)
  std::uint32_t ext_total = 0;
  if (!r.u16(ext_total) || ext_total != r.remaining()) return malformed("bad extensions length");
  auto seen = std::make_unique<std::bitset<65536>>();
  while (r.remaining() > 0) {
    std::uint32_t type = 0;
    std::uint32_t len = 0;
    std::string_view data;
    if (!r.u16(type) || !r.u16(len) || !r.bytes(len, data)) return malformed("truncated extension");
    if (seen->test(type)) {
      return malformed(type == kExtServerName ? "more than one server_name extension"
                                              : "duplicate extension");
    }
    seen->set(type);
    if (type == kExtServerName) {
      std::string host;
      if (std::string why = parse_server_name(data, host); !why.empty()) return malformed(why);
      info.sni = std::move(host);
    } else if (type == kExtEncryptedClientHello) {
      info.has_ech = true;
    }
  }
  return info;
}

}  // namespace

ClientHelloInfo inspect_client_hello(std::string_view buf) {
  if (buf.empty()) return need_more(1);
  if (static_cast<unsigned char>(buf[0]) != kRecordHandshake) {
    ClientHelloInfo info;
    info.kind = TlsSniff::NotTls;
    return info;
  }
  std::string msg;  // the reassembled handshake message (header included), capped
  std::size_t pos = 0;
  while (true) {
    // Record header, checked byte by byte as it arrives.
    const std::size_t have = std::min(buf.size() - pos, kRecordHeaderBytes);
    const auto at = [&](std::size_t i) { return static_cast<unsigned char>(buf[pos + i]); };
    if (have >= 1 && at(0) != kRecordHandshake) {
      return malformed("non-handshake record inside the ClientHello");
    }
    if (have >= 2 && at(1) != 3) return malformed("record version is not 3.x");
    if (have >= 3 && at(2) > 4) return malformed("record version is not 3.x");
    if (have < kRecordHeaderBytes) return need_more(pos + kRecordHeaderBytes);
    const std::size_t rec_len = (static_cast<std::size_t>(at(3)) << 8) | at(4);
    if (rec_len == 0) return malformed("empty handshake record");
    if (rec_len > kMaxRecordPayload) return malformed("record too long");
    const std::size_t payload = pos + kRecordHeaderBytes;
    const std::size_t avail = std::min(rec_len, buf.size() - payload);

    // Append no more of this record than the message still needs.
    std::size_t want = kHandshakeHeaderBytes;
    if (msg.size() >= kHandshakeHeaderBytes) {
      want += (static_cast<std::size_t>(static_cast<unsigned char>(msg[1])) << 16) |
              (static_cast<std::size_t>(static_cast<unsigned char>(msg[2])) << 8) |
              static_cast<unsigned char>(msg[3]);
    }
    std::size_t off = 0;
    while (off < avail && msg.size() < want) {
      const std::size_t take = std::min(avail - off, want - msg.size());
      msg.append(buf.substr(payload + off, take));
      off += take;
      if (msg.size() >= 1 && static_cast<unsigned char>(msg[0]) != kHandshakeClientHello) {
        return malformed("first handshake message is not a ClientHello");
      }
      if (msg.size() == kHandshakeHeaderBytes && want == kHandshakeHeaderBytes) {
        const std::size_t body_len =
            (static_cast<std::size_t>(static_cast<unsigned char>(msg[1])) << 16) |
            (static_cast<std::size_t>(static_cast<unsigned char>(msg[2])) << 8) |
            static_cast<unsigned char>(msg[3]);
        if (body_len + kHandshakeHeaderBytes > kMaxClientHelloBytes) {
          return malformed("ClientHello too large");
        }
        want += body_len;
      }
    }
    if (msg.size() >= want && want > kHandshakeHeaderBytes) {
      return parse_client_hello_body(std::string_view(msg).substr(kHandshakeHeaderBytes));
    }
    if (msg.size() >= want) {  // header complete with a zero body length
      return malformed("empty ClientHello");
    }
    if (avail < rec_len) return need_more(payload + rec_len);
    pos = payload + rec_len;
  }
}

}  // namespace paddock::proxy
