#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/process_end.h"

namespace paddock {
namespace {

// A process ending through end_process(): its status reaches the parent, what it printed is
// flushed, and nothing it held is still held once its exit is reported, although a helper holds
// its memory a moment longer.
TEST(ProcessEnd, ReleasesEverythingBeforeTheExitIsReported) {
  char path[] = "/tmp/paddock-process-end-XXXXXX";
  int lock_file = ::mkstemp(path);
  ASSERT_GE(lock_file, 0);
  ::close(lock_file);
  for (int round = 0; round < 20; ++round) {
    int out[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      int fd = ::open(path, O_RDWR | O_CLOEXEC);
      if (fd < 0 || ::flock(fd, LOCK_EX) != 0 || ::dup2(out[1], 1) != 1) ::_exit(99);
      std::printf("buffered %d", round);  // left in stdio's buffer: end_process flushes it
      end_process(7);
    }
    ::close(out[1]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 7);
    int fd = ::open(path, O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0) << "the lock outlived the exit, round " << round;
    ::close(fd);
    std::string text;
    char buf[64];
    ssize_t n;
    while ((n = ::read(out[0], buf, sizeof buf)) > 0) text.append(buf, size_t(n));
    ::close(out[0]);
    EXPECT_EQ(text, "buffered " + std::to_string(round));
  }
  ::unlink(path);
}

}  // namespace
}  // namespace paddock
