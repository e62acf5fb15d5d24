#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "base/unique_fd.h"
#include "walls/layer_tenant.h"

namespace paddock {
namespace {

TEST(LayerTenant, ParsesWhatIsRecorded) {
  auto t = parse_layer_tenant("1234 987654321\n");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->pid, 1234);
  EXPECT_EQ(t->start_time, 987654321u);
  // Records are padded to one width (so each overwrites the last without a truncate).
  auto padded = parse_layer_tenant("1234 987654321                         \n");
  ASSERT_TRUE(padded.has_value());
  EXPECT_EQ(padded->start_time, 987654321u);
  for (const char* bad : {"", "\n", "1234\n", "1234 5", "0 5\n", "-1 5\n", "12 5 6\n", "a b\n",
                          "1234  5\n", "99999999999 5\n"})
    EXPECT_FALSE(parse_layer_tenant(bad).has_value()) << bad;
}

TEST(LayerTenant, StartTimeAfterAnOddCommandName) {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
  // stime cutime cstime priority nice threads itrealvalue starttime ...
  std::string stat = "42 (a) b) c) S 1 42 42 0 -1 4194560 10 0 0 0 1 2 0 0 20 0 1 0 777 1000\n";
  EXPECT_EQ(stat_start_time(stat), 777u);
  EXPECT_FALSE(stat_start_time("42 (x) S 1 2\n").has_value());
  EXPECT_FALSE(stat_start_time("no parenthesis").has_value());
}

TEST(LayerTenant, RecordsAndWaitsForALiveProcessOnly) {
  char path[] = "/tmp/paddock-tenant-XXXXXX";
  UniqueFd fd(::mkstemp(path));
  ASSERT_TRUE(fd.valid());
  ::unlink(path);
  // Nothing recorded: nothing to wait for.
  EXPECT_TRUE(wait_for_layer_tenant(fd.get(), std::chrono::milliseconds(0)));
  // Ourselves: alive, so the wait times out.
  ASSERT_TRUE(record_layer_tenant(fd.get(), ::getpid()).ok());
  EXPECT_FALSE(wait_for_layer_tenant(fd.get(), std::chrono::milliseconds(10)));
  // A recorded start time that is not ours: a reused pid, not the recorded process.
  std::string other = std::to_string(::getpid()) + " 1\n";
  ASSERT_EQ(::ftruncate(fd.get(), 0), 0);
  ASSERT_EQ(::pwrite(fd.get(), other.data(), other.size(), 0), ssize_t(other.size()));
  EXPECT_TRUE(wait_for_layer_tenant(fd.get(), std::chrono::milliseconds(10)));
  // A child that exits while we wait.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::usleep(50000);
    ::_exit(0);
  }
  ASSERT_TRUE(record_layer_tenant(fd.get(), child).ok());
  EXPECT_TRUE(wait_for_layer_tenant(fd.get(), std::chrono::seconds(5)));
  ::waitpid(child, nullptr, 0);
}

}  // namespace
}  // namespace paddock
