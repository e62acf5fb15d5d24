#include "dns/message.h"

namespace paddock::dns {
namespace {

constexpr uint16_t kFlagQr = 0x8000;
constexpr uint16_t kFlagAa = 0x0400;
constexpr uint16_t kFlagTc = 0x0200;
constexpr uint16_t kFlagRd = 0x0100;
constexpr uint16_t kFlagRa = 0x0080;
constexpr uint16_t kOpcodeMask = 0x7800;

uint16_t be16(std::string_view m, std::size_t at) {
  return uint16_t((uint8_t(m[at]) << 8) | uint8_t(m[at + 1]));
}

void put16(std::string& out, uint16_t v) {
  out.push_back(char(v >> 8));
  out.push_back(char(v & 0xFF));
}

void put32(std::string& out, uint32_t v) {
  put16(out, uint16_t(v >> 16));
  put16(out, uint16_t(v & 0xFFFF));
}

// A byte a host name's label may hold here: printable ASCII but no dot (which would make the
// dotted form ambiguous), no space.
bool label_byte_ok(unsigned char c) {
  return c > 0x20 && c < 0x7F && c != '.';
}

}  // namespace

std::optional<std::string> read_name(std::string_view msg, std::size_t offset, std::size_t& next,
                                     std::string* wire) {
  std::string dotted;
  std::string w;
  std::size_t at = offset;
  std::size_t resume = 0;  // where the name's own bytes end, once a pointer was followed
  int pointers = 0;
  for (;;) {
    if (at >= msg.size()) return std::nullopt;
    const uint8_t len = uint8_t(msg[at]);
    if ((len & 0xC0) == 0xC0) {
      if (at + 1 >= msg.size()) return std::nullopt;
      const std::size_t target = std::size_t(((len & 0x3F) << 8) | uint8_t(msg[at + 1]));
      // Strictly backwards: every pointer moves towards the start, so loops are impossible and
      // the bound on pointers is a bound on work, not the only guard.
      if (target >= at || ++pointers > kMaxPointers) return std::nullopt;
      if (resume == 0) resume = at + 2;
      at = target;
      continue;
    }
    if ((len & 0xC0) != 0) return std::nullopt;  // 0x40 and 0x80: extended label types
    if (len == 0) {
      w.push_back('\0');
      if (w.size() > kMaxNameBytes) return std::nullopt;
      next = resume != 0 ? resume : at + 1;
      if (wire != nullptr) *wire = std::move(w);
      return dotted;
    }
    if (at + 1 + len > msg.size()) return std::nullopt;
    if (w.size() + 1 + len + 1 > kMaxNameBytes) return std::nullopt;
    const std::string_view label = msg.substr(at + 1, len);
    for (char c : label)
      if (!label_byte_ok(static_cast<unsigned char>(c))) return std::nullopt;
    if (!dotted.empty()) dotted.push_back('.');
    dotted.append(label);
    w.push_back(char(len));
    w.append(label);
    at += 1 + len;
  }
}

ParsedQuery parse_query(std::string_view msg) {
  ParsedQuery p;
  if (msg.size() < kHeaderBytes) return p;
  Question& q = p.question;
  q.id = be16(msg, 0);
  q.flags = be16(msg, 2);
  if (q.flags & kFlagQr) return p;  // a response sent to us: never answered (no loops)
  if (q.opcode() != 0) {
    p.outcome = ParseOutcome::NotImp;
    return p;
  }
  p.outcome = ParseOutcome::FormErr;
  if (be16(msg, 4) != 1 || (q.flags & kFlagTc)) return p;
  std::size_t next = 0;
  auto name = read_name(msg, kHeaderBytes, next, &q.wire_name);
  if (!name || next + 4 > msg.size()) return p;
  q.name = std::move(*name);
  q.qtype = be16(msg, next);
  q.qclass = be16(msg, next + 2);
  p.outcome = ParseOutcome::Ok;
  return p;
}

std::string encode_error(uint16_t id, uint16_t query_flags, Rcode rcode) {
  std::string out;
  out.reserve(kHeaderBytes);
  put16(out, id);
  put16(out,
        uint16_t(kFlagQr | kFlagRa | (query_flags & (kOpcodeMask | kFlagRd)) | uint16_t(rcode)));
  put16(out, 0);
  put16(out, 0);
  put16(out, 0);
  put16(out, 0);
  return out;
}

std::string encode_answer(const Question& q, Rcode rcode, std::optional<uint32_t> a, uint32_t ttl) {
  const bool with_a = a.has_value() && rcode == Rcode::NoError;
  std::string out;
  out.reserve(kHeaderBytes + q.wire_name.size() + 4 + (with_a ? 16 : 0));
  put16(out, q.id);
  put16(out, uint16_t(kFlagQr | kFlagAa | kFlagRa | (q.flags & (kOpcodeMask | kFlagRd)) |
                      uint16_t(rcode)));
  put16(out, 1);
  put16(out, with_a ? 1 : 0);
  put16(out, 0);
  put16(out, 0);
  out.append(q.wire_name);
  put16(out, q.qtype);
  put16(out, q.qclass);
  if (with_a) {
    put16(out, 0xC000 | kHeaderBytes);  // the question's name
    put16(out, uint16_t(RecordType::A));
    put16(out, kClassIn);
    put32(out, ttl);
    put16(out, 4);
    put32(out, *a);
  }
  return out;
}

std::optional<std::string> encode_query(uint16_t id, std::string_view name, uint16_t type,
                                        bool recursion_desired) {
  std::string out;
  put16(out, id);
  put16(out, recursion_desired ? kFlagRd : 0);
  put16(out, 1);
  put16(out, 0);
  put16(out, 0);
  put16(out, 0);
  std::size_t wire = 1;
  while (!name.empty()) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63) return std::nullopt;
    wire += 1 + label.size();
    out.push_back(char(label.size()));
    out.append(label);
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  if (wire > kMaxNameBytes) return std::nullopt;
  out.push_back('\0');
  put16(out, type);
  put16(out, kClassIn);
  return out;
}

}  // namespace paddock::dns
