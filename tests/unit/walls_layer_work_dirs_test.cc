#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "temp_dir.h"
#include "walls/overlay_mount.h"

namespace paddock {
namespace {

class LayerWorkDirs : public ::testing::Test {
 protected:
  MountPlan plan_with(const std::string& work) {
    MountPlan plan;
    MountOp op{MountOp::Kind::Overlay, "/home/u", "/home/u"};
    op.writable = true;
    op.store = store_;
    op.upper = "upper";
    op.work = work;
    plan.ops.push_back(op);
    return plan;
  }

  TempDir tmp_{"paddock-workdirs"};
  const std::string& store_ = tmp_.path();
};

TEST_F(LayerWorkDirs, MakesTheWorkDirectoryPrivately) {
  const mode_t old = ::umask(022);
  Status s = make_layer_work_dirs(plan_with("work/0123abcd/42-1.5"));
  ::umask(old);
  ASSERT_TRUE(s.ok()) << s.error().message();
  for (const char* rel : {"/work", "/work/0123abcd", "/work/0123abcd/42-1.5"}) {
    struct stat st;
    ASSERT_EQ(::lstat((store_ + rel).c_str(), &st), 0) << rel;
    EXPECT_TRUE(S_ISDIR(st.st_mode)) << rel;
    EXPECT_EQ(st.st_mode & 07777, 0700u) << rel;
  }
  // Made already (by the sandbox side, say): nothing changes, no error.
  EXPECT_TRUE(make_layer_work_dirs(plan_with("work/0123abcd/42-1.5")).ok());
  // Only overlays with a kept layer have one.
  MountPlan memory = plan_with("work/x/y");
  memory.ops[0].store.clear();
  EXPECT_TRUE(make_layer_work_dirs(memory).ok());
}

TEST_F(LayerWorkDirs, FollowsNoSymlinkOnTheWay) {
  const std::string elsewhere = store_ + "/elsewhere";
  ASSERT_EQ(::mkdir(elsewhere.c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((store_ + "/work").c_str(), 0700), 0);
  ASSERT_EQ(::symlink(elsewhere.c_str(), (store_ + "/work/0123abcd").c_str()), 0);
  Status s = make_layer_work_dirs(plan_with("work/0123abcd/42-1.5"));
  EXPECT_FALSE(s.ok());
  struct stat st;
  EXPECT_NE(::lstat((elsewhere + "/42-1.5").c_str(), &st), 0);
}

}  // namespace
}  // namespace paddock
