#include <gtest/gtest.h>

#include <set>
#include <string>

#include "policy/git_control.h"

namespace paddock {
namespace {

// A fake tree: the directories that are gitdirs.
struct Fake {
  std::set<std::string> gitdirs;
  mutable std::set<std::string> asked;
  std::function<bool(const std::string&)> probe() const {
    return [this](const std::string& d) {
      asked.insert(d);
      return gitdirs.count(d) != 0;
    };
  }
};

GitControl classify(const Fake& f, std::string_view p) {
  return classify_git_path(p, f.probe());
}

TEST(GitControl, ConfigOfAnyGitdirWhateverItsSpelling) {
  Fake f{{"/p/.git", "/p/tools", "/p/.git/modules/sub", "/p/.git/worktrees/wt",
          "/p/.repo/projects/sub.git"}};
  for (const char* p : {"/p/.git/config", "/p/tools/config", "/p/.git/modules/sub/config",
                        "/p/.git/worktrees/wt/config.worktree", "/p/.git/config.worktree",
                        "/p/.repo/projects/sub.git/config"}) {
    auto c = classify(f, p);
    EXPECT_EQ(c.role, GitRole::Config) << p;
  }
  EXPECT_EQ(classify(f, "/p/tools/config").gitdir, "/p/tools");
  // A file called config in an ordinary directory is nobody's control file.
  EXPECT_EQ(classify(f, "/p/src/config").role, GitRole::None);
  EXPECT_EQ(classify(f, "/p/.git/config/x").role, GitRole::None);
}

TEST(GitControl, HooksAndTheirEntries) {
  Fake f{{"/p/.git", "/p/bare"}};
  EXPECT_EQ(classify(f, "/p/.git/hooks").role, GitRole::HooksDir);
  EXPECT_EQ(classify(f, "/p/.git/hooks/pre-commit").role, GitRole::Hook);
  EXPECT_EQ(classify(f, "/p/bare/hooks/post-checkout").role, GitRole::Hook);
  EXPECT_EQ(classify(f, "/p/src/hooks/pre-commit").role, GitRole::None);
}

TEST(GitControl, TodoListsNotGitmodules) {
  Fake f{{"/p/.git"}};
  EXPECT_EQ(classify(f, "/p/.git/rebase-merge/git-rebase-todo").role, GitRole::TodoList);
  EXPECT_EQ(classify(f, "/p/.git/sequencer/todo").role, GitRole::TodoList);
  EXPECT_EQ(classify(f, "/p/.git/rebase-merge/done").role, GitRole::None);
  // .gitmodules is tracked content that checkouts write directly (docs/GIT.md).
  EXPECT_EQ(classify(f, "/p/.gitmodules").role, GitRole::None);
  EXPECT_EQ(classify(f, "/p/a/b/.gitmodules").role, GitRole::None);
}

TEST(GitControl, LegacyRemoteFiles) {
  Fake f{{"/p/.git"}};
  auto c = classify(f, "/p/.git/remotes/origin");
  EXPECT_EQ(c.role, GitRole::RemoteFile);
  EXPECT_EQ(classify(f, "/p/.git/branches/origin").role, GitRole::RemoteFile);
  EXPECT_EQ(classify(f, "/p/src/remotes/origin").role, GitRole::None);
  EXPECT_EQ(judge_git_op(c, "/p/.git/remotes/origin", GitOp::Create, false).kind,
            GitVerdict::Kind::Refuse);
  EXPECT_EQ(judge_git_op(c, "/p/.git/remotes/origin", GitOp::Remove, false).kind,
            GitVerdict::Kind::Allow);
}

TEST(GitControl, MarkersCompleteADirectory) {
  Fake f{{"/p/.git"}};
  for (const char* p : {"/p/gd/HEAD", "/p/gd/objects", "/p/gd/refs", "/p/gd/commondir"}) {
    auto c = classify(f, p);
    EXPECT_EQ(c.role, GitRole::Completing) << p;
    EXPECT_EQ(c.gitdir, "/p/gd");
  }
  // Already a gitdir: nothing completes.
  EXPECT_EQ(classify(f, "/p/.git/HEAD").role, GitRole::None);
  EXPECT_EQ(classify(f, "/p/gd/HEADS").role, GitRole::None);
}

TEST(GitControl, ANameDotGitIsAdoptedWhateverItHolds) {
  // The host's `git init` would take it as its gitdir and keep the config and hooks in it.
  Fake f{{}};
  for (const char* p : {"/p/.git", "/p/newpkg/.git"}) {
    auto c = classify(f, p);
    EXPECT_EQ(c.role, GitRole::Completing) << p;
    EXPECT_EQ(c.gitdir, p);
    EXPECT_EQ(judge_git_op(c, p, GitOp::RenameTo, true).kind, GitVerdict::Kind::Allow);
  }
  EXPECT_EQ(classify(f, "/p/x.git").role, GitRole::None);
}

TEST(GitControl, OrdinaryWritesAskNothing) {
  Fake f{{"/p/.git"}};
  for (const char* p : {"/p/src/main.cc", "/p/node_modules/x/index.js", "/p/.git/objects/ab/cd",
                        "/p/.git/index.lock", "/p/README.md"})
    EXPECT_EQ(classify(f, p).role, GitRole::None) << p;
  EXPECT_TRUE(f.asked.empty());
}

TEST(GitControl, ConfigVerdicts) {
  GitControl c{GitRole::Config, "/p/.git"};
  const char* p = "/p/.git/config";
  EXPECT_EQ(judge_git_op(c, p, GitOp::RenameTo, false).kind, GitVerdict::Kind::Install);
  for (GitOp op : {GitOp::Create, GitOp::Write, GitOp::LinkTo, GitOp::Exchange})
    EXPECT_EQ(judge_git_op(c, p, op, false).kind, GitVerdict::Kind::Refuse);
  EXPECT_EQ(judge_git_op(c, p, GitOp::RenameTo, true).kind, GitVerdict::Kind::Refuse);
  EXPECT_EQ(judge_git_op(c, p, GitOp::Create, true).kind, GitVerdict::Kind::Refuse);
  for (GitOp op : {GitOp::Chmod, GitOp::Remove, GitOp::RenameFrom})
    EXPECT_EQ(judge_git_op(c, p, op, false).kind, GitVerdict::Kind::Allow);
}

TEST(GitControl, HookVerdicts) {
  GitControl c{GitRole::Hook, "/p/.git"};
  for (GitOp op : {GitOp::Create, GitOp::Write, GitOp::Chmod, GitOp::Remove, GitOp::RenameTo,
                   GitOp::RenameFrom, GitOp::LinkTo})
    EXPECT_EQ(judge_git_op(c, "/p/.git/hooks/pre-commit.sample", op, false).kind,
              GitVerdict::Kind::Allow);
  for (const char* name : {"pre-commit", "post-checkout", "fsmonitor-watchman", "lib.sh",
                           "pre-commit.sample.bak", ".sample", "x.SAMPLE"})
    for (GitOp op : {GitOp::Create, GitOp::Write, GitOp::Chmod, GitOp::Remove, GitOp::RenameTo,
                     GitOp::RenameFrom, GitOp::LinkTo}) {
      std::string p = std::string("/p/.git/hooks/") + name;
      EXPECT_EQ(judge_git_op(c, p, op, false).kind, GitVerdict::Kind::Refuse) << name;
    }
  GitControl h{GitRole::HooksDir, "/p/.git"};
  EXPECT_EQ(judge_git_op(h, "/p/.git/hooks", GitOp::Create, true).kind, GitVerdict::Kind::Allow);
  EXPECT_EQ(judge_git_op(h, "/p/.git/hooks", GitOp::Create, false).kind,
            GitVerdict::Kind::Refuse);  // a symlink or file named hooks
  EXPECT_EQ(judge_git_op(h, "/p/.git/hooks", GitOp::RenameTo, true).kind, GitVerdict::Kind::Refuse);
  EXPECT_EQ(judge_git_op(h, "/p/.git/hooks", GitOp::RenameFrom, true).kind,
            GitVerdict::Kind::Refuse);
  EXPECT_EQ(judge_git_op(h, "/p/.git/hooks", GitOp::Remove, true).kind, GitVerdict::Kind::Allow);
}

}  // namespace
}  // namespace paddock
