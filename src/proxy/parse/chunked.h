#pragma once
// Incremental framer for a chunked request body (RFC 9112 section 7.1). It does not decode or
// rewrite anything: the relay passes bytes through unchanged and asks the framer where the body
// ends. Pure: no I/O, no exceptions, any input is safe.
//
//   ChunkedFramer f;
//   ChunkedFramer::Step s = f.feed(bytes);   // forward bytes[0, s.consumed) upstream
//   if (s.error) -> answer 400 and close;  if (s.done) -> the next request starts at
//   bytes[s.consumed]; otherwise read more and feed again.
//
// Strict: chunk sizes are 1 to 16 hex digits (no overflow, no sign, no whitespace before the
// digits); a chunk extension is only allowed after ';' (optionally preceded by SP/HT), may not
// contain control characters other than HT and is at most kMaxChunkExtensionBytes long; every
// line ends in CRLF (a bare LF or CR is an error); the data of each chunk is followed by CRLF;
// trailer fields are "name:value" lines (no obs-fold) totalling at most kMaxTrailerBytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace paddock::proxy {

inline constexpr std::size_t kMaxChunkSizeDigits = 16;
inline constexpr std::size_t kMaxChunkExtensionBytes = 4096;
inline constexpr std::size_t kMaxTrailerBytes = 16 * 1024;

class ChunkedFramer {
 public:
  struct Step {
    std::size_t consumed = 0;  // bytes of the input that belong to the body
    bool done = false;         // the body ended within the consumed bytes
    bool error = false;        // malformed body; reason says why
    std::string reason;
  };

  // Feeds the next bytes of the body. After done or error, feeds consume nothing and repeat the
  // final state.
  Step feed(std::string_view bytes);

  bool done() const { return state_ == State::Done; }
  bool failed() const { return state_ == State::Error; }
  const std::string& error_reason() const { return reason_; }
  // Total body bytes consumed so far (framing included).
  std::uint64_t total_consumed() const { return total_; }
  // Bytes of chunk data (excluding framing) seen so far.
  std::uint64_t data_bytes() const { return data_total_; }

 private:
  enum class State {
    Size,          // reading hex digits of a chunk size
    SizeWs,        // SP/HT after the digits, before ';'
    Extension,     // inside the chunk extension, up to CR
    SizeLf,        // CR of the size line seen, expecting LF
    Data,          // chunk data, remaining_ bytes left
    DataCr,        // expecting CR after chunk data
    DataLf,        // expecting LF after chunk data
    TrailerStart,  // at the start of a trailer line (or the final empty line)
    TrailerName,   // inside a trailer field name
    TrailerValue,  // inside a trailer field value
    TrailerLf,     // CR of a trailer line seen, expecting LF
    FinalLf,       // CR of the final empty line seen, expecting LF
    Done,
    Error,
  };

  bool fail(std::string reason);

  State state_ = State::Size;
  std::uint64_t size_ = 0;
  std::size_t digits_ = 0;
  std::size_t ext_bytes_ = 0;
  std::uint64_t remaining_ = 0;
  std::size_t trailer_bytes_ = 0;
  std::uint64_t total_ = 0;
  std::uint64_t data_total_ = 0;
  std::string reason_;
};

}  // namespace paddock::proxy
