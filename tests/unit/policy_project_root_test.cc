#include <gtest/gtest.h>

#include <map>
#include <set>

#include "policy/project_root.h"

namespace paddock {
namespace {

struct FakeTree {
  std::set<std::string> entries;
  std::map<std::string, std::string> files;
  ProjectLookup lookup() const {
    ProjectLookup l;
    l.present = [this](const std::string& p) {
      return entries.count(p) != 0 || files.count(p) != 0;
    };
    l.read_file = [this](const std::string& p) -> std::optional<std::string> {
      auto it = files.find(p);
      if (it == files.end()) return std::nullopt;
      return it->second;
    };
    l.resolve = [](const std::string& p) -> Result<std::string> { return p; };
    return l;
  }
};

TEST(ProjectRoot, TopOfTheWorkTree) {
  FakeTree t{{"/home/u/src/app/.git"}, {}};
  auto r = find_project_root("/home/u/src/app/pkg/lib", "/home/u", "", t.lookup());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->root, "/home/u/src/app");
  EXPECT_EQ(r->notes.size(), 1u);
  // Started at the top: no note.
  r = find_project_root("/home/u/src/app", "/home/u", "", t.lookup());
  EXPECT_EQ(r->root, "/home/u/src/app");
  EXPECT_TRUE(r->notes.empty());
}

TEST(ProjectRoot, OutsideAWorkTreeTheCurrentDirectory) {
  FakeTree t;
  auto r = find_project_root("/srv/work", "/home/u", "", t.lookup());
  EXPECT_EQ(r->root, "/srv/work");
  EXPECT_TRUE(r->notes.empty() && r->warnings.empty());
}

TEST(ProjectRoot, HomeOrRootIsNotMadeWritableWholesale) {
  FakeTree home{{"/home/u/.git"}, {}};  // dotfiles managed with git
  auto r = find_project_root("/home/u/src/x", "/home/u", "", home.lookup());
  EXPECT_EQ(r->root, "/home/u/src/x");
  EXPECT_EQ(r->warnings.size(), 1u);
  FakeTree root{{"/.git"}, {}};
  r = find_project_root("/srv/x", "/home/u", "", root.lookup());
  EXPECT_EQ(r->root, "/srv/x");
}

TEST(ProjectRoot, ExplicitProject) {
  FakeTree t{{"/home/u/src/app/.git"}, {}};
  auto r = find_project_root("/home/u/src/app/pkg", "/home/u", "/home/u/src/app/pkg", t.lookup());
  EXPECT_EQ(r->root, "/home/u/src/app/pkg");
  EXPECT_FALSE(find_project_root("/home/u/src", "/home/u", "/etc", t.lookup()).ok());
  EXPECT_FALSE(find_project_root("/home/u/src", "/home/u", "/", t.lookup()).ok());
}

TEST(ProjectRoot, WorktreeAndSubmoduleRepositoriesAreWritableToo) {
  FakeTree wt{{},
              {{"/home/u/wt/.git", "gitdir: /home/u/app/.git/worktrees/wt\n"},
               {"/home/u/app/.git/worktrees/wt/commondir", "../..\n"}}};
  auto r = find_project_root("/home/u/wt/src", "/home/u", "", wt.lookup());
  EXPECT_EQ(r->root, "/home/u/wt");
  ASSERT_EQ(r->extra.size(), 1u);
  EXPECT_EQ(r->extra[0], "/home/u/app/.git");
  FakeTree sub{{}, {{"/home/u/app/lib/.git", "gitdir: ../.git/modules/lib\n"}}};
  r = find_project_root("/home/u/app/lib", "/home/u", "", sub.lookup());
  EXPECT_EQ(r->root, "/home/u/app/lib");
  ASSERT_EQ(r->extra.size(), 1u);
  EXPECT_EQ(r->extra[0], "/home/u/app/.git/modules/lib");
}

}  // namespace
}  // namespace paddock
