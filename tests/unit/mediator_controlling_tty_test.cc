#include <gtest/gtest.h>
#include <sys/sysmacros.h>

#include "base/proc_stat.h"
#include "mediator/controlling_tty.h"

namespace paddock::mediator {
namespace {

// tty_nr as /proc/PID/stat encodes it.
uint64_t tty_nr(unsigned ma, unsigned mi) {
  return (mi & 0xff) | (uint64_t(ma) << 8) | (uint64_t(mi & ~0xffu) << 12);
}

TEST(ControllingTty, NoneWithoutATerminal) {
  EXPECT_EQ(choose_controlling_tty(7, 0, 7, 0).kind, TtyChoice::Kind::None);
  EXPECT_EQ(choose_controlling_tty(7, 0, 3, tty_nr(136, 1)).kind, TtyChoice::Kind::None);
}

TEST(ControllingTty, OursOnlyInOurSession) {
  EXPECT_EQ(choose_controlling_tty(3, tty_nr(136, 1), 3, tty_nr(136, 1)).kind,
            TtyChoice::Kind::Ours);
  // Another session with a terminal of the same number (paddock's own pty under --ask, or one
  // made inside): never ours, whatever the number.
  auto c = choose_controlling_tty(9, tty_nr(136, 1), 3, tty_nr(136, 1));
  EXPECT_EQ(c.kind, TtyChoice::Kind::SandboxPty);
  EXPECT_EQ(c.pty, 1u);
}

TEST(ControllingTty, PtyNumbersAcrossMajors) {
  auto c = choose_controlling_tty(9, tty_nr(137, 4), 3, tty_nr(136, 0));
  EXPECT_EQ(c.kind, TtyChoice::Kind::SandboxPty);
  EXPECT_EQ(c.pty, 260u);
  auto wide = choose_controlling_tty(9, tty_nr(136, 300), 3, 0);  // minor above 255
  EXPECT_EQ(wide.pty, 300u);
  // A console or serial line that is not ours: nothing in the sandbox's view is it.
  EXPECT_EQ(choose_controlling_tty(9, tty_nr(4, 1), 3, tty_nr(136, 0)).kind, TtyChoice::Kind::None);
}

TEST(ControllingTty, TheNodeOfDevTty) {
  struct stat st {};
  st.st_mode = S_IFCHR | 0666;
  st.st_rdev = makedev(5, 0);
  EXPECT_TRUE(names_controlling_tty(st));
  st.st_rdev = makedev(5, 2);  // ptmx
  EXPECT_FALSE(names_controlling_tty(st));
  st.st_mode = S_IFBLK | 0666;
  st.st_rdev = makedev(5, 0);
  EXPECT_FALSE(names_controlling_tty(st));
}

TEST(ProcStat, FieldsCountedAfterTheName) {
  const std::string stat = "42 (a) b) c) S 1 42 40 34817 -1 4194560 10 0 0 0\n";
  EXPECT_EQ(proc_stat_field(stat, 4), 1u);             // ppid
  EXPECT_EQ(proc_stat_field(stat, 6), 40u);            // session
  EXPECT_EQ(proc_stat_field(stat, 7), 34817u);         // tty_nr
  EXPECT_FALSE(proc_stat_field(stat, 8).has_value());  // tpgid -1: not a number here
  EXPECT_FALSE(proc_stat_field(stat, 40).has_value());
  EXPECT_FALSE(proc_stat_field(stat, 2).has_value());
  EXPECT_FALSE(proc_stat_field("no parenthesis", 4).has_value());
}

}  // namespace
}  // namespace paddock::mediator
