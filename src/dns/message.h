#pragma once
// DNS messages as the sandbox's resolver sees them (RFC 1035): the question of a query read from
// untrusted bytes, and the answer built for it. Pure: no sockets, no exceptions, no allocation
// beyond the strings returned; any byte string is a valid input.
//
// Strictness: the header must be complete, QDCOUNT must be 1, a name is at most 255 bytes in
// wire form with labels of 1..63 bytes, compression pointers must point strictly backwards and at
// most kMaxPointers are followed, the question must fit in the message. Records after the question
// (an EDNS OPT in the additional section) are not read: nothing in them changes the answer.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace paddock::dns {

inline constexpr std::size_t kHeaderBytes = 12;
inline constexpr std::size_t kMaxNameBytes = 255;  // wire form, length octets included
inline constexpr int kMaxPointers = 16;
// What the resolver answers over UDP without EDNS; our answers are far smaller.
inline constexpr std::size_t kMaxUdpMessage = 512;

enum class RecordType : uint16_t { A = 1, Aaaa = 28, Any = 255 };
inline constexpr uint16_t kClassIn = 1;

enum class Rcode : uint8_t {
  NoError = 0,
  FormErr = 1,
  ServFail = 2,
  NxDomain = 3,
  NotImp = 4,
  Refused = 5
};

struct Question {
  uint16_t id = 0;
  uint16_t flags = 0;     // the query's header flags (opcode, RD) as received
  std::string name;       // dotted, as received (case kept), no trailing dot; "" for the root
  std::string wire_name;  // the name in uncompressed wire form, echoed in the answer
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  uint8_t opcode() const { return uint8_t((flags >> 11) & 0xF); }
};

enum class ParseOutcome {
  Ok,       // `question` is filled
  FormErr,  // the header was read (id and flags valid) but the rest is not a query we take
  NotImp,   // an opcode other than QUERY (id and flags valid)
  Drop,     // not even a header, or a response: no answer at all
};

struct ParsedQuery {
  ParseOutcome outcome = ParseOutcome::Drop;
  Question question;  // id/flags valid unless Drop; the rest only when Ok
};

ParsedQuery parse_query(std::string_view msg);

// Reads a possibly compressed name at `offset` of `msg`. On success returns the dotted name and
// sets `next` to the offset after the name's bytes at `offset` (after the first pointer, when
// compressed) and `wire` to its uncompressed wire form. nullopt when malformed.
std::optional<std::string> read_name(std::string_view msg, std::size_t offset, std::size_t& next,
                                     std::string* wire = nullptr);

// The answer to `q`: the question echoed; with `a` set and rcode NoError, one A record of `ttl`
// seconds for the question's name. Flags: QR, AA and RA set, RD and the opcode copied.
std::string encode_answer(const Question& q, Rcode rcode, std::optional<uint32_t> a = std::nullopt,
                          uint32_t ttl = 0);

// A header-only answer (FORMERR, NOTIMP) to a message whose question was not understood.
std::string encode_error(uint16_t id, uint16_t query_flags, Rcode rcode);

// A query for `name` of `type` (for tests, the fuzz seed corpus and the bench). nullopt when the
// name cannot be encoded (a label of 0 or more than 63 bytes, more than 255 bytes in all).
std::optional<std::string> encode_query(uint16_t id, std::string_view name, uint16_t type,
                                        bool recursion_desired = true);

}  // namespace paddock::dns
