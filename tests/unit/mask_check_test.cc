#include "policy/mask_check.h"

#include <dirent.h>
#include <gtest/gtest.h>

namespace paddock {
namespace {

using K = MaskEntry::Kind;

MaskRecipe recipe() {
  MaskRecipe r;
  r.root_mode = 0700;
  r.entries = {{K::Whiteout, ".ssh", 0},          {K::Dir, ".config", 0755},
               {K::Whiteout, ".config/gh", 0},    {K::OpaqueDir, ".config/priv", 0750},
               {K::File, ".config/priv/f", 0644}, {K::Whiteout, ".aws", 0}};
  return r;
}

TEST(MaskDirectories, RootFirstThenEveryDirectoryWithItsChildrenByName) {
  auto dirs = mask_directories(recipe());
  ASSERT_EQ(dirs.size(), 3u);
  EXPECT_EQ(dirs[0].rel, "");
  EXPECT_EQ(dirs[0].mode, 0700u);
  EXPECT_FALSE(dirs[0].opaque);
  using C = std::vector<std::pair<std::string, K>>;
  EXPECT_EQ(dirs[0].children,
            (C{{".aws", K::Whiteout}, {".config", K::Dir}, {".ssh", K::Whiteout}}));
  EXPECT_EQ(dirs[1].rel, ".config");
  EXPECT_EQ(dirs[1].mode, 0755u);
  EXPECT_EQ(dirs[1].children, (C{{"gh", K::Whiteout}, {"priv", K::OpaqueDir}}));
  EXPECT_EQ(dirs[2].rel, ".config/priv");
  EXPECT_TRUE(dirs[2].opaque);
  // Where each is: its parent's position and its name there.
  EXPECT_EQ(dirs[0].parent, kNoParent);
  EXPECT_EQ(dirs[1].parent, 0u);
  EXPECT_EQ(dirs[1].name, ".config");
  EXPECT_EQ(dirs[2].parent, 1u);
  EXPECT_EQ(dirs[2].name, "priv");
  EXPECT_EQ(dirs[2].children, (C{{"f", K::File}}));
}

TEST(MismatchedListing, ExactlyTheRecipeOrWhyNot) {
  const std::vector<std::pair<std::string, K>> children = {
      {".aws", K::Whiteout}, {".config", K::Dir}, {"f", K::File}};
  const ino_t wh = 42;
  std::vector<ListedEntry> good = {{"f", DT_REG, 7}, {".config", DT_DIR, 9}, {".aws", DT_CHR, wh}};
  EXPECT_EQ(mismatched_listing(good, children, wh), std::nullopt);

  auto missing = good;
  missing.pop_back();  // no .aws: the secret would show
  EXPECT_NE(mismatched_listing(missing, children, wh), std::nullopt);

  auto extra = good;
  extra.push_back({".bashrc", DT_REG, 11});
  EXPECT_NE(mismatched_listing(extra, children, wh), std::nullopt);

  auto not_linked = good;
  not_linked[2].ino = 43;  // a character device, but not a link to the template
  EXPECT_NE(mismatched_listing(not_linked, children, wh), std::nullopt);

  auto file_for_whiteout = good;
  file_for_whiteout[2].type = DT_REG;
  EXPECT_NE(mismatched_listing(file_for_whiteout, children, wh), std::nullopt);

  auto symlink_for_dir = good;
  symlink_for_dir[1].type = DT_LNK;
  EXPECT_NE(mismatched_listing(symlink_for_dir, children, wh), std::nullopt);

  EXPECT_EQ(mismatched_listing({}, {}, wh), std::nullopt);
  EXPECT_NE(mismatched_listing({}, children, wh), std::nullopt);
}

}  // namespace
}  // namespace paddock
