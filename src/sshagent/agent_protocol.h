#pragma once
// The ssh agent protocol (draft-miller-ssh-agent) as far as paddock's filter speaks it, parsed
// strictly: every length checked against what is left, nothing trailing, key blobs that start
// with a plausible key type. Pure: bytes in, values out, never throws on any input.
//
// A message on the wire is uint32 length (big-endian), then `length` bytes: a type byte and its
// contents. Strings are uint32 length + bytes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace paddock::sshagent {

// OpenSSH's agent refuses longer messages too (AGENT_MAX_LEN).
inline constexpr uint32_t kMaxMessage = 256 * 1024;
// More identities than this in one answer is not an agent.
inline constexpr uint32_t kMaxIdentities = 2048;

enum MessageType : uint8_t {
  kFailure = 5,
  kSuccess = 6,
  kRequestIdentities = 11,
  kIdentitiesAnswer = 12,
  kSignRequest = 13,
  kSignResponse = 14,
  kAddIdentity = 17,
  kRemoveIdentity = 18,
  kRemoveAllIdentities = 19,
  kAddSmartcardKey = 20,
  kRemoveSmartcardKey = 21,
  kLock = 22,
  kUnlock = 23,
  kAddIdConstrained = 25,
  kAddSmartcardKeyConstrained = 26,
  kExtension = 27,
  kExtensionFailure = 28,
};

// Flags of a sign request: RSA signatures with SHA-2 (RFC 8332). Any other bit is refused.
inline constexpr uint32_t kSignFlagsKnown = 0x02 | 0x04;

// How many bytes the frame at the start of `buf` takes (4 + length), 0 when more bytes are
// needed, nullopt when the length is 0 or above kMaxMessage (the stream cannot be trusted).
std::optional<size_t> frame_size(std::string_view buf);

struct Request {
  enum class Kind {
    kListIdentities,
    kSign,
    kOther,  // any other type: never forwarded (add, remove, lock, unlock, extension, SSH1...)
  };
  Kind kind = Kind::kOther;
  uint8_t type = 0;
  std::string key_blob;  // kSign
  std::string data;      // kSign
  uint32_t flags = 0;    // kSign
};

// Parses one message body (the bytes after the length). nullopt for a malformed list or sign
// request (wrong contents, trailing bytes, unknown flag bits, an implausible key blob) and for
// an empty body; any other well-framed type parses as kOther.
std::optional<Request> parse_request(std::string_view body);

struct Identity {
  std::string key_blob;
  std::string comment;
};

// SSH_AGENT_IDENTITIES_ANSWER's body; nullopt when malformed.
std::optional<std::vector<Identity>> parse_identities_answer(std::string_view body);

// A body the agent sent in answer to a sign request: SSH_AGENT_SIGN_RESPONSE with one
// signature string, or SSH_AGENT_FAILURE. Anything else is false.
bool valid_sign_answer(std::string_view body);

// Does a key blob start with a key type name (string of 1-64 printable characters, no space)?
bool plausible_key_blob(std::string_view blob);

// Message bodies, framed (length prepended).
std::string frame(std::string_view body);
std::string failure_message();
std::string identities_message(const std::vector<Identity>& ids);
std::string request_identities_message();
std::string sign_request_message(std::string_view key_blob, std::string_view data, uint32_t flags);

}  // namespace paddock::sshagent
