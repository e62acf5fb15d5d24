#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "temp_dir.h"
#include "walls/overlay_mount.h"

namespace paddock {
namespace {

// make_masks() in a plain directory standing in for the masks' tmpfs (whiteouts need no
// privilege since Linux 5.8).
class Masks : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ + "/home/.config");
    std::filesystem::create_directories(dir_ + "/etc");
    std::filesystem::create_directories(dir_ + "/masks");
    masks_ = ::open((dir_ + "/masks").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(masks_, 0);
  }
  void TearDown() override { ::close(masks_); }

  MountPlan plan() const {
    MountPlan p;
    for (const char* hidden : {"/h/.ssh", "/h/.config/gh", "/h/.netrc"})
      p.ops.push_back({MountOp::Kind::Whiteout, hidden, "/h"});
    MountOp home{MountOp::Kind::Overlay, "/h", dir_ + "/home"};
    home.writable = true;
    p.ops.push_back(home);
    p.ops.push_back({MountOp::Kind::Whiteout, "/e/shadow", "/e"});
    p.ops.push_back({MountOp::Kind::Overlay, "/e", dir_ + "/etc"});
    return p;
  }

  struct stat lstat_of(const std::string& rel) const {
    struct stat st {};
    EXPECT_EQ(::lstat((dir_ + "/masks/" + rel).c_str(), &st), 0) << rel;
    return st;
  }

  TempDir tmp_{"paddock-masks"};
  const std::string& dir_ = tmp_.path();
  int masks_ = -1;
};

TEST_F(Masks, WhiteoutsAreLinksToOneOutsideEveryLayer) {
  ASSERT_TRUE(make_masks(plan(), masks_).ok());
  const struct stat tmpl = lstat_of("whiteout");
  ASSERT_TRUE(S_ISCHR(tmpl.st_mode));
  EXPECT_EQ(tmpl.st_rdev, makedev(0, 0));
  for (const char* rel : {"mask-1/.ssh", "mask-1/.config/gh", "mask-1/.netrc", "mask-2/shadow"}) {
    const struct stat st = lstat_of(rel);
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << rel;
    EXPECT_EQ(st.st_rdev, makedev(0, 0)) << rel;
    EXPECT_EQ(st.st_ino, tmpl.st_ino) << rel;
  }
  EXPECT_EQ(tmpl.st_nlink, 5U);
  // The template is in no layer: an overlay would hide a host entry of that name.
  for (const char* layer : {"mask-1", "mask-2"})
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/masks/" + layer + "/whiteout")) << layer;
  EXPECT_TRUE(S_ISDIR(lstat_of("mask-1/.config").st_mode));
}

TEST_F(Masks, RefusesATemplateThatIsNotAWhiteout) {
  std::ofstream(dir_ + "/masks/whiteout") << "not a whiteout";
  auto made = make_masks(plan(), masks_);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message().find("whiteout"), std::string::npos) << made.error().message();
}

}  // namespace
}  // namespace paddock
