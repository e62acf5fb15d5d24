#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "walls/identity.h"

namespace paddock {
namespace {

TEST(PidfdInfoPid, ReadsThePidLine) {
  EXPECT_EQ(pidfd_info_pid("pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1057\nPid:\t4242\n"
                           "NSpid:\t4242\t1\n"),
            4242);
  EXPECT_EQ(pidfd_info_pid("Pid: 7"), 7);
}

TEST(PidfdInfoPid, RefusesWhatNamesNoProcessOfThisProc) {
  // -1: gone, or not in the pid namespace of the /proc that was read; 0 likewise.
  EXPECT_FALSE(pidfd_info_pid("pos:\t0\nPid:\t-1\nNSpid:\t-1\n").has_value());
  EXPECT_FALSE(pidfd_info_pid("Pid:\t0\n").has_value());
  EXPECT_FALSE(pidfd_info_pid("pos:\t0\nflags:\t02\n").has_value());
  EXPECT_FALSE(pidfd_info_pid("NSpid:\t12\n").has_value());
  EXPECT_FALSE(pidfd_info_pid("Pid:\t12x\n").has_value());
  EXPECT_FALSE(pidfd_info_pid("Pid:\t\n").has_value());
  EXPECT_FALSE(pidfd_info_pid("Pid:\t99999999999999\n").has_value());
}

TEST(PidfdInfoPid, TheKernelsTextForAChildNamesIt) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
  ASSERT_GE(pidfd, 0);
  char text[512];
  const std::string path = "/proc/self/fdinfo/" + std::to_string(pidfd);
  FILE* f = std::fopen(path.c_str(), "re");
  ASSERT_NE(f, nullptr);
  size_t n = std::fread(text, 1, sizeof text, f);
  std::fclose(f);
  EXPECT_EQ(pidfd_info_pid(std::string_view(text, n)), child);
  ::close(pidfd);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

}  // namespace
}  // namespace paddock
