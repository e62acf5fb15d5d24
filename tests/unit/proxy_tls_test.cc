// TLS ClientHello inspection on CONNECT tunnels: SNI extraction, reassembly over records, and
// malformed shapes. ClientHellos are built here byte by byte; one is a real curl capture.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "proxy/parse/tls_client_hello.h"

namespace paddock::proxy {
namespace {

void put8(std::string& s, unsigned v) {
  s.push_back(static_cast<char>(v & 0xff));
}
void put16(std::string& s, unsigned v) {
  put8(s, v >> 8);
  put8(s, v);
}
void put24(std::string& s, unsigned v) {
  put8(s, v >> 16);
  put16(s, v & 0xffff);
}

// server_name extension body with the given (name_type, name) entries.
std::string sni_body(const std::vector<std::pair<unsigned, std::string>>& entries) {
  std::string list;
  for (const auto& [type, name] : entries) {
    put8(list, type);
    put16(list, static_cast<unsigned>(name.size()));
    list += name;
  }
  std::string body;
  put16(body, static_cast<unsigned>(list.size()));
  return body + list;
}

struct HelloBuilder {
  unsigned version = 0x0303;
  std::string session_id = std::string(32, '\x42');
  std::vector<unsigned> ciphers = {0x1301, 0x1302, 0xc02f};
  std::string compression = std::string(1, '\0');
  std::vector<std::pair<unsigned, std::string>> extensions;
  bool no_extensions_block = false;
  std::string trailing;  // bytes after the extensions, inside the message

  HelloBuilder& sni(const std::string& host) {
    extensions.emplace_back(kExtServerName, sni_body({{0, host}}));
    return *this;
  }
  HelloBuilder& ext(unsigned type, std::string data) {
    extensions.emplace_back(type, std::move(data));
    return *this;
  }

  std::string body() const {
    std::string b;
    put16(b, version);
    b += std::string(32, '\x11');  // random
    put8(b, static_cast<unsigned>(session_id.size()));
    b += session_id;
    put16(b, static_cast<unsigned>(ciphers.size() * 2));
    for (unsigned c : ciphers) put16(b, c);
    put8(b, static_cast<unsigned>(compression.size()));
    b += compression;
    if (!no_extensions_block) {
      std::string exts;
      for (const auto& [type, data] : extensions) {
        put16(exts, type);
        put16(exts, static_cast<unsigned>(data.size()));
        exts += data;
      }
      put16(b, static_cast<unsigned>(exts.size()));
      b += exts;
    }
    return b + trailing;
  }

  std::string handshake() const {
    std::string b = body();
    std::string h;
    put8(h, 1);
    put24(h, static_cast<unsigned>(b.size()));
    return h + b;
  }
};

// Wraps a handshake message into records of at most `fragment` payload bytes.
std::string records(const std::string& hs, std::size_t fragment = 16384,
                    unsigned record_version = 0x0301, unsigned type = 0x16) {
  std::string out;
  for (std::size_t pos = 0; pos < hs.size(); pos += fragment) {
    std::string part = hs.substr(pos, fragment);
    put8(out, type);
    put16(out, record_version);
    put16(out, static_cast<unsigned>(part.size()));
    out += part;
  }
  return out;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// The first flight of `curl https://example.com/` (curl 7.88.1, OpenSSL 3.0), captured on a local
// listener: one 517-byte record holding a TLS 1.3 ClientHello with SNI "example.com", ALPN h2 and
// http/1.1, key_share x25519 and a padding extension.
const char kCurlClientHelloHex[] =
    "1603010200010001fc03037b173fdcbab96a643c831c304a4166f63ff21424ea"
    "8ebd62ce0602e2b3e8c558202f2a465c828a548c078506b2c70b5bb8e1d65b38"
    "54d09d5889a5a8829fe0c958003e130213031301c02cc030009fcca9cca8ccaa"
    "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d"
    "009c003d003c0035002f00ff0100017500000010000e00000b6578616d706c65"
    "2e636f6d000b000403000102000a00160014001d0017001e0019001801000101"
    "0102010301040010000e000c02683208687474702f312e310016000000170000"
    "00310000000d002a0028040305030603080708080809080a080b080408050806"
    "040105010601030303010302040205020602002b000908030403030302030100"
    "2d00020101003300260024001d002062855adf8716086dc3a31b06f6da38fe7f"
    "f8fde9e84c69ba7ad00fb85498fd46001500b200000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000";

ClientHelloInfo expect_hello(const std::string& wire) {
  ClientHelloInfo info = inspect_client_hello(wire);
  EXPECT_EQ(info.kind, TlsSniff::ClientHello) << info.reason;
  return info;
}

void expect_malformed(const std::string& wire, std::string_view what = {}) {
  ClientHelloInfo info = inspect_client_hello(wire);
  EXPECT_EQ(info.kind, TlsSniff::Malformed);
  EXPECT_NE(info.reason.find(what), std::string::npos) << info.reason;
}

// ---- Captured curl ClientHello ----

TEST(ProxyTls, CurlCapture) {
  std::string wire = from_hex(kCurlClientHelloHex);
  ASSERT_EQ(wire.size(), 517u);
  ClientHelloInfo info = expect_hello(wire);
  ASSERT_TRUE(info.sni.has_value());
  EXPECT_EQ(*info.sni, "example.com");
  EXPECT_FALSE(info.has_ech);
  EXPECT_EQ(info.legacy_version, 0x0303);
}

TEST(ProxyTls, CurlCaptureEveryPrefixNeedsMore) {
  std::string wire = from_hex(kCurlClientHelloHex);
  for (std::size_t n = 0; n < wire.size(); ++n) {
    ClientHelloInfo info = inspect_client_hello(std::string_view(wire).substr(0, n));
    ASSERT_EQ(info.kind, TlsSniff::NeedMore) << n;
    EXPECT_GT(info.need_at_least, n);
    EXPECT_LE(info.need_at_least, wire.size());
  }
}

TEST(ProxyTls, CurlCaptureResplitIntoSmallRecords) {
  std::string wire = from_hex(kCurlClientHelloHex);
  std::string hs = wire.substr(5);
  for (std::size_t frag : {1, 2, 3, 4, 5, 100, 511}) {
    ClientHelloInfo info = expect_hello(records(hs, frag));
    EXPECT_EQ(info.sni.value_or(""), "example.com") << frag;
  }
}

TEST(ProxyTls, CurlCaptureCorruptionNeverCrashes) {
  std::string wire = from_hex(kCurlClientHelloHex);
  for (std::size_t i = 0; i < wire.size(); ++i) {
    for (int x : {0x01, 0x80, 0xff}) {
      std::string w = wire;
      w[i] = static_cast<char>(w[i] ^ x);
      ClientHelloInfo info = inspect_client_hello(w);
      if (info.kind == TlsSniff::ClientHello && info.sni) {
        EXPECT_LE(info.sni->size(), 255u);
      }
    }
  }
}

// ---- Built ClientHellos ----

TEST(ProxyTls, SniIsLowercased) {
  ClientHelloInfo info = expect_hello(records(HelloBuilder().sni("WWW.Example.COM").handshake()));
  EXPECT_EQ(info.sni.value_or(""), "www.example.com");
  EXPECT_EQ(info.legacy_version, 0x0303);
}

TEST(ProxyTls, NoSni) {
  ClientHelloInfo info =
      expect_hello(records(HelloBuilder().ext(0x000a, "\x00\x02\x00\x1d").handshake()));
  EXPECT_FALSE(info.sni.has_value());
  HelloBuilder b;
  b.no_extensions_block = true;  // legal before TLS 1.3
  info = expect_hello(records(b.handshake()));
  EXPECT_FALSE(info.sni.has_value());
  b.no_extensions_block = false;  // an empty extensions block
  info = expect_hello(records(b.handshake()));
  EXPECT_FALSE(info.sni.has_value());
}

TEST(ProxyTls, SniAmongOtherExtensions) {
  HelloBuilder b;
  b.ext(0x0a0a, "").ext(0x0010, std::string("\x00\x03\x02h2", 5)).sni("api.example.org");
  b.ext(0x002b, std::string("\x02\x03\x04", 3)).ext(0x1a1a, std::string(1, '\0'));
  ClientHelloInfo info = expect_hello(records(b.handshake()));
  EXPECT_EQ(info.sni.value_or(""), "api.example.org");
}

TEST(ProxyTls, EchReported) {
  HelloBuilder b;
  b.sni("public.example.com").ext(kExtEncryptedClientHello, std::string(40, '\x07'));
  ClientHelloInfo info = expect_hello(records(b.handshake()));
  EXPECT_TRUE(info.has_ech);
  EXPECT_EQ(info.sni.value_or(""), "public.example.com");  // the outer SNI
}

TEST(ProxyTls, SplitOverRecords) {
  HelloBuilder b;
  b.sni("split.example.net");
  const std::string hs = b.handshake();
  for (std::size_t frag : {1, 2, 3, 4, 7, 50}) {
    std::string wire = records(hs, frag);
    ClientHelloInfo info = expect_hello(wire);
    EXPECT_EQ(info.sni.value_or(""), "split.example.net");
    // Every prefix asks for more, and says how much is needed at least.
    for (std::size_t n = 0; n < wire.size(); ++n) {
      ClientHelloInfo part = inspect_client_hello(std::string_view(wire).substr(0, n));
      ASSERT_EQ(part.kind, TlsSniff::NeedMore) << frag << " " << n;
      ASSERT_GT(part.need_at_least, n);
      ASSERT_LE(part.need_at_least, wire.size());
    }
  }
}

TEST(ProxyTls, LargeHelloOverSeveralFullRecords) {
  HelloBuilder b;
  b.sni("big.example").ext(0x0015, std::string(40000, '\0'));  // padding
  std::string wire = records(b.handshake());
  ASSERT_GT(wire.size(), 2 * 16384u);
  EXPECT_EQ(expect_hello(wire).sni.value_or(""), "big.example");
}

TEST(ProxyTls, ClientHelloSizeCap) {
  HelloBuilder b;
  b.sni("a.example").ext(0x0015, std::string(kMaxClientHelloBytes, '\0'));
  std::string hs = b.handshake();
  // The declared length alone is enough to refuse it.
  expect_malformed(records(hs).substr(0, 9), "too large");
  // The largest extension block still fits just under the cap.
  HelloBuilder c;
  c.sni("a.example");
  std::size_t base = c.handshake().size();
  c.ext(0x0015, std::string(kMaxClientHelloBytes - base - 4, '\0'));
  ASSERT_EQ(c.handshake().size(), kMaxClientHelloBytes);
  EXPECT_EQ(expect_hello(records(c.handshake())).sni.value_or(""), "a.example");
}

TEST(ProxyTls, DataAfterHelloIsIgnored) {
  HelloBuilder b;
  b.sni("x.example");
  std::string hs = b.handshake();
  // Another handshake message in the same record, then an application data record.
  std::string wire = records(hs + std::string("\x10\x00\x00\x00", 4));
  wire += records("junk", 16384, 0x0303, 0x17);
  EXPECT_EQ(expect_hello(wire).sni.value_or(""), "x.example");
  // The hello completes inside a record that has not fully arrived yet.
  std::string big = records(hs + std::string(100, 'z'));
  EXPECT_EQ(expect_hello(big.substr(0, 5 + hs.size())).sni.value_or(""), "x.example");
}

TEST(ProxyTls, RecordVersions) {
  std::string hs = HelloBuilder().sni("v.example").handshake();
  for (unsigned v : {0x0300u, 0x0301u, 0x0302u, 0x0303u, 0x0304u})
    expect_hello(records(hs, 16384, v));
  expect_malformed(records(hs, 16384, 0x0305), "record version");
  expect_malformed(records(hs, 16384, 0x0203), "record version");
  expect_malformed(records(hs, 16384, 0x0403), "record version");
  expect_malformed(records(hs, 16384, 0xfeff), "record version");
  // Caught from the header bytes alone.
  expect_malformed(std::string("\x16\x02", 2), "record version");
  expect_malformed(std::string("\x16\x03\x07", 3), "record version");
}

TEST(ProxyTls, RecordLengths) {
  expect_malformed(std::string("\x16\x03\x01\x00\x00", 5), "empty");
  expect_malformed(std::string("\x16\x03\x01\x40\x01", 5), "record too long");
  ClientHelloInfo info = inspect_client_hello(std::string("\x16\x03\x01\x40\x00", 5));
  EXPECT_EQ(info.kind, TlsSniff::NeedMore);
  EXPECT_EQ(info.need_at_least, 5u + 16384u);
}

TEST(ProxyTls, RecordTypeChangesMidHello) {
  std::string hs = HelloBuilder().sni("t.example").handshake();
  std::string wire = records(hs.substr(0, 20)) + records(hs.substr(20), 16384, 0x0301, 0x17);
  expect_malformed(wire, "non-handshake record");
  wire = records(hs.substr(0, 20)) + records(hs.substr(20), 16384, 0x0301, 0x15);
  expect_malformed(wire, "non-handshake record");
}

TEST(ProxyTls, NotTls) {
  EXPECT_EQ(inspect_client_hello("GET / HTTP/1.1\r\n").kind, TlsSniff::NotTls);
  EXPECT_EQ(inspect_client_hello("SSH-2.0-OpenSSH_9.2\r\n").kind, TlsSniff::NotTls);
  EXPECT_EQ(inspect_client_hello(std::string("\x80\x2e\x01\x00\x02", 5)).kind, TlsSniff::NotTls);
  EXPECT_EQ(inspect_client_hello(std::string("\x17\x03\x03\x00\x10", 5)).kind, TlsSniff::NotTls);
  ClientHelloInfo empty = inspect_client_hello("");
  EXPECT_EQ(empty.kind, TlsSniff::NeedMore);
  EXPECT_EQ(empty.need_at_least, 1u);
}

TEST(ProxyTls, NotAClientHello) {
  std::string hs = HelloBuilder().sni("s.example").handshake();
  hs[0] = 2;  // ServerHello
  expect_malformed(records(hs), "not a ClientHello");
  // Caught from the first handshake byte.
  expect_malformed(std::string("\x16\x03\x01\x00\x01\x0b", 6), "not a ClientHello");
  expect_malformed(records(std::string("\x01\x00\x00\x00", 4)), "empty ClientHello");
}

TEST(ProxyTls, MalformedBodies) {
  HelloBuilder b;
  b.sni("m.example");

  HelloBuilder v = b;
  v.version = 0x0203;
  expect_malformed(records(v.handshake()), "version");

  HelloBuilder sid = b;
  sid.session_id = std::string(33, 's');
  expect_malformed(records(sid.handshake()), "session id");

  HelloBuilder nocs = b;
  nocs.ciphers.clear();
  expect_malformed(records(nocs.handshake()), "cipher suites");

  HelloBuilder nocm = b;
  nocm.compression.clear();
  expect_malformed(records(nocm.handshake()), "compression");

  HelloBuilder trail = b;
  trail.trailing = "xyz";
  expect_malformed(records(trail.handshake()), "extensions length");

  // Odd cipher_suites length, patched into a valid message.
  std::string hs = b.handshake();
  std::size_t cs_at = 4 + 2 + 32 + 1 + 32;  // header, version, random, sid len, sid
  ASSERT_EQ(static_cast<unsigned char>(hs[cs_at + 1]), 6u);
  hs[cs_at + 1] = 5;
  expect_malformed(records(hs), "");

  // Truncated bodies: the handshake length says less than the fields need.
  std::string body = b.body();
  for (std::size_t cut : {0, 1, 2, 20, 34, 35, 40, 70, 74}) {
    std::string msg;
    put8(msg, 1);
    put24(msg, static_cast<unsigned>(cut));
    msg += body.substr(0, cut);
    if (cut == 0) continue;  // "empty ClientHello", tested above
    expect_malformed(records(msg));
  }
}

TEST(ProxyTls, MalformedExtensions) {
  // An extension whose length runs past the block.
  HelloBuilder b;
  b.sni("e.example");
  std::string hs = b.handshake();
  std::string cut = hs.substr(0, hs.size() - 1);  // drop the last byte of the SNI name
  cut[3] = static_cast<char>(cut[3] - 1);         // keep the handshake length consistent
  expect_malformed(records(cut), "extensions length");

  HelloBuilder dup;
  dup.sni("a.example").sni("b.example");
  expect_malformed(records(dup.handshake()), "more than one server_name extension");

  HelloBuilder dup_other;
  dup_other.sni("a.example").ext(0x0010, "").ext(0x0010, "");
  expect_malformed(records(dup_other.handshake()), "duplicate extension");

  HelloBuilder two;
  two.ext(kExtServerName, sni_body({{0, "a.example"}, {0, "b.example"}}));
  expect_malformed(records(two.handshake()), "more than one host_name");

  HelloBuilder other_type;
  other_type.ext(kExtServerName, sni_body({{1, "a.example"}}));
  expect_malformed(records(other_type.handshake()), "not host_name");

  HelloBuilder empty_list;
  empty_list.ext(kExtServerName, std::string("\x00\x00", 2));
  expect_malformed(records(empty_list.handshake()), "empty server_name list");

  HelloBuilder empty_ext;
  empty_ext.ext(kExtServerName, "");
  expect_malformed(records(empty_ext.handshake()), "server_name");

  HelloBuilder bad_list_len;
  std::string body = sni_body({{0, "a.example"}});
  body[1] = static_cast<char>(body[1] + 1);
  bad_list_len.ext(kExtServerName, body);
  expect_malformed(records(bad_list_len.handshake()), "list length");

  HelloBuilder truncated_entry;
  std::string tb;
  put16(tb, 5);
  put8(tb, 0);
  put16(tb, 10);
  tb += "ab";
  truncated_entry.ext(kExtServerName, tb);
  expect_malformed(records(truncated_entry.handshake()), "truncated server_name");

  HelloBuilder empty_name;
  empty_name.ext(kExtServerName, sni_body({{0, ""}}));
  expect_malformed(records(empty_name.handshake()), "empty host_name");

  HelloBuilder nul;
  nul.ext(kExtServerName, sni_body({{0, std::string("good.example\0evil.example", 25)}}));
  expect_malformed(records(nul.handshake()), "invalid character");

  for (std::string bad : {"a b", "a/b", "a:443", "[::1]", "caf\xc3\xa9.example", "a\r\nb"}) {
    HelloBuilder h;
    h.ext(kExtServerName, sni_body({{0, bad}}));
    expect_malformed(records(h.handshake()), "invalid character");
  }

  HelloBuilder too_long;
  too_long.sni(std::string(256, 'a'));
  expect_malformed(records(too_long.handshake()), "too long");
  HelloBuilder max_len;
  max_len.sni(std::string(255, 'a'));
  EXPECT_EQ(expect_hello(records(max_len.handshake())).sni->size(), 255u);
}

}  // namespace
}  // namespace paddock::proxy
