#pragma once
// What the user's terminal sends, as keys (--ask on the terminal, sandbox/terminal_relay.h).
// Pure: bytes and the time they arrived in, keys out.
//
// A terminal does not only send what is typed. It answers queries a program printed (device
// attributes, DECRQSS, a colour or the window title), reports the mouse and focus, and wraps a
// paste in bracketed-paste marks. Replies come back much later than the query went out (over ssh,
// a round trip), so a command could print a query, then connect, and have the terminal "type" a
// reply while paddock's question is on the screen: `ESC P 1 $ r 0 m ESC \` holds an r ("for this
// run"). So every escape sequence (7-bit ESC forms, 8-bit C1 introducers, and C1 encoded in UTF-8)
// is taken whole and yields no key, and nothing inside a bracketed paste is a key either. The
// reader is fed every byte the terminal sends, also while the bytes go to the command, so it knows
// where a sequence began even when a question comes up in its middle.
//
// A sequence that never ends (a lone Escape key press, a reply cut short) would swallow the user's
// answer: after kSequenceIdle without a byte the reader is back at ground state.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace paddock::ask {

inline constexpr std::chrono::milliseconds kSequenceIdle{1000};

struct TerminalKey {
  enum class Kind {
    Char,       // printable ASCII, in `ch`
    Interrupt,  // Ctrl-C (0x03)
    Other,      // anything else: a control character, a non-ASCII character, a whole sequence
  };
  Kind kind = Kind::Other;
  char ch = 0;

  bool operator==(const TerminalKey&) const = default;
};

class TerminalKeyReader {
 public:
  using Clock = std::chrono::steady_clock;

  // The keys among `bytes`, in order. Sequences yield none, whole (an arrow key, Alt and a key,
  // a terminal's reply), and neither does anything inside a paste.
  std::vector<TerminalKey> feed(std::string_view bytes, Clock::time_point now);

  bool at_ground() const { return state_ == State::Ground && !in_paste_; }

 private:
  enum class State {
    Ground,
    Escape,        // after ESC
    EscapeInter,   // ESC then intermediates (0x20-0x2f), until a final byte
    Csi,           // control sequence: parameters and intermediates until a final byte
    Ss3,           // ESC O: one more byte
    String,        // DCS, OSC, SOS, PM, APC: until BEL or ST
    StringEscape,  // ESC inside a string: `\` ends it
    Utf8,          // inside a multi-byte UTF-8 character
  };
  void byte(unsigned char b, std::vector<TerminalKey>& out);
  void ground(unsigned char b, std::vector<TerminalKey>& out);
  // A C1 control (0x80-0x9f), raw or decoded from UTF-8.
  void c1(unsigned char b);
  void key(TerminalKey k, std::vector<TerminalKey>& out) const;
  void end_sequence();

  State state_ = State::Ground;
  bool in_paste_ = false;
  std::string params_;  // of the CSI under way (only its first bytes: enough for 200~ and 201~)
  unsigned utf8_left_ = 0;
  unsigned char utf8_lead_ = 0;
  bool seen_ = false;
  Clock::time_point last_{};
};

}  // namespace paddock::ask
