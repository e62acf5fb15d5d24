#include "walls/dir_spread.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <optional>

#include "base/unique_fd.h"
#include "temp_dir.h"

namespace paddock {
namespace {

long fs_type(const std::string& path) {
  struct statfs s {};
  EXPECT_EQ(::statfs(path.c_str(), &s), 0) << path;
  return static_cast<long>(s.f_type);
}

std::optional<int> flags_of(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  int flags = 0;
  if (!fd.valid() || ::ioctl(fd.get(), FS_IOC_GETFLAGS, &flags) != 0) return std::nullopt;
  return flags;
}

TEST(DirSpread, SetsTheTopDirFlagOnExt4AndKeepsTheOthers) {
  TempDir t;
  if (fs_type(t.path()) != EXT4_SUPER_MAGIC) GTEST_SKIP() << t.path() << " is not on ext4";
  auto before = flags_of(t.path());
  ASSERT_TRUE(before.has_value());
  ASSERT_EQ(*before & FS_TOPDIR_FL, 0);
  UniqueFd dir(::open(t.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));  // as the store's
  auto r = spread_subdirectories(dir.get(), t.path());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, SpreadHint::Set);
  EXPECT_EQ(flags_of(t.path()), *before | FS_TOPDIR_FL);
  // Set already: nothing changes.
  auto again = spread_subdirectories(dir.get(), t.path());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, SpreadHint::Set);
  EXPECT_EQ(flags_of(t.path()), *before | FS_TOPDIR_FL);
}

TEST(DirSpread, AFilesystemWithoutTheHintIsNoError) {
  const std::string shm = "/dev/shm";
  if (::access(shm.c_str(), W_OK) != 0 || fs_type(shm) != TMPFS_MAGIC)
    GTEST_SKIP() << "no writable tmpfs at " << shm;
  std::string dir = shm + "/paddock-spread-XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  auto before = flags_of(dir);
  UniqueFd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  auto r = spread_subdirectories(fd.get(), dir);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, SpreadHint::Unsupported);
  EXPECT_EQ(flags_of(dir), before);  // unchanged, or unreadable both times
  ::rmdir(dir.c_str());
}

TEST(DirSpread, ADirectoryThatCannotBeOpenedIsAnErrorNamingIt) {
  auto r = spread_subdirectories(-1, "/the/store/work");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("/the/store/work"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace paddock
