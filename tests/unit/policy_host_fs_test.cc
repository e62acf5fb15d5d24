#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "policy/host_fs.h"
#include "temp_dir.h"

namespace paddock {
namespace {

namespace fs = std::filesystem;

class PolicyHostFs : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root_ + "/.git/hooks");
    std::ofstream(root_ + "/.bashrc") << "x";
    std::ofstream(root_ + "/.git/config") << "x";
    fs::create_symlink("nowhere", root_ + "/.envrc");
    fs::create_directory(root_ + "/.vscode");
  }
  // What a lookup per name says: the answer types_in must give, whichever way it reads.
  std::vector<EntryType> one_by_one(const std::vector<std::string>& names) {
    std::vector<EntryType> out;
    for (const auto& n : names) out.push_back(real_host_fs().type(root_ + "/" + n));
    return out;
  }
  TempDir tmp_{"paddock-hostfs"};
  const std::string root_ = tmp_.path();
  const std::vector<std::string> names_ = {".bashrc",    ".git",        ".git/hooks", ".git/config",
                                           ".git/nope",  ".envrc",      ".vscode",    ".missing",
                                           ".missing/x", ".bashrc/sub", ".profile"};
};

TEST_F(PolicyHostFs, TypesInASmallDirectoryMatchLookups) {
  auto got = real_host_fs().types_in(root_, names_);
  EXPECT_EQ(got, one_by_one(names_));
  EXPECT_EQ(got[0], EntryType::File);
  EXPECT_EQ(got[1], EntryType::Dir);
  EXPECT_EQ(got[2], EntryType::Dir);
  EXPECT_EQ(got[3], EntryType::File);
  EXPECT_EQ(got[5], EntryType::Symlink);
  EXPECT_EQ(got[7], EntryType::Missing);
}

TEST_F(PolicyHostFs, TypesInALargeDirectoryMatchLookups) {
  // Past the size where the directory is read whole: looked up name by name instead.
  for (int i = 0; i < 3000; ++i)
    std::ofstream(root_ + "/filler-with-a-long-name-" + std::to_string(i));
  EXPECT_EQ(real_host_fs().types_in(root_, names_), one_by_one(names_));
}

TEST_F(PolicyHostFs, ListedTypesMatchLookups) {
  int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::string sp = root_ + "/agent.sock";
  ASSERT_LT(sp.size(), sizeof a.sun_path);
  std::memcpy(a.sun_path, sp.c_str(), sp.size() + 1);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  auto entries = real_host_fs().list(root_);
  ::close(sock);
  ASSERT_EQ(entries.size(), 5u);  // .bashrc .envrc .git .vscode agent.sock, and nothing else
  for (const auto& e : entries)
    EXPECT_EQ(e.type, real_host_fs().type(root_ + "/" + e.name)) << e.name;
}

TEST_F(PolicyHostFs, TypesInAMissingDirectoryAreMissing) {
  auto got = real_host_fs().types_in(root_ + "/.missing", {"a", "b/c"});
  EXPECT_EQ(got, (std::vector<EntryType>{EntryType::Missing, EntryType::Missing}));
}

TEST(PolicyHostFsMounts, ParsedFromMountinfo) {
  const char* text =
      "22 27 0:21 / /proc rw,relatime shared:13 - proc proc rw\n"
      "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
      "118 27 0:54 / /root/my\\040disk rw,relatime - tmpfs tmpfs rw\n"
      "119 27 0:55 / /home/u/a\\134b\\011c rw - tmpfs tmpfs rw\n"
      "120 27 0:56 / /proc rw - proc proc rw\n"
      "garbage\n"
      "121 27 0:57 /sub /mnt/x\\04 rw - tmpfs tmpfs rw";
  EXPECT_EQ(
      parse_mount_points(text),
      (std::vector<std::string>{"/", "/home/u/a\\b\tc", "/mnt/x\\04", "/proc", "/root/my disk"}));
  EXPECT_TRUE(parse_mount_points("").empty());
}

TEST(PolicyHostFsMounts, RealOnesIncludeTheRoot) {
  std::vector<std::string> m = real_host_fs().mount_points();
  EXPECT_TRUE(std::binary_search(m.begin(), m.end(), "/"));
  EXPECT_TRUE(std::is_sorted(m.begin(), m.end()));
}

}  // namespace
}  // namespace paddock
