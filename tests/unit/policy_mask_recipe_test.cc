#include <gtest/gtest.h>

#include <map>

#include "policy/mask_recipe.h"

namespace paddock {
namespace {

using K = MaskEntry::Kind;

MountOp step(MountOp::Kind k, std::string path) {
  return {k, std::move(path), "/home/u", false};
}

// The host's directories beneath /home/u, by path relative to it, with their modes.
LowerDirMode host(std::map<std::string, mode_t> dirs) {
  return [dirs](const std::string& rel) {
    auto it = dirs.find(rel);
    return it == dirs.end() ? mode_t(0) : it->second;
  };
}

std::vector<std::pair<K, std::string>> shape(const MaskRecipe& r) {
  std::vector<std::pair<K, std::string>> out;
  for (const auto& e : r.entries) out.emplace_back(e.kind, e.rel);
  return out;
}

TEST(MaskRecipe, WhiteoutsGoWhereTheHostHasTheDirectory) {
  auto r = plan_mask("/home/u",
                     {step(MountOp::Kind::Whiteout, "/home/u/.ssh"),
                      step(MountOp::Kind::Whiteout, "/home/u/.config/gh"),
                      step(MountOp::Kind::Whiteout, "/home/u/.config/gcloud"),
                      step(MountOp::Kind::Whiteout, "/home/u/.docker/config.json")},
                     host({{"", 0750}, {".config", 0700}}));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->root_mode, 0750u);
  // ~/.docker does not exist on the host: its whiteout would make an empty ~/.docker appear.
  EXPECT_EQ(shape(*r), (std::vector<std::pair<K, std::string>>{{K::Whiteout, ".ssh"},
                                                               {K::Dir, ".config"},
                                                               {K::Whiteout, ".config/gh"},
                                                               {K::Whiteout, ".config/gcloud"}}));
  EXPECT_EQ(r->entries[1].mode, 0700u);  // the host's mode
}

TEST(MaskRecipe, NothingBeneathAWhiteout) {
  auto r = plan_mask("/home/u",
                     {step(MountOp::Kind::Whiteout, "/home/u/.aws"),
                      step(MountOp::Kind::Whiteout, "/home/u/.aws/credentials"),
                      step(MountOp::Kind::MaskFile, "/home/u/.aws/config")},
                     host({{"", 0755}, {".aws", 0700}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(shape(*r), (std::vector<std::pair<K, std::string>>{{K::Whiteout, ".aws"}}));
}

TEST(MaskRecipe, OpaqueDirectoryWithMountPointsBeneath) {
  auto r = plan_mask("/home/u",
                     {step(MountOp::Kind::OpaqueDir, "/home/u/.ssh"),
                      step(MountOp::Kind::MaskFile, "/home/u/.ssh/known_hosts"),
                      step(MountOp::Kind::MaskDir, "/home/u/.ssh/config.d"),
                      step(MountOp::Kind::Whiteout, "/home/u/.ssh")},
                     host({{"", 0755}, {".ssh", 0700}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(shape(*r),
            (std::vector<std::pair<K, std::string>>{
                {K::OpaqueDir, ".ssh"}, {K::File, ".ssh/known_hosts"}, {K::Dir, ".ssh/config.d"}}));
  EXPECT_EQ(r->entries[0].mode, 0700u);
  EXPECT_EQ(r->entries[2].mode, 0755u);  // the host has none there
  // A directory made on the way, later made opaque, is one entry.
  auto r2 = plan_mask("/home/u",
                      {step(MountOp::Kind::MaskFile, "/home/u/.config/a/f"),
                       step(MountOp::Kind::OpaqueDir, "/home/u/.config/a")},
                      host({{"", 0755}}));
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(shape(*r2),
            (std::vector<std::pair<K, std::string>>{
                {K::Dir, ".config"}, {K::OpaqueDir, ".config/a"}, {K::File, ".config/a/f"}}));
}

TEST(MaskRecipe, ContradictionsAreErrors) {
  EXPECT_FALSE(plan_mask("/home/u",
                         {step(MountOp::Kind::MaskFile, "/home/u/x"),
                          step(MountOp::Kind::OpaqueDir, "/home/u/x")},
                         host({{"", 0755}}))
                   .ok());
  EXPECT_FALSE(plan_mask("/home/u",
                         {step(MountOp::Kind::MaskDir, "/home/u/x"),
                          step(MountOp::Kind::MaskFile, "/home/u/x")},
                         host({{"", 0755}}))
                   .ok());
}

TEST(MaskRecipe, TheOverlayItselfAndTheRootModeFallback) {
  auto r = plan_mask(
      "/", {step(MountOp::Kind::Whiteout, "/"), step(MountOp::Kind::Whiteout, "/etc")}, host({}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->root_mode, 0755u);
  EXPECT_EQ(shape(*r), (std::vector<std::pair<K, std::string>>{{K::Whiteout, "etc"}}));
}

TEST(MaskKey, NamesTheMaskARecipeMakesAndNothingElse) {
  MaskRecipe a;
  a.root_mode = 0700;
  a.entries = {{K::Dir, ".config", 0755}, {K::Whiteout, ".config/gh", 0}, {K::Whiteout, ".ssh", 0}};
  const std::string key = mask_key(a);
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos) << key;
  EXPECT_EQ(mask_key(a), key);  // the same recipe, the same name
  // Every part of the recipe is in the name: what a mask holds, where, with which modes.
  auto differs = [&key](MaskRecipe r) { return mask_key(r) != key; };
  MaskRecipe b = a;
  b.root_mode = 0755;
  EXPECT_TRUE(differs(b));
  b = a;
  b.entries[0].mode = 0700;
  EXPECT_TRUE(differs(b));
  b = a;
  b.entries[2].kind = K::OpaqueDir;
  EXPECT_TRUE(differs(b));
  b = a;
  b.entries[2].rel = ".sshx";
  EXPECT_TRUE(differs(b));
  b = a;
  b.entries.pop_back();  // one whiteout fewer: a mask that hides less is another mask
  EXPECT_TRUE(differs(b));
  b = a;
  std::swap(b.entries[1], b.entries[2]);
  EXPECT_TRUE(differs(b));
  // Fields cannot run into one another ("a" + "b/c" against "a/b" + "c").
  MaskRecipe c, d;
  c.entries = {{K::Whiteout, "a", 0}, {K::Whiteout, "b/c", 0}};
  d.entries = {{K::Whiteout, "a/b", 0}, {K::Whiteout, "c", 0}};
  EXPECT_NE(mask_key(c), mask_key(d));
}

}  // namespace
}  // namespace paddock
