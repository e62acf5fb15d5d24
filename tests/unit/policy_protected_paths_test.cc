#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "judge_by_path.h"
#include "policy/protected_names.h"
#include "policy/protected_paths.h"
#include "policy/write_judge.h"

namespace paddock {
namespace {

using namespace judge_by_path;

bool prot(const ProtectedPaths& p, std::string_view path) {
  return p.check(path).is_protected;
}

std::string rule(const ProtectedPaths& p, std::string_view path) {
  return p.check(path).rule;
}

// The names the design and issue 8 require, whatever else the list holds.
const std::vector<std::string> kExpectedNames = {
    ".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".bash_aliases", ".profile",
    ".zshrc", ".zshenv", ".zprofile", ".zlogin", ".zlogout", ".cshrc", ".tcshrc", ".login",
    ".kshrc", ".mkshrc", ".gitconfig", ".vscode", ".idea", ".envrc", ".mcp.json", ".husky",
    ".config/fish", ".config/git/config",
    // issue 8
    ".claude/settings.json", ".claude/settings.local.json", ".claude/commands", ".claude/agents",
    ".claude/hooks", ".cursor", ".gemini/settings.json", ".codex", ".devcontainer",
    ".devcontainer.json", ".nvim.lua", ".exrc", ".zed", ".pre-commit-config.yaml", "lefthook.yml",
    ".lefthook.yml", "lefthook.yaml", ".lefthook.yaml", "lefthook.toml", "lefthook.json",
    ".config/lefthook.yml", "lefthook-local.yml", ".lefthook-local.yml", ".vimrc", ".nvimrc",
    "mise.toml", ".mise.toml", ".mise", ".config/mise", ".dir-locals.el", ".overcommit.yml",
    ".inputrc", ".tmux.conf", ".config/nvim", ".config/autostart", ".config/systemd/user",
    ".config/environment.d", ".pam_environment", ".bash_completion", ".xprofile", ".config/zsh"};

// A path that the name matches: '*' stands for any run of characters.
std::string instance(std::string n) {
  for (size_t i = n.find('*'); i != std::string::npos; i = n.find('*', i)) n.replace(i, 1, "x3");
  return n;
}

TEST(PolicyProtectedPaths, NameListHoldsTheDesignedNames) {
  const auto& names = ProtectedPaths::builtin_names();
  for (const auto& n : kExpectedNames)
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

TEST(PolicyProtectedPaths, NameListIsWellFormedData) {
  std::vector<std::string> seen;
  for (const ProtectedNameGroup& g : builtin_protected_name_groups()) {
    EXPECT_FALSE(g.tool.empty());
    EXPECT_FALSE(g.why.empty()) << g.tool;
    EXPECT_FALSE(g.names.empty()) << g.tool;
    for (std::string_view n : g.names) {
      auto parsed = parse_protected_name(n);
      ASSERT_TRUE(parsed.ok()) << n;
      EXPECT_EQ(*parsed, n) << "not in normal form";
      EXPECT_EQ(std::find(seen.begin(), seen.end(), n), seen.end()) << "listed twice: " << n;
      seen.emplace_back(n);
    }
  }
  EXPECT_EQ(seen, ProtectedPaths::builtin_names());
  EXPECT_EQ(ProtectedPaths().names(), ProtectedPaths::builtin_names());
}

TEST(PolicyProtectedPaths, EveryNameProtectedAtTopLevel) {
  ProtectedPaths p;
  for (const auto& n : ProtectedPaths::builtin_names()) {
    auto v = p.check("/" + instance(n));
    EXPECT_TRUE(v.is_protected) << n;
    EXPECT_EQ(v.rule, n);
    EXPECT_TRUE(prot(p, "/home/u/" + instance(n))) << n;
  }
}

TEST(PolicyProtectedPaths, EveryNameProtectedAtDepth) {
  ProtectedPaths p;
  for (const auto& n : ProtectedPaths::builtin_names()) {
    EXPECT_TRUE(prot(p, "/work/a/b/c/" + instance(n))) << n;
    EXPECT_EQ(rule(p, "/work/a/b/c/" + instance(n)), n);
  }
}

TEST(PolicyProtectedPaths, EverythingBeneathAProtectedNameIsProtected) {
  ProtectedPaths p;
  for (const auto& n : ProtectedPaths::builtin_names()) {
    EXPECT_TRUE(prot(p, "/w/" + instance(n) + "/x")) << n;
    EXPECT_TRUE(prot(p, "/w/a/b/c/" + instance(n) + "/deep/er")) << n;
  }
  EXPECT_TRUE(prot(p, "/w/a/b/c/.vscode/tasks.json"));
  EXPECT_EQ(rule(p, "/w/a/b/c/.vscode/tasks.json"), ".vscode");
  EXPECT_TRUE(prot(p, "/w/.idea/workspace.xml"));
  EXPECT_TRUE(prot(p, "/w/.husky/pre-commit"));
}

TEST(PolicyProtectedPaths, EveryLeadingPartOfAMultiComponentNameIsAContainerNotProtected) {
  // ".claude" alone is an ordinary directory: only the listed files beneath it are protected.
  ProtectedPaths p;
  for (const auto& n : ProtectedPaths::builtin_names()) {
    const std::string path = "/w/" + instance(n);
    for (size_t slash = path.find('/', 3); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      const std::string lead = path.substr(0, slash);
      EXPECT_TRUE(p.check_container(lead).is_protected) << lead << " of " << n;
      if (!prot(p, lead)) continue;  // another name may protect it (.config/mise under .config)
      EXPECT_NE(rule(p, lead), n) << lead;
    }
  }
}

TEST(PolicyProtectedPaths, MultiComponentNamesMatchOnlyTheirComponents) {
  ProtectedPaths p;
  for (const char* path :
       {"/w/.claude/settings.json", "/w/a/b/.claude/settings.local.json",
        "/w/.claude/commands/deploy.md", "/w/x/.claude/agents/a/b.md", "/w/.claude/hooks/pre.sh",
        "/home/u/.claude/settings.json", "/w/.gemini/settings.json",
        "/w/pkg/.gemini/extensions/e/gemini-extension.json", "/w/.github/hooks/session.json",
        "/home/u/.config/git/config", "/w/.config/lefthook.yml", "/w/sub/mise/config.toml",
        "/home/u/.local/share/nvim/lazy/plugin/init.lua",
        "/home/u/.local/lib/python3.11/site-packages/evil.pth",
        "/home/u/.config/systemd/user/evil.service"}) {
    EXPECT_TRUE(prot(p, path)) << path;
  }
  for (const char* path : {"/w/.claude",
                           "/w/.claude/other.txt",
                           "/w/.claude/settings.json.bak",
                           "/w/.claude/settingsXjson",
                           "/w/x.claude/settings.json",
                           "/w/claude/settings.json",
                           "/w/settings.json",
                           "/w/.claude/projects/p/settings.json2",
                           "/w/.gemini",
                           "/w/.gemini/tmp/chat.json",
                           "/w/.gemini/GEMINI.md",
                           "/w/.github",
                           "/w/.github/workflows/ci.yml",
                           "/w/.config/git/ignore",
                           "/w/.config/git",
                           "/w/.config/nvim-old/init.lua",
                           "/home/u/.local/share/other/x",
                           "/home/u/.local/lib/python3.11/other",
                           "/w/mise/tasks/build",
                           "/w/mise.toml.bak",
                           "/w/xmise.toml",
                           "/w/code-workspace",
                           "/w/.settings.json",
                           "/w/.codexrc"}) {
    EXPECT_FALSE(prot(p, path)) << path << " (" << rule(p, path) << ")";
  }
}

TEST(PolicyProtectedPaths, WildcardNames) {
  ProtectedPaths p;
  EXPECT_EQ(rule(p, "/w/mise.production.toml"), "mise.*.toml");
  EXPECT_EQ(rule(p, "/w/mise.local.toml"), "mise.*.toml");
  EXPECT_EQ(rule(p, "/w/.mise.dev.local.toml"), ".mise.*.toml");
  EXPECT_EQ(rule(p, "/w/team.code-workspace"), "*.code-workspace");
  EXPECT_EQ(rule(p, "/w/.code-workspace"), "*.code-workspace");
  EXPECT_EQ(rule(p, "/home/u/.local/lib/python3.12/site-packages"),
            ".local/lib/python*/site-packages");
  EXPECT_FALSE(prot(p, "/w/mise.toml.d"));
  EXPECT_FALSE(prot(p, "/w/mise.tomlx"));
  EXPECT_FALSE(prot(p, "/w/team.code-workspace.bak"));
  EXPECT_FALSE(prot(p, "/home/u/.local/lib/node/site-packages"));
}

TEST(PolicyProtectedPaths, SimilarNamesAreNotProtected) {
  ProtectedPaths p;
  for (const char* path : {"/w/bashrc",
                           "/w/.bashrc.d",
                           "/w/.bashrc~",
                           "/w/x.bashrc",
                           "/w/.vscode-test",
                           "/w/vscode/tasks.json",
                           "/w/.vscodeignore",
                           "/w/.envrc.example",
                           "/w/.mcp.json.bak",
                           "/w/.gitconfig.local",
                           "/w/.gitignore",
                           "/w/.gitattributes",
                           "/w/.profile2",
                           "/w/.config",
                           "/w/.config/nvim-old/init.lua",
                           "/w/.configfish",
                           "/w/.git",
                           "/w/.exrc.bak",
                           "/w/vimrc",
                           "/w/.envrc.d",
                           "/w/lefthook",
                           "/w/lefthook.yml.example",
                           "/w/.pre-commit-hooks.yaml",
                           "/w/.devcontainers",
                           "/w/.zed2",
                           "/w/.cursorignore",
                           "/w/.codex-cache"}) {
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

TEST(PolicyProtectedPaths, GitControlFilesAreTheGitRulesConcern) {
  // A repository's hooks and config are judged by what git accepts as a repository
  // (policy/git_control, the mediator's git rules), not by the spelling ".git/...": config
  // changes through a checked install and new repositories get *.sample hooks.
  ProtectedPaths p;
  for (const char* path :
       {"/w/.git/hooks", "/w/.git/hooks/pre-commit", "/w/.git/config", "/w/.git/config.worktree",
        "/w/.git/modules/sub/config", "/w/.git/worktrees/wt/config.worktree", "/w/.gitmodules"})
    EXPECT_FALSE(prot(p, path)) << path;
  // The user's global config stays protected by name.
  EXPECT_TRUE(prot(p, "/home/u/.gitconfig"));
  EXPECT_TRUE(prot(p, "/home/u/.config/git/config"));
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
  ProtectedPaths p;
  const auto& names = p.names_to_bind_in_root();
  for (const auto& n : p.names()) {
    const bool listed = std::find(names.begin(), names.end(), n) != names.end();
    EXPECT_EQ(listed, n.find('*') == std::string::npos) << n;  // wildcards cannot be looked up
  }
  for (const char* n : {".git/hooks", ".config/fish", ".claude/settings.json"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  // The project's config changes through checked installs: a read-only bind would stop them.
  for (const char* n : {".git/config", ".git/config.worktree"})
    EXPECT_EQ(std::find(names.begin(), names.end(), n), names.end()) << n;
  // Every other name listed for binding is itself judged protected.
  for (const auto& n : names)
    if (n != ".git/hooks") {
      EXPECT_TRUE(prot(p, "/w/" + n)) << n;
    }
}

// ---------------------------------------------------------------------------------------------
// filesystem.protectedNames

TEST(PolicyProtectedNames, ExtraNamesAreProtectedLikeBuiltinOnes) {
  ProtectedPaths p({}, {}, {".tool", "ci/hooks", "*.hook.sh", ".claude/settings.json"});
  EXPECT_TRUE(prot(p, "/w/a/.tool/x"));
  EXPECT_EQ(rule(p, "/w/a/.tool/x"), ".tool");
  EXPECT_TRUE(prot(p, "/w/ci/hooks/pre"));
  EXPECT_FALSE(prot(p, "/w/ci/other"));
  EXPECT_TRUE(p.check_container("/w/x/ci").is_protected);
  EXPECT_TRUE(prot(p, "/w/deep/run.hook.sh"));
  EXPECT_FALSE(prot(p, "/w/deep/run.hook.sh.txt"));
  // Appended after the built-in names, each once.
  const auto& names = p.names();
  ASSERT_EQ(names.size(), ProtectedPaths::builtin_names().size() + 3);
  EXPECT_EQ(names.back(), "*.hook.sh");
  const auto& bind = p.names_to_bind_in_root();
  EXPECT_NE(std::find(bind.begin(), bind.end(), "ci/hooks"), bind.end());
  EXPECT_EQ(std::find(bind.begin(), bind.end(), "*.hook.sh"), bind.end());
}

TEST(PolicyProtectedNames, ParsedAndNormalised) {
  for (const auto& [raw, want] :
       std::vector<std::pair<std::string, std::string>>{{".tool", ".tool"},
                                                        {".tool/", ".tool"},
                                                        {"a/b/c", "a/b/c"},
                                                        {"*.hook", "*.hook"},
                                                        {"x*y/z*", "x*y/z*"},
                                                        {"name with space", "name with space"}}) {
    auto r = parse_protected_name(raw);
    ASSERT_TRUE(r.ok()) << raw << ": " << r.error().message();
    EXPECT_EQ(*r, want);
  }
}

TEST(PolicyProtectedNames, RefusedWithTheKeyAndTheEntry) {
  for (const char* raw : {"", "/", "/etc/passwd", "/abs/name", "~/.tool", "~", "a//b", "./a",
                          "a/./b", "a/..", "../a", "..", ".", "*", "**", "a/*/b", "a//", "//"}) {
    auto r = parse_protected_name(raw);
    ASSERT_FALSE(r.ok()) << "accepted: \"" << raw << "\"";
    EXPECT_EQ(r.error().op, "filesystem.protectedNames");
    EXPECT_EQ(r.error().path, raw);
    EXPECT_FALSE(r.error().detail.empty());
  }
  EXPECT_NE(parse_protected_name("/x").error().detail.find("denyWrite"), std::string::npos);
  EXPECT_NE(parse_protected_name("a/../b").error().detail.find(".."), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// aliases: the spellings that lead to a denyWrite entry

TEST(PolicyProtectedPaths, AliasesAreProtectedButNotBound) {
  ProtectedPaths p({"/w/scripts/deploy.sh"}, {"/w/deploy.sh", "/w/lnk/deploy.sh"});
  EXPECT_EQ(p.exact(), std::vector<std::string>{"/w/scripts/deploy.sh"});
  EXPECT_EQ(p.aliases(), (std::vector<std::string>{"/w/deploy.sh", "/w/lnk/deploy.sh"}));
  EXPECT_EQ(rule(p, "/w/deploy.sh"), "denyWrite /w/deploy.sh");
  EXPECT_TRUE(prot(p, "/w/scripts/deploy.sh"));
  EXPECT_TRUE(prot(p, "/w/lnk/deploy.sh"));
  EXPECT_FALSE(prot(p, "/w/deploy.sh2"));
  // rm deploy.sh && echo evil > deploy.sh: neither the link nor a file in its place.
  FsPolicy fs;
  fs.writable = {"/w"};
  fs.protect = p;
  EXPECT_FALSE(judge_remove(fs, "/w/deploy.sh").allowed);
  EXPECT_FALSE(judge_write(fs, "/w/deploy.sh", EntryType::Missing).allowed);
  EXPECT_FALSE(judge_rename(fs, "/w/x", "/w/deploy.sh", false).allowed);
  EXPECT_FALSE(judge_special_create(fs, "/w/deploy.sh").allowed);
  // The directory link on the way is an ancestor: it cannot be moved or replaced either.
  EXPECT_FALSE(judge_rename(fs, "/w/lnk", "/w/lnk2", false).allowed);
  EXPECT_FALSE(judge_remove(fs, "/w/lnk/deploy.sh").allowed);
  EXPECT_TRUE(judge_write(fs, "/w/notes.txt", EntryType::Missing).allowed);  // control
}

// ---------------------------------------------------------------------------------------------
// check_rename

TEST(PolicyProtectedRename, OrdinaryRenameAllowed) {
  ProtectedPaths p({"/w/deploy"});
  EXPECT_FALSE(p.check_rename("/w/a.txt", "/w/b.txt").is_protected);
  EXPECT_FALSE(p.check_rename("/w/dir", "/w/dir2").is_protected);
  EXPECT_FALSE(p.check_rename("/w/src/x", "/w/other/x").is_protected);
}

TEST(PolicyProtectedRename, ProtectedSourceRefused) {
  ProtectedPaths p;
  EXPECT_TRUE(p.check_rename("/w/.bashrc", "/w/bashrc.old").is_protected);
  EXPECT_TRUE(p.check_rename("/w/.vscode", "/w/vscode").is_protected);
}

TEST(PolicyProtectedRename, ProtectedDestinationRefused) {
  ProtectedPaths p;
  EXPECT_TRUE(p.check_rename("/w/evil", "/w/.bashrc").is_protected);
  EXPECT_TRUE(p.check_rename("/w/dir", "/w/.vscode").is_protected);
  EXPECT_TRUE(p.check_rename("/w/x", "/w/sub/.envrc").is_protected);
}

TEST(PolicyProtectedRename, FileMovedIntoGitObjectsAllowed) {
  ProtectedPaths p;
  EXPECT_FALSE(
      p.check_rename("/w/.git/objects/ab/tmp_obj_123", "/w/.git/objects/ab/cdef").is_protected);
  EXPECT_FALSE(p.check_rename("/w/tmp", "/w/.git/objects/ab/cdef").is_protected);
  EXPECT_FALSE(
      p.check_rename("/w/.git/refs/heads/main.lock", "/w/.git/refs/heads/main").is_protected);
  EXPECT_FALSE(p.check_rename("/w/.git/index.lock", "/w/.git/index").is_protected);
}

TEST(PolicyProtectedRename, DirectoryNamedLikeGitButNotGit) {
  ProtectedPaths p;
  EXPECT_FALSE(p.check_rename("/w/a", "/w/.github/a").is_protected);
  EXPECT_FALSE(p.check_rename("/w/a", "/w/git/a").is_protected);
}

TEST(PolicyProtectedRename, MovingAnAncestorOfAnExactEntryRefused) {
  ProtectedPaths p({"/w/a/b/deploy"});
  auto v = p.check_rename("/w/a", "/w/z");
  EXPECT_TRUE(v.is_protected);
  EXPECT_NE(v.rule.find("/w/a/b/deploy"), std::string::npos) << v.rule;
  EXPECT_NE(v.rule.find("ancestor"), std::string::npos) << v.rule;
  EXPECT_TRUE(p.check_rename("/w/a/b", "/w/b2").is_protected);
  EXPECT_TRUE(p.check_rename("/w", "/w2").is_protected);
  // The entry itself is refused as the source.
  EXPECT_TRUE(p.check_rename("/w/a/b/deploy", "/w/x").is_protected);
  // Siblings and names sharing a string prefix are fine.
  EXPECT_FALSE(p.check_rename("/w/a/c", "/w/a/c2").is_protected);
  EXPECT_FALSE(p.check_rename("/w/a/b/deploy2", "/w/a/b/deploy3").is_protected);
  EXPECT_FALSE(p.check_rename("/w/a/bb", "/w/a/cc").is_protected);
}

TEST(PolicyProtectedRename, MovingAnAncestorOfAProtectedNameIsOrdinary) {
  // Name rules hold at any depth: .vscode stays protected wherever its directory goes.
  ProtectedPaths p;
  EXPECT_FALSE(p.check_rename("/w/proj", "/w/proj2").is_protected);
  EXPECT_TRUE(p.check("/w/proj2/.vscode/tasks.json").is_protected);
}

TEST(PolicyProtectedRename, GitDirectoryCannotBeSwappedForAGitFile) {
  // The user's repository stays where it is (the git rules judge any directory git accepts as
  // a repository, so a gitfile or a .git put in its place gains nothing, but the user's own
  // .git directory is not moved away); an existing gitfile is not rewritable.
  FsPolicy fs;
  fs.writable = {"/w"};
  EXPECT_FALSE(
      paddock::judge_rename(fs, Place{"/w/.git", EntryType::Dir}, Place{"/w/.git-old"}, true)
          .allowed);
  EXPECT_FALSE(
      paddock::judge_rename(fs, Place{"/w/sub/.git", EntryType::Dir}, Place{"/w/sub/git.bak"}, true)
          .allowed);
  // One this run made (git init, clone) may move.
  Place own{"/w/sub/.git", EntryType::Dir};
  own.created_in_run = true;
  EXPECT_TRUE(paddock::judge_rename(fs, own, Place{"/w/sub/git.bak"}, true).allowed);
  // A gitfile may be written (git worktree add, submodules, worktree repair): the directory it
  // names is judged by the git rules like any repository. A symlink or hard link named .git
  // is still refused (git never makes one).
  EXPECT_TRUE(judge_write(fs, "/w/sub/.git", EntryType::File).allowed);
  EXPECT_TRUE(judge_write(fs, "/w/wt/.git", EntryType::Missing).allowed);
  EXPECT_FALSE(judge_special_create(fs, "/w/sub/.git").allowed);
  EXPECT_FALSE(judge_link(fs, "/w/evil", "/w/sub/.git").allowed);
}

TEST(PolicyProtectedRename, DirectoryMovedOntoAnAncestorOfAnExactEntryRefused) {
  // --deny-write ./deploy/run.sh while deploy/ does not exist yet:
  // mkdir x && echo evil > x/run.sh && mv x deploy would plant the protected file.
  ProtectedPaths p({"/w/deploy/run.sh"});
  auto v = p.check_rename("/w/x", "/w/deploy");
  EXPECT_TRUE(v.is_protected);
  EXPECT_NE(v.rule.find("denyWrite /w/deploy/run.sh"), std::string::npos) << v.rule;
  EXPECT_NE(v.rule.find("replaced"), std::string::npos) << v.rule;
  EXPECT_TRUE(p.check_rename("/tmp/x", "/w/deploy").is_protected);
  EXPECT_TRUE(p.check_rename("/w/x", "/w").is_protected);  // deeper ancestors too
  // And as a symlink: ln -s x deploy.
  FsPolicy fs;
  fs.writable = {"/w"};
  fs.protect = p;
  EXPECT_FALSE(judge_special_create(fs, "/w/deploy").allowed);
  EXPECT_TRUE(judge_write(fs, "/w/deploy", EntryType::Missing).allowed);  // mkdir deploy is fine
  EXPECT_FALSE(judge_write(fs, "/w/deploy/run.sh", EntryType::Missing).allowed);
  // Unrelated destinations stay ordinary.
  EXPECT_FALSE(p.check_rename("/w/x", "/w/deployment").is_protected);
  EXPECT_FALSE(p.check_rename("/w/x", "/w/deploy2/run.sh").is_protected);
  EXPECT_FALSE(p.check_rename("/w/x", "/w/other/deploy").is_protected);
}

TEST(PolicyProtectedRename, ContainersOfMultiComponentNamesCannotBeMovedOrReplaced) {
  // mkdir c && echo '{"hooks":...}' > c/settings.json && mv c .claude, or ln -s c .claude.
  ProtectedPaths p;
  for (const char* dst :
       {"/w/.claude", "/w/a/b/.claude", "/home/u/.config", "/home/u/.config/git", "/w/.github",
        "/w/.gemini", "/home/u/.local/share", "/home/u/.local/lib/python3.11", "/w/mise"}) {
    auto v = p.check_rename("/w/prepared", dst);
    EXPECT_TRUE(v.is_protected) << dst;
    EXPECT_NE(v.rule.find("an ancestor of it"), std::string::npos) << v.rule;
    EXPECT_TRUE(p.check_rename(dst, "/w/away").is_protected) << dst;  // nor moved away
    FsPolicy fs;
    fs.writable = {"/w", "/home/u"};
    EXPECT_FALSE(judge_special_create(fs, dst).allowed) << dst;            // ln -s prepared DST
    EXPECT_TRUE(judge_write(fs, dst, EntryType::Missing).allowed) << dst;  // mkdir DST is fine
  }
  for (const char* dst : {"/w/.claude2", "/w/claude", "/home/u/.config2", "/home/u/.config/gitx",
                          "/w/.githubx", "/home/u/.local/lib/node", "/w/x/git"}) {
    EXPECT_FALSE(p.check_rename("/w/prepared", dst).is_protected) << dst;
    EXPECT_FALSE(p.check_container(dst).is_protected) << dst;
  }
  // A directory moved into a container under an ordinary name is ordinary.
  EXPECT_FALSE(p.check_rename("/w/prepared", "/w/.claude/prepared").is_protected);
  EXPECT_TRUE(p.check_rename("/w/prepared", "/w/.claude/commands").is_protected);
}

}  // namespace
}  // namespace paddock
