#include <gtest/gtest.h>

#include "ask/terminal_keys.h"

namespace paddock::ask {
namespace {

using Clock = TerminalKeyReader::Clock;
using namespace std::chrono_literals;
using K = TerminalKey::Kind;

TerminalKey ch(char c) {
  return TerminalKey{K::Char, c};
}
const TerminalKey kOther{};
const TerminalKey kInterrupt{K::Interrupt, 0};

struct Reader : ::testing::Test {
  std::vector<TerminalKey> feed(std::string_view bytes, std::chrono::milliseconds after = 0ms) {
    now += after;
    return r.feed(bytes, now);
  }
  // The printable keys of `bytes`, as a string.
  std::string chars(std::string_view bytes, std::chrono::milliseconds after = 0ms) {
    std::string out;
    for (const auto& k : feed(bytes, after))
      if (k.kind == K::Char) out += k.ch;
    return out;
  }
  TerminalKeyReader r;
  Clock::time_point now = Clock::now();
};

TEST_F(Reader, PrintableKeysAndCtrlC) {
  EXPECT_EQ(feed("a"), std::vector<TerminalKey>{ch('a')});
  EXPECT_EQ(feed("\x03"), std::vector<TerminalKey>{kInterrupt});
  EXPECT_EQ(feed("R\r"), (std::vector<TerminalKey>{ch('R'), kOther}));
  EXPECT_EQ(feed("\x7f"), std::vector<TerminalKey>{kOther});
  EXPECT_TRUE(r.at_ground());
}

TEST_F(Reader, NonAsciiCharactersAreOneOtherKey) {
  EXPECT_EQ(feed("\xc3\xa9"), std::vector<TerminalKey>{kOther});          // é
  EXPECT_EQ(feed("\xe2\x82\xac"), std::vector<TerminalKey>{kOther});      // €
  EXPECT_EQ(feed("\xf0\x9f\x98\x80"), std::vector<TerminalKey>{kOther});  // an emoji
  EXPECT_EQ(feed("\xc3\x9b"
                 "a"),
            (std::vector<TerminalKey>{kOther, ch('a')}));  // Û: 0x9b inside
  EXPECT_EQ(feed("\xc3"
                 "a"),
            (std::vector<TerminalKey>{kOther, ch('a')}));  // cut short
  EXPECT_EQ(feed("\xff"), std::vector<TerminalKey>{kOther});
}

// Replies a terminal sends on its own, after a program printed the query: none is a key.
TEST_F(Reader, TerminalRepliesYieldNoKeys) {
  for (std::string_view reply : {
           std::string_view("\x1b[?64;1;2;6;22c"),              // device attributes
           std::string_view("\x1b[>41;371;0c"),                 // secondary device attributes
           std::string_view("\x1bP1$r0m\x1b\\"),                // DECRQSS: holds an "r"
           std::string_view("\x1bP>|XTerm(371)\x1b\\"),         // XTVERSION
           std::string_view("\x1b]11;rgb:0000/0000/0000\x07"),  // a colour, BEL-terminated
           std::string_view("\x1b]l"
                            "read all\x1b\\"),  // the window title: "read all"
           std::string_view("\x1b[12;40R"),     // cursor position
           std::string_view("\x1b[<0;12;5M"),   // an SGR mouse report
           std::string_view("\x1b[I"),          // focus in
           std::string_view("\x1bOA"),          // an arrow key
           std::string_view("\x9b"
                            "1;1R"),  // 8-bit CSI
           std::string_view("\x90"
                            "1$r0m\x9c"),  // 8-bit DCS and ST
           std::string_view("\xc2\x9b"
                            "1;1R"),  // C1 CSI in UTF-8
           std::string_view("\xc2\x90"
                            "1$r0m\xc2\x9c"),  // C1 DCS and ST in UTF-8
       }) {
    EXPECT_EQ(feed(reply), std::vector<TerminalKey>{})
        << testing::PrintToString(std::string(reply));
    EXPECT_TRUE(r.at_ground()) << testing::PrintToString(std::string(reply));
  }
}

TEST_F(Reader, ASequenceSplitAcrossReadsStaysWhole) {
  // The question appeared between the two halves of a reply.
  EXPECT_EQ(chars("\x1bP1$"), "");
  EXPECT_FALSE(r.at_ground());
  EXPECT_EQ(chars("r0m\x1b\\", 20ms), "");
  EXPECT_TRUE(r.at_ground());
  EXPECT_EQ(chars("\x1b]l"
                  "a title \xc3"),
            "");
  EXPECT_EQ(chars("\x9c"
                  "ra\x1b\\o",
                  20ms),
            "o");  // Ü is a character of the title, not ST
}

TEST_F(Reader, BracketedPasteYieldsNoKeys) {
  EXPECT_EQ(feed("\x1b[200~rm -rf a\ro\x1b[201~"), std::vector<TerminalKey>{});
  EXPECT_EQ(chars("\x1b[200~ab"), "");
  EXPECT_EQ(chars("cd", 10ms), "");
  EXPECT_EQ(chars("\x1b[201~d", 10ms), "d");
}

TEST_F(Reader, AnUnfinishedSequenceEndsWhenTheTerminalFallsSilent) {
  EXPECT_EQ(feed("\x1b"), std::vector<TerminalKey>{});  // the Escape key, alone
  EXPECT_EQ(chars("o", kSequenceIdle), "o");
  EXPECT_EQ(chars("\x1b]unterminated"), "");
  EXPECT_EQ(chars("d", 100ms), "");  // still inside
  EXPECT_EQ(chars("d", kSequenceIdle), "d");
  EXPECT_EQ(chars("\x1b[200~never ended"), "");
  EXPECT_EQ(chars("a", kSequenceIdle), "a");
}

TEST_F(Reader, EscapeThenAKeyIsAltAndNotTheKey) {
  EXPECT_EQ(feed("\x1bo"), std::vector<TerminalKey>{});
  EXPECT_EQ(feed("\x1b\x1b"
                 "a"),
            std::vector<TerminalKey>{});
  EXPECT_EQ(feed("\x1b(B"), std::vector<TerminalKey>{});  // a charset designation
  EXPECT_EQ(feed("\x1b[A"), std::vector<TerminalKey>{});  // an arrow key
  EXPECT_TRUE(r.at_ground());
}

TEST_F(Reader, CancelledSequencesAndANewEscapeInside) {
  EXPECT_EQ(chars("\x1b[12\x18"
                  "a"),
            "a");  // CAN ends it
  EXPECT_EQ(chars("\x1b]0;x\x1a"
                  "d"),
            "d");                               // SUB too
  EXPECT_EQ(chars("\x1b]0;x\x1b[1;2Ha"), "a");  // a string cut by another sequence
}

TEST_F(Reader, CtrlCInsideASequenceIsNotAKey) {
  // A window title may hold control characters; its report must not deny either.
  EXPECT_EQ(feed("\x1b]l\x03\x1b\\"), std::vector<TerminalKey>{});
}

}  // namespace
}  // namespace paddock::ask
