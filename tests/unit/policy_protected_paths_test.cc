#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "policy/protected_paths.h"
#include "policy/write_judge.h"

namespace paddock {
namespace {

// The tests judge by path; the mediator passes a Place (type, private mount, aliases).
[[maybe_unused]] WriteVerdict judge_write(const FsPolicy& p, std::string_view path,
                                          EntryType type) {
  return paddock::judge_write(p, Place{path, type});
}
[[maybe_unused]] WriteVerdict judge_remove(const FsPolicy& p, std::string_view path) {
  return paddock::judge_remove(p, Place{path, EntryType::File});
}
[[maybe_unused]] WriteVerdict judge_special_create(const FsPolicy& p, std::string_view path) {
  return paddock::judge_special_create(p, Place{path});
}
[[maybe_unused]] WriteVerdict judge_rename(const FsPolicy& p, std::string_view src,
                                           std::string_view dst, bool src_is_dir) {
  return paddock::judge_rename(p, Place{src, src_is_dir ? EntryType::Dir : EntryType::File},
                               Place{dst}, src_is_dir);
}
[[maybe_unused]] WriteVerdict judge_link(const FsPolicy& p, std::string_view src,
                                         std::string_view dst) {
  return paddock::judge_link(p, Place{src, EntryType::File}, Place{dst});
}

bool prot(const ProtectedPaths& p, std::string_view path) {
  return p.check(path).is_protected;
}

std::string rule(const ProtectedPaths& p, std::string_view path) {
  return p.check(path).rule;
}

const std::vector<std::string> kExpectedNames = {
    ".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".bash_aliases", ".profile",
    ".zshrc",  ".zshenv",       ".zprofile",   ".zlogin",      ".zlogout",      ".cshrc",
    ".tcshrc", ".login",        ".kshrc",      ".mkshrc",      ".gitconfig",    ".gitmodules",
    ".vscode", ".idea",         ".envrc",      ".mcp.json",    ".husky",
};

TEST(PolicyProtectedPaths, NameListHoldsTheDesignedNames) {
  const auto& names = ProtectedPaths::protected_names();
  for (const auto& n : kExpectedNames)
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

TEST(PolicyProtectedPaths, EveryNameProtectedAtTopLevel) {
  ProtectedPaths p;
  for (const auto& n : ProtectedPaths::protected_names()) {
    auto v = p.check("/" + n);
    EXPECT_TRUE(v.is_protected) << n;
    EXPECT_EQ(v.rule, n);
    EXPECT_TRUE(prot(p, "/home/u/" + n)) << n;
  }
}

TEST(PolicyProtectedPaths, EveryNameProtectedAtDepth) {
  ProtectedPaths p;
  for (const auto& n : ProtectedPaths::protected_names()) {
    EXPECT_TRUE(prot(p, "/work/a/b/c/" + n)) << n;
    EXPECT_EQ(rule(p, "/work/a/b/c/" + n), n);
  }
}

TEST(PolicyProtectedPaths, EverythingBeneathAProtectedNameIsProtected) {
  ProtectedPaths p;
  for (const auto& n : ProtectedPaths::protected_names()) {
    EXPECT_TRUE(prot(p, "/w/" + n + "/x")) << n;
    EXPECT_TRUE(prot(p, "/w/a/b/c/" + n + "/deep/er")) << n;
  }
  EXPECT_TRUE(prot(p, "/w/a/b/c/.vscode/tasks.json"));
  EXPECT_EQ(rule(p, "/w/a/b/c/.vscode/tasks.json"), ".vscode");
  EXPECT_TRUE(prot(p, "/w/.idea/workspace.xml"));
  EXPECT_TRUE(prot(p, "/w/.husky/pre-commit"));
}

TEST(PolicyProtectedPaths, SimilarNamesAreNotProtected) {
  ProtectedPaths p;
  for (const char* path :
       {"/w/bashrc", "/w/.bashrc.d", "/w/.bashrc~", "/w/x.bashrc", "/w/.vscode-server",
        "/w/vscode/tasks.json", "/w/.vscodeignore", "/w/.envrc.example", "/w/.mcp.json.bak",
        "/w/.gitconfig.local", "/w/.gitignore", "/w/.gitattributes", "/w/.profile2", "/w/.config",
        "/w/.config/nvim/init.lua", "/w/.configfish", "/w/.git"}) {
    EXPECT_FALSE(prot(p, path)) << path << " (" << rule(p, path) << ")";
  }
}

TEST(PolicyProtectedPaths, FishConfig) {
  ProtectedPaths p;
  EXPECT_TRUE(prot(p, "/home/u/.config/fish"));
  EXPECT_TRUE(prot(p, "/home/u/.config/fish/config.fish"));
  EXPECT_EQ(rule(p, "/home/u/.config/fish/config.fish"), ".config/fish");
  EXPECT_FALSE(prot(p, "/home/u/.config/fisher"));
  EXPECT_FALSE(prot(p, "/home/u/fish/config.fish"));
}

TEST(PolicyProtectedPaths, GitHooksAndConfig) {
  ProtectedPaths p;
  EXPECT_TRUE(prot(p, "/w/.git/hooks"));
  EXPECT_TRUE(prot(p, "/w/.git/hooks/x"));
  EXPECT_TRUE(prot(p, "/w/.git/hooks/pre-commit"));
  EXPECT_EQ(rule(p, "/w/.git/hooks/pre-commit"), ".git/hooks");
  EXPECT_TRUE(prot(p, "/w/.git/config"));
  EXPECT_EQ(rule(p, "/w/.git/config"), ".git/config");
  EXPECT_TRUE(prot(p, "/w/.git/config.worktree"));
}

TEST(PolicyProtectedPaths, GitRulesHoldInNestedRepositories) {
  ProtectedPaths p;
  EXPECT_TRUE(prot(p, "/w/vendor/lib/.git/hooks/post-checkout"));
  EXPECT_TRUE(prot(p, "/w/a/b/c/d/.git/config"));
}

TEST(PolicyProtectedPaths, OrdinaryGitInternalsAreWritable) {
  ProtectedPaths p;
  for (const char* path : {"/w/.git",
                           "/w/.git/config.lock",
                           "/w/.git/objects/ab/cdef0123",
                           "/w/.git/objects/pack/pack-1.pack",
                           "/w/.git/refs/heads/main",
                           "/w/.git/HEAD",
                           "/w/.git/index",
                           "/w/.git/index.lock",
                           "/w/.git/logs/HEAD",
                           "/w/.git/COMMIT_EDITMSG",
                           "/w/.git/packed-refs",
                           "/w/.git/FETCH_HEAD",
                           "/w/.git/info/exclude",
                           "/w/.git/hooks.sample",
                           "/w/.git/worktrees",
                           "/w/.git/worktrees/wt",
                           "/w/.git/worktrees/wt/HEAD",
                           "/w/.git/worktrees/wt/index",
                           "/w/.git/modules",
                           "/w/.git/modules/sub",
                           "/w/.git/modules/sub/objects/ab/cd",
                           "/w/.git/modules/sub/refs/heads/main"}) {
    EXPECT_FALSE(prot(p, path)) << path << " (" << rule(p, path) << ")";
  }
}

TEST(PolicyProtectedPaths, HooksOrConfigNamesOutsideGitAreWritable) {
  ProtectedPaths p;
  EXPECT_FALSE(prot(p, "/w/hooks/pre-commit"));
  EXPECT_FALSE(prot(p, "/w/config"));
  EXPECT_FALSE(prot(p, "/w/src/config/app.yaml"));
  EXPECT_FALSE(prot(p, "/w/git/hooks/x"));
}

TEST(PolicyProtectedPaths, Worktrees) {
  ProtectedPaths p;
  EXPECT_TRUE(prot(p, "/w/.git/worktrees/wt/config.worktree"));
  EXPECT_EQ(rule(p, "/w/.git/worktrees/wt/config.worktree"), ".git/worktrees/*/config.worktree");
  EXPECT_TRUE(prot(p, "/w/.git/worktrees/wt/hooks/pre-push"));
  EXPECT_TRUE(prot(p, "/w/.git/worktrees/wt/config"));
}

TEST(PolicyProtectedPaths, Submodules) {
  ProtectedPaths p;
  EXPECT_TRUE(prot(p, "/w/.git/modules/sub/hooks/x"));
  EXPECT_EQ(rule(p, "/w/.git/modules/sub/hooks/x"), ".git/modules/**/hooks");
  EXPECT_TRUE(prot(p, "/w/.git/modules/sub/config"));
  // Nested submodules: .git/modules/a/modules/b/...
  EXPECT_TRUE(prot(p, "/w/.git/modules/a/modules/b/hooks/post-merge"));
  EXPECT_TRUE(prot(p, "/w/.git/modules/a/modules/b/config"));
  // A submodule checked out with its own .git directory.
  EXPECT_TRUE(prot(p, "/w/third_party/sub/.git/hooks/x"));
}

TEST(PolicyProtectedPaths, ExactEntriesProtectThemselvesAndBeneath) {
  ProtectedPaths p({"/w/deploy", "/home/u/.config/paddock.json"});
  EXPECT_TRUE(prot(p, "/w/deploy"));
  EXPECT_TRUE(prot(p, "/w/deploy/key.pem"));
  EXPECT_TRUE(prot(p, "/w/deploy/a/b/c"));
  EXPECT_EQ(rule(p, "/w/deploy/key.pem"), "denyWrite /w/deploy");
  EXPECT_TRUE(prot(p, "/home/u/.config/paddock.json"));
  EXPECT_EQ(rule(p, "/home/u/.config/paddock.json"), "denyWrite /home/u/.config/paddock.json");
}

TEST(PolicyProtectedPaths, ExactEntriesAreComponentPrefixes) {
  ProtectedPaths p({"/w/deploy"});
  EXPECT_FALSE(prot(p, "/w/deployment"));
  EXPECT_FALSE(prot(p, "/w/deploy.bak"));
  EXPECT_FALSE(prot(p, "/w"));
  EXPECT_FALSE(prot(p, "/w/other/deploy"));
}

TEST(PolicyProtectedPaths, ExactListIsKept) {
  ProtectedPaths p({"/a", "/b/c"});
  EXPECT_EQ(p.exact(), (std::vector<std::string>{"/a", "/b/c"}));
  EXPECT_TRUE(ProtectedPaths().exact().empty());
}

TEST(PolicyProtectedPaths, UnprotectedVerdictHasNoRule) {
  ProtectedPaths p;
  auto v = p.check("/w/src/main.cc");
  EXPECT_FALSE(v.is_protected);
  EXPECT_TRUE(v.rule.empty());
}

TEST(PolicyProtectedPaths, NamesToBindInRoot) {
  const auto& names = ProtectedPaths::names_to_bind_in_root();
  for (const auto& n : ProtectedPaths::protected_names())
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  for (const char* n : {".git/hooks", ".git/config", ".git/config.worktree", ".config/fish"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  // Every name listed for binding is itself judged protected.
  ProtectedPaths p;
  for (const auto& n : names) EXPECT_TRUE(prot(p, "/w/" + n)) << n;
}

// ---------------------------------------------------------------------------------------------
// check_rename

TEST(PolicyProtectedRename, OrdinaryRenameAllowed) {
  ProtectedPaths p({"/w/deploy"});
  EXPECT_FALSE(p.check_rename("/w/a.txt", "/w/b.txt", false).is_protected);
  EXPECT_FALSE(p.check_rename("/w/dir", "/w/dir2", true).is_protected);
  EXPECT_FALSE(p.check_rename("/w/src/x", "/w/other/x", true).is_protected);
}

TEST(PolicyProtectedRename, ProtectedSourceRefused) {
  ProtectedPaths p;
  EXPECT_TRUE(p.check_rename("/w/.bashrc", "/w/bashrc.old", false).is_protected);
  EXPECT_TRUE(p.check_rename("/w/.git/hooks", "/w/hooks-old", true).is_protected);
  EXPECT_TRUE(p.check_rename("/w/.git/hooks/pre-commit", "/w/x", false).is_protected);
  EXPECT_TRUE(p.check_rename("/w/.vscode", "/w/vscode", true).is_protected);
  EXPECT_TRUE(p.check_rename("/w/.git/config", "/w/.git/config.bak", false).is_protected);
}

TEST(PolicyProtectedRename, ProtectedDestinationRefused) {
  ProtectedPaths p;
  EXPECT_TRUE(p.check_rename("/w/evil.sh", "/w/.git/hooks/pre-commit", false).is_protected);
  EXPECT_TRUE(p.check_rename("/w/evil", "/w/.bashrc", false).is_protected);
  EXPECT_TRUE(p.check_rename("/w/dir", "/w/.vscode", true).is_protected);
  EXPECT_TRUE(p.check_rename("/w/cfg", "/w/.git/config", false).is_protected);
  EXPECT_TRUE(p.check_rename("/w/x", "/w/sub/.envrc", false).is_protected);
}

TEST(PolicyProtectedRename, GitWritesItsConfigThroughALockFile) {
  // git writes .git/config.lock then renames it over .git/config: the rename is refused.
  ProtectedPaths p;
  EXPECT_FALSE(p.check("/w/.git/config.lock").is_protected);
  EXPECT_TRUE(p.check_rename("/w/.git/config.lock", "/w/.git/config", false).is_protected);
}

TEST(PolicyProtectedRename, DirectoryMovedIntoGitRefused) {
  ProtectedPaths p;
  // Its contents would appear under .git with names like hooks/ or config.
  auto v = p.check_rename("/w/payload", "/w/.git/objects/payload", true);
  EXPECT_TRUE(v.is_protected);
  EXPECT_EQ(v.rule, "directory moved into .git");
  EXPECT_TRUE(p.check_rename("/w/payload", "/w/.git/x", true).is_protected);
  EXPECT_TRUE(p.check_rename("/w/payload", "/w/.git/modules/sub", true).is_protected);
  EXPECT_TRUE(p.check_rename("/w/payload", "/w/.git/worktrees/wt", true).is_protected);
  EXPECT_TRUE(p.check_rename("/w/payload", "/w/nested/.git/refs/x", true).is_protected);
  // Becoming a .git directory itself.
  EXPECT_TRUE(p.check_rename("/w/payload", "/w/sub/.git", true).is_protected);
}

TEST(PolicyProtectedRename, FileMovedIntoGitObjectsAllowed) {
  ProtectedPaths p;
  EXPECT_FALSE(p.check_rename("/w/.git/objects/ab/tmp_obj_123", "/w/.git/objects/ab/cdef", false)
                   .is_protected);
  EXPECT_FALSE(p.check_rename("/w/tmp", "/w/.git/objects/ab/cdef", false).is_protected);
  EXPECT_FALSE(p.check_rename("/w/.git/refs/heads/main.lock", "/w/.git/refs/heads/main", false)
                   .is_protected);
  EXPECT_FALSE(p.check_rename("/w/.git/index.lock", "/w/.git/index", false).is_protected);
}

TEST(PolicyProtectedRename, DirectoryNamedLikeGitButNotGit) {
  ProtectedPaths p;
  EXPECT_FALSE(p.check_rename("/w/a", "/w/.github/a", true).is_protected);
  EXPECT_FALSE(p.check_rename("/w/a", "/w/git/a", true).is_protected);
}

TEST(PolicyProtectedRename, MovingAnAncestorOfAnExactEntryRefused) {
  ProtectedPaths p({"/w/a/b/deploy"});
  auto v = p.check_rename("/w/a", "/w/z", true);
  EXPECT_TRUE(v.is_protected);
  EXPECT_NE(v.rule.find("/w/a/b/deploy"), std::string::npos) << v.rule;
  EXPECT_NE(v.rule.find("ancestor"), std::string::npos) << v.rule;
  EXPECT_TRUE(p.check_rename("/w/a/b", "/w/b2", true).is_protected);
  EXPECT_TRUE(p.check_rename("/w", "/w2", true).is_protected);
  // The entry itself is refused as the source.
  EXPECT_TRUE(p.check_rename("/w/a/b/deploy", "/w/x", true).is_protected);
  // Siblings and names sharing a string prefix are fine.
  EXPECT_FALSE(p.check_rename("/w/a/c", "/w/a/c2", true).is_protected);
  EXPECT_FALSE(p.check_rename("/w/a/b/deploy2", "/w/a/b/deploy3", true).is_protected);
  EXPECT_FALSE(p.check_rename("/w/a/bb", "/w/a/cc", true).is_protected);
}

TEST(PolicyProtectedRename, MovingAnAncestorOfAProtectedNameIsOrdinary) {
  // Name rules hold at any depth: .vscode stays protected wherever its directory goes.
  ProtectedPaths p;
  EXPECT_FALSE(p.check_rename("/w/proj", "/w/proj2", true).is_protected);
  EXPECT_TRUE(p.check("/w/proj2/.vscode/tasks.json").is_protected);
}

TEST(PolicyProtectedRename, GitDirectoryCannotBeSwappedForAGitFile) {
  // A ".git" *file* ("gitdir: <path>") redirects git to any directory, whose config
  // (core.fsmonitor, core.hooksPath) and hooks/ then run on the host at the next `git status`.
  // So .git is never renamed away nor replaced, and an existing gitfile is not rewritable.
  ProtectedPaths p;
  EXPECT_TRUE(p.check_rename("/w/.git", "/w/.git-old", true).is_protected);
  EXPECT_TRUE(p.check_rename("/w/sub/.git", "/w/sub/git.bak", false).is_protected);
  EXPECT_TRUE(p.check_rename("/w/evil", "/w/.git", false).is_protected);
  EXPECT_TRUE(p.check_rename("/w/evil", "/w/sub/.git", true).is_protected);
  FsPolicy fs;
  fs.writable = {"/w"};
  EXPECT_FALSE(judge_write(fs, "/w/sub/.git", EntryType::File).allowed);  // rewrite a gitfile
  EXPECT_FALSE(judge_special_create(fs, "/w/sub/.git").allowed);          // symlink named .git
  EXPECT_FALSE(judge_link(fs, "/w/evil", "/w/sub/.git").allowed);         // hard link as .git
  // `git worktree add` creates a new gitfile: allowed (a documented residual, see
  // docs/ARCHITECTURE.md), and a new .git directory for `mkdir`.
  EXPECT_TRUE(judge_write(fs, "/w/wt/.git", EntryType::Missing).allowed);
}

}  // namespace
}  // namespace paddock
