#include "proxy/parse/chunked.h"

#include <algorithm>
#include <cstring>

namespace paddock::proxy {
namespace {

int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// Field-value and chunk-extension bytes: visible ASCII, SP, HT, obs-text.
bool is_text(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

}  // namespace

bool ChunkedFramer::fail(std::string reason) {
  state_ = State::Error;
  reason_ = std::move(reason);
  return false;
}

ChunkedFramer::Step ChunkedFramer::feed(std::string_view bytes) {
  Step step;
  std::size_t i = 0;
  while (i < bytes.size() && state_ != State::Done && state_ != State::Error) {
    const unsigned char c = bytes[i];
    switch (state_) {
      case State::Size: {
        int v = hex_value(c);
        if (v >= 0) {
          if (digits_ >= kMaxChunkSizeDigits) {
            fail("chunk size too long");
            break;
          }
          size_ = (size_ << 4) | static_cast<std::uint64_t>(v);
          ++digits_;
        } else if (digits_ == 0) {
          fail("invalid chunk size");
          break;
        } else if (c == ';') {
          ext_bytes_ = 1;
          state_ = State::Extension;
        } else if (c == ' ' || c == '\t') {
          ext_bytes_ = 1;
          state_ = State::SizeWs;
        } else if (c == '\r') {
          state_ = State::SizeLf;
        } else if (c == '\n') {
          fail("chunk size line not ended by CRLF");
          break;
        } else {
          fail("invalid chunk size");
          break;
        }
        ++i;
        break;
      }
      case State::SizeWs:
      case State::Extension: {
        if (c == '\r' && state_ == State::Extension) {
          state_ = State::SizeLf;
          ++i;
          break;
        }
        if (state_ == State::SizeWs && c != ' ' && c != '\t' && c != ';') {
          fail("invalid chunk size line");
          break;
        }
        if (!is_text(c)) {
          fail("invalid character in chunk extension");
          break;
        }
        if (++ext_bytes_ > kMaxChunkExtensionBytes) {
          fail("chunk extension too long");
          break;
        }
        if (c == ';') state_ = State::Extension;
        ++i;
        break;
      }
      case State::SizeLf:
        if (c != '\n') {
          fail("chunk size line not ended by CRLF");
          break;
        }
        ++i;
        if (size_ == 0) {
          state_ = State::TrailerStart;
        } else {
          remaining_ = size_;
          state_ = State::Data;
        }
        break;
      case State::Data: {
        std::uint64_t take = std::min<std::uint64_t>(remaining_, bytes.size() - i);
        i += static_cast<std::size_t>(take);
        remaining_ -= take;
        data_total_ += take;
        if (remaining_ == 0) state_ = State::DataCr;
        break;
      }
      case State::DataCr:
        if (c != '\r') {
          fail("chunk data not followed by CRLF");
          break;
        }
        ++i;
        state_ = State::DataLf;
        break;
      case State::DataLf:
        if (c != '\n') {
          fail("chunk data not followed by CRLF");
          break;
        }
        ++i;
        size_ = 0;
        digits_ = 0;
        ext_bytes_ = 0;
        state_ = State::Size;
        break;
      case State::TrailerStart:
      case State::TrailerName:
      case State::TrailerValue:
      case State::TrailerLf:
        if (++trailer_bytes_ > kMaxTrailerBytes) {
          fail("trailer section too large");
          break;
        }
        if (state_ == State::TrailerStart) {
          if (c == '\r') {
            state_ = State::FinalLf;
          } else if (c == ' ' || c == '\t') {
            fail("obsolete line folding (obs-fold) in trailer");
            break;
          } else if (is_tchar(c)) {
            state_ = State::TrailerName;
          } else {
            fail("invalid trailer field name");
            break;
          }
        } else if (state_ == State::TrailerName) {
          if (c == ':') {
            state_ = State::TrailerValue;
          } else if (!is_tchar(c)) {
            fail("invalid trailer field name");
            break;
          }
        } else if (state_ == State::TrailerValue) {
          if (c == '\r') {
            state_ = State::TrailerLf;
          } else if (!is_text(c)) {
            fail("invalid character in trailer field");
            break;
          }
        } else {  // TrailerLf
          if (c != '\n') {
            fail("trailer line not ended by CRLF");
            break;
          }
          state_ = State::TrailerStart;
        }
        ++i;
        break;
      case State::FinalLf:
        if (c != '\n') {
          fail("chunked body not ended by CRLF");
          break;
        }
        ++i;
        state_ = State::Done;
        break;
      case State::Done:
      case State::Error:
        break;
    }
  }
  total_ += i;
  step.consumed = i;
  step.done = state_ == State::Done;
  step.error = state_ == State::Error;
  if (step.error) step.reason = reason_;
  return step;
}

}  // namespace paddock::proxy
