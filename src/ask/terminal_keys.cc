#include "ask/terminal_keys.h"

namespace paddock::ask {

namespace {

constexpr unsigned char kEsc = 0x1b;
constexpr unsigned char kBel = 0x07;
constexpr unsigned char kCan = 0x18;  // CAN and SUB cancel a sequence
constexpr unsigned char kSub = 0x1a;
constexpr unsigned char kCtrlC = 0x03;
constexpr unsigned char kC1Csi = 0x9b;
constexpr unsigned char kC1St = 0x9c;
constexpr unsigned char kC1Ss3 = 0x8f;
constexpr std::size_t kMaxParams = 8;

bool is_final(unsigned char b) {
  return b >= 0x40 && b <= 0x7e;
}
bool is_intermediate(unsigned char b) {
  return b >= 0x20 && b <= 0x2f;
}
bool is_continuation(unsigned char b) {
  return b >= 0x80 && b <= 0xbf;
}
// Continuation bytes after a UTF-8 lead byte; 0 for bytes that lead nothing.
unsigned utf8_tail(unsigned char b) {
  if (b >= 0xc2 && b <= 0xdf) return 1;
  if (b >= 0xe0 && b <= 0xef) return 2;
  if (b >= 0xf0 && b <= 0xf4) return 3;
  return 0;
}
// DCS, SOS, OSC, PM, APC: the C1 controls that open a string.
bool opens_string_c1(unsigned char b) {
  return b == 0x90 || b == 0x98 || b == 0x9d || b == 0x9e || b == 0x9f;
}

}  // namespace

std::vector<TerminalKey> TerminalKeyReader::feed(std::string_view bytes, Clock::time_point now) {
  if (seen_ && now - last_ >= kSequenceIdle) {
    state_ = State::Ground;
    in_paste_ = false;
    utf8_left_ = 0;
  }
  seen_ = true;
  last_ = now;
  std::vector<TerminalKey> out;
  for (char c : bytes) byte(static_cast<unsigned char>(c), out);
  return out;
}

void TerminalKeyReader::key(TerminalKey k, std::vector<TerminalKey>& out) const {
  if (!in_paste_) out.push_back(k);
}

void TerminalKeyReader::end_sequence() {
  state_ = State::Ground;
}

void TerminalKeyReader::c1(unsigned char b) {
  if (b == kC1Csi) {
    state_ = State::Csi;
    params_.clear();
  } else if (opens_string_c1(b)) {
    state_ = State::String;
    utf8_left_ = 0;
  } else if (b == kC1Ss3) {
    state_ = State::Ss3;
  } else {
    state_ = State::Ground;  // a C1 control of no consequence here
  }
}

void TerminalKeyReader::ground(unsigned char b, std::vector<TerminalKey>& out) {
  state_ = State::Ground;
  if (b == kEsc) {
    state_ = State::Escape;
  } else if (b == kCtrlC) {
    key(TerminalKey{TerminalKey::Kind::Interrupt, 0}, out);
  } else if (b >= 0x20 && b <= 0x7e) {
    key(TerminalKey{TerminalKey::Kind::Char, static_cast<char>(b)}, out);
  } else if (b >= 0x80 && b <= 0x9f) {
    c1(b);
  } else if (unsigned n = utf8_tail(b); n != 0) {
    state_ = State::Utf8;
    utf8_left_ = n;
    utf8_lead_ = b;
  } else {
    key(TerminalKey{}, out);  // other C0 controls, DEL, bytes that are never UTF-8
  }
}

void TerminalKeyReader::byte(unsigned char b, std::vector<TerminalKey>& out) {
  switch (state_) {
    case State::Ground:
      ground(b, out);
      return;
    case State::Utf8:
      if (!is_continuation(b)) {
        key(TerminalKey{}, out);  // the character was cut short
        ground(b, out);
        return;
      }
      if (utf8_lead_ == 0xc2 && b <= 0x9f) {  // a C1 control, UTF-8 encoded
        c1(b);
        return;
      }
      utf8_lead_ = 0;
      if (--utf8_left_ == 0) {
        state_ = State::Ground;
        key(TerminalKey{}, out);  // a character that is not ASCII
      }
      return;
    case State::Escape:
      if (b == '[') {
        state_ = State::Csi;
        params_.clear();
      } else if (b == ']' || b == 'P' || b == 'X' || b == '^' || b == '_') {
        state_ = State::String;
        utf8_left_ = 0;
      } else if (b == 'O') {
        state_ = State::Ss3;
      } else if (is_intermediate(b)) {
        state_ = State::EscapeInter;
      } else if (b == kEsc) {
        // The first ESC was the Escape key on its own.
      } else if (b == kCan || b == kSub) {
        state_ = State::Ground;
      } else if (b >= 0x30 && b <= 0x7f) {
        end_sequence();  // ESC 7, ESC =, Alt and a key
      } else {
        end_sequence();
        ground(b, out);
      }
      return;
    case State::EscapeInter:
      if (is_intermediate(b)) return;
      if (b == kEsc) {
        state_ = State::Escape;
      } else if (b == kCan || b == kSub) {
        state_ = State::Ground;
      } else if (b >= 0x30 && b <= 0x7e) {
        end_sequence();
      } else if (b >= 0x80) {
        end_sequence();
        ground(b, out);
      }
      return;
    case State::Csi:
      if ((b >= 0x30 && b <= 0x3f) || is_intermediate(b)) {
        if (params_.size() < kMaxParams) params_.push_back(static_cast<char>(b));
      } else if (is_final(b)) {
        state_ = State::Ground;
        if (b == '~' && params_ == "200") {
          in_paste_ = true;
        } else if (b == '~' && params_ == "201") {
          in_paste_ = false;
        }
      } else if (b == kEsc) {
        state_ = State::Escape;
      } else if (b == kCan || b == kSub) {
        state_ = State::Ground;
      } else if (b >= 0x80) {
        end_sequence();
        ground(b, out);
      }
      // Other C0 controls inside a sequence are carried out by a terminal, not typed: ignored.
      return;
    case State::Ss3:
      if (b == kEsc) {
        state_ = State::Escape;
      } else {
        end_sequence();
      }
      return;
    case State::String:
      // A string holds UTF-8 text (a window title): a continuation byte 0x9c is part of a
      // character there, not the C1 terminator.
      if (utf8_left_ != 0 && is_continuation(b)) {
        if (utf8_lead_ == 0xc2 && b == kC1St) {
          end_sequence();
          return;
        }
        utf8_lead_ = 0;
        --utf8_left_;
        return;
      }
      utf8_left_ = 0;
      if (b == kBel || b == kC1St) {
        end_sequence();
      } else if (b == kEsc) {
        state_ = State::StringEscape;
      } else if (b == kCan || b == kSub) {
        state_ = State::Ground;
      } else if (unsigned n = utf8_tail(b); n != 0) {
        utf8_left_ = n;
        utf8_lead_ = b;
      }
      return;
    case State::StringEscape:
      if (b == '\\') {
        end_sequence();
        return;
      }
      // The ESC began another sequence: the string was cut short.
      state_ = State::Escape;
      byte(b, out);
      return;
  }
}

}  // namespace paddock::ask
