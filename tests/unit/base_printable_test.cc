#include <gtest/gtest.h>

#include "base/printable.h"

namespace paddock {
namespace {

TEST(Printable, PlainTextUnchanged) {
  EXPECT_EQ(printable("/home/u/proj/.git/hooks/x"), "/home/u/proj/.git/hooks/x");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\x8e"),
            "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\x8e");
}

TEST(Printable, ForgedLinesAndEscapesNeutralised) {
  // The audit's spelling: a newline forging a paddock line, then "conceal" (ESC [8m).
  std::string evil = ".git/hooks/x\npaddock: note: all writes succeeded\x1b[8m";
  std::string out = printable(evil);
  EXPECT_EQ(out, ".git/hooks/x\\npaddock: note: all writes succeeded\\x1b[8m");
  for (unsigned char c : out) EXPECT_GE(c, 0x20);
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(printable("a\rb\tc\x7f"), "a\\rb\\tc\\x7f");
  EXPECT_EQ(printable("back\\slash"), "back\\\\slash");
}

TEST(Printable, InvalidUtf8AndC1ControlsEscaped) {
  EXPECT_EQ(printable("\xff"), "\\xff");
  EXPECT_EQ(printable("\xc2\x9b"
                      "31m"),
            "\\xc2\\x9b31m");                               // U+009B, an 8-bit CSI
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(printable("\xe2\x80\xae"
                      "evil"),
            "\\xe2\\x80\\xaeevil");                // right-to-left override
  EXPECT_EQ(printable("\xe2\x80"), "\\xe2\\x80");  // truncated sequence
}

}  // namespace
}  // namespace paddock
