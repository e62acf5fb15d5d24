#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "policy/home_layer.h"
#include "temp_dir.h"
#include "walls/home_store.h"
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

ino_t inode_of(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST_F(LayerWorkDirs, TakesTheSpareMadeAheadByTheRunBefore) {
  const std::string dir = store_ + "/work/0123abcd";
  const std::string spare = dir + "/" + kSpareWorkName;
  // A umask that would leave a work directory unusable: the spare is 0700 all the same.
  const mode_t old = ::umask(0277);
  Status made = make_spare_work_dirs(plan_with("work/0123abcd/42-1.5"));
  ::umask(old);
  ASSERT_TRUE(made.ok()) << made.error().message();
  struct stat st;
  ASSERT_EQ(::lstat(spare.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  const ino_t spare_inode = st.st_ino;
  // Made again (a spare there already): kept, no error.
  ASSERT_TRUE(make_spare_work_dirs(plan_with("work/0123abcd/42-1.5")).ok());
  EXPECT_EQ(inode_of(spare), spare_inode);

  ASSERT_TRUE(make_layer_work_dirs(plan_with("work/0123abcd/43-2.5")).ok());
  EXPECT_EQ(inode_of(dir + "/43-2.5"), spare_inode);
  EXPECT_EQ(inode_of(spare), 0u);
  // Without a spare the next one is made as before.
  ASSERT_TRUE(make_layer_work_dirs(plan_with("work/0123abcd/44-3.5")).ok());
  ASSERT_EQ(::lstat((dir + "/44-3.5").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST_F(LayerWorkDirs, AnExistingWorkDirectoryKeepsTheSpare) {
  const std::string dir = store_ + "/work/0123abcd";
  ASSERT_TRUE(make_layer_work_dirs(plan_with("work/0123abcd/42-1.5")).ok());
  const ino_t run_inode = inode_of(dir + "/42-1.5");
  ASSERT_TRUE(make_spare_work_dirs(plan_with("work/0123abcd/42-1.5")).ok());
  const ino_t spare_inode = inode_of(dir + "/" + kSpareWorkName);
  ASSERT_NE(spare_inode, 0u);
  // The sandbox side opens the work directory the supervisor made: the spare is not taken.
  ASSERT_TRUE(make_layer_work_dirs(plan_with("work/0123abcd/42-1.5")).ok());
  EXPECT_EQ(inode_of(dir + "/42-1.5"), run_inode);
  EXPECT_EQ(inode_of(dir + "/" + kSpareWorkName), spare_inode);
}

TEST_F(LayerWorkDirs, ASpareThatIsASymlinkIsNeverFollowed) {
  const std::string elsewhere = store_ + "/elsewhere";
  const std::string dir = store_ + "/work/0123abcd";
  ASSERT_EQ(::mkdir(elsewhere.c_str(), 0700), 0);
  std::filesystem::create_directories(dir);
  ASSERT_EQ(::symlink(elsewhere.c_str(), (dir + "/" + kSpareWorkName).c_str()), 0);
  EXPECT_FALSE(make_layer_work_dirs(plan_with("work/0123abcd/42-1.5")).ok());
  struct stat st;
  ASSERT_EQ(::lstat(elsewhere.c_str(), &st), 0);
  EXPECT_TRUE(std::filesystem::is_empty(elsewhere));
}

TEST_F(LayerWorkDirs, TheSweepOfEarlierRunsKeepsTheSpare) {
  const std::string dir = store_ + "/work/0123abcd";
  for (const char* run : {"40-1.5", "41-1.5", "42-1.5"})
    ASSERT_TRUE(make_layer_work_dirs(plan_with(std::string("work/0123abcd/") + run)).ok());
  ASSERT_TRUE(make_spare_work_dirs(plan_with("work/0123abcd/42-1.5")).ok());
  EXPECT_EQ(count_stale_work(store_, "42-1.5"), 2u);
  Status s = discard_stale_work(store_, "42-1.5");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(count_stale_work(store_, "42-1.5"), 0u);
  EXPECT_NE(inode_of(dir + "/42-1.5"), 0u);
  EXPECT_NE(inode_of(dir + "/" + kSpareWorkName), 0u);
  EXPECT_EQ(inode_of(dir + "/40-1.5"), 0u);
}

}  // namespace
}  // namespace paddock
