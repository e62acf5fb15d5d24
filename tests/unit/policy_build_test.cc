#include <gtest/gtest.h>
#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "policy/home_layer.h"
#include "policy/policy.h"

namespace paddock {
namespace {

namespace fs = std::filesystem;

// build_policy on a real temporary project: its paths are resolved on the host.
class PolicyBuild : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/paddock-build-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    made_ = tmpl;
    char buf[PATH_MAX];
    ASSERT_NE(::realpath(tmpl, buf), nullptr);
    root_ = buf;
    home_ = root_ + "/home";
    proj_ = root_ + "/proj";
    fs::create_directories(home_);
    fs::create_directories(proj_ + "/scripts");
    std::ofstream(proj_ + "/scripts/deploy.sh") << "x";
    fs::create_symlink("scripts/deploy.sh", proj_ + "/deploy.sh");
    fs::create_directory_symlink("scripts", proj_ + "/bin");
    fs::create_symlink("bin/deploy.sh", proj_ + "/chain.sh");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(made_, ec);
  }
  Result<Policy> build(const Settings& s) { return build_policy(s, home_, proj_, ""); }
  static bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  }

  std::string made_, root_, home_, proj_;
};

TEST_F(PolicyBuild, DenyWriteProtectsEverySpellingOfASymlinkedEntry) {
  Settings s;
  s.filesystem.deny_write = {"./deploy.sh", "chain.sh", proj_ + "/bin/../scripts/other.sh"};
  auto p = build(s);
  ASSERT_TRUE(p.ok()) << p.error().message();
  const ProtectedPaths& pp = p->fs.protect;
  // The canonical path is the entry (bound read-only when it exists) ...
  EXPECT_TRUE(has(pp.exact(), proj_ + "/scripts/deploy.sh"));
  EXPECT_TRUE(has(pp.exact(), proj_ + "/scripts/other.sh"));
  EXPECT_FALSE(has(pp.exact(), proj_ + "/deploy.sh"));
  // ... and every form met on the way to it is protected as well.
  for (const std::string& a : {proj_ + "/deploy.sh", proj_ + "/chain.sh", proj_ + "/bin/deploy.sh"})
    EXPECT_TRUE(has(pp.aliases(), a)) << a;
  for (const std::string& path :
       {proj_ + "/deploy.sh", proj_ + "/chain.sh", proj_ + "/bin/deploy.sh",
        proj_ + "/scripts/deploy.sh", proj_ + "/scripts/other.sh"})
    EXPECT_TRUE(pp.check(path).is_protected) << path;
  EXPECT_FALSE(pp.check(proj_ + "/scripts/readme").is_protected);
  // The directory link on the way is an ancestor of a spelling: not movable.
  EXPECT_TRUE(pp.check_rename(proj_ + "/bin", proj_ + "/bin2").is_protected);
}

TEST_F(PolicyBuild, DenyWriteWithoutSymlinksHasNoAliases) {
  Settings s;
  s.filesystem.deny_write = {"scripts/deploy.sh", "./future/x"};
  auto p = build(s);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_TRUE(p->fs.protect.aliases().empty());
  EXPECT_EQ(p->fs.protect.exact(),
            (std::vector<std::string>{proj_ + "/scripts/deploy.sh", proj_ + "/future/x"}));
  // A directory prepared elsewhere cannot become future/.
  EXPECT_TRUE(p->fs.protect.check_rename(proj_ + "/t", proj_ + "/future").is_protected);
}

TEST_F(PolicyBuild, ProtectedNamesFromSettings) {
  Settings s;
  s.filesystem.protected_names = {".tool/", "ci/hooks"};
  auto p = build(s);
  ASSERT_TRUE(p.ok()) << p.error().message();
  const auto& names = p->fs.protect.names();
  EXPECT_EQ(names[names.size() - 2], ".tool");
  EXPECT_EQ(names.back(), "ci/hooks");
  EXPECT_TRUE(p->fs.protect.check(proj_ + "/a/.tool/x").is_protected);

  s.filesystem.protected_names = {".ok", "../escape"};
  auto bad = build(s);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().op, "filesystem.protectedNames");
  EXPECT_EQ(bad.error().path, "../escape");
}

TEST_F(PolicyBuild, AllowPrivateAddressesIsWarned) {
  Settings s;
  auto quiet = build(s);
  ASSERT_TRUE(quiet.ok());
  for (const auto& w : quiet->warnings)
    EXPECT_EQ(w.find("allowPrivateAddresses"), std::string::npos) << w;
  s.network.allow_private_addresses = true;
  auto p = build(s);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->network.allow_private_addresses);
  EXPECT_TRUE(std::any_of(p->warnings.begin(), p->warnings.end(), [](const std::string& w) {
    return w.find("network.allowPrivateAddresses") != std::string::npos &&
           w.find("tailnet") != std::string::npos;
  }));
}

}  // namespace
}  // namespace paddock

namespace paddock {
namespace {

// A protected name that is a symlink in a writable root protects where it leads: a write
// through the link is judged by the link's name, a write to the target by this.
TEST_F(PolicyBuild, ProtectedNamesThatAreSymlinksProtectTheirTargets) {
  fs::create_directories(proj_ + "/editor-settings");
  fs::create_directory_symlink("editor-settings", proj_ + "/.vscode");
  fs::create_directories(proj_ + "/dotfiles/fish");
  std::ofstream(proj_ + "/dotfiles/bashrc") << "x";
  fs::create_symlink("dotfiles/bashrc", proj_ + "/.bashrc");
  fs::create_directories(proj_ + "/.config");
  fs::create_directory_symlink("../dotfiles/fish", proj_ + "/.config/fish");
  fs::create_directory_symlink(".", proj_ + "/.idea");  // holds the root: cannot be protected
  auto p = build(Settings{});
  ASSERT_TRUE(p.ok()) << p.error().message();
  const ProtectedPaths& pp = p->fs.protect;
  for (const std::string& t : {proj_ + "/editor-settings/tasks.json", proj_ + "/dotfiles/bashrc",
                               proj_ + "/dotfiles/fish/config.fish"}) {
    auto v = pp.check(t);
    EXPECT_TRUE(v.is_protected) << t;
    EXPECT_NE(v.rule.find("the target of the symlink"), std::string::npos) << v.rule;
  }
  EXPECT_FALSE(pp.check(proj_ + "/dotfiles/other").is_protected);
  EXPECT_FALSE(pp.check(proj_ + "/src/main.cc").is_protected);
  bool warned = false;
  for (const auto& w : p->warnings)
    warned = warned || w.find(".idea is a symlink") != std::string::npos;
  EXPECT_TRUE(warned);
}

// A symlink inside a writable path may be the sandbox's: a path the user allows must not be
// redirected through one to somewhere else.
TEST_F(PolicyBuild, AllowedPathsDoNotLeadThroughSymlinksInWritablePaths) {
  fs::create_directories(home_ + "/.local/bin");
  fs::create_directory_symlink(home_ + "/.local/bin", proj_ + "/.cache");
  fs::create_directories(home_ + "/.ssh");
  fs::create_directory_symlink(home_ + "/.ssh", proj_ + "/vendor");
  std::ofstream(root_ + "/docker.sock") << "";
  fs::create_symlink(root_ + "/docker.sock", proj_ + "/app.sock");
  struct Case {
    const char* key;
    Settings s;
  };
  std::vector<Case> cases(3);
  cases[0] = {"filesystem.allowWrite", {}};
  cases[0].s.filesystem.allow_write = {"./.cache"};
  cases[1] = {"filesystem.allowRead", {}};
  cases[1].s.filesystem.allow_read = {proj_ + "/vendor/id_ed25519"};
  cases[2] = {"network.allowUnixSockets", {}};
  cases[2].s.network.allow_unix_sockets = {"app.sock"};
  for (const auto& c : cases) {
    auto p = build_policy(c.s, home_, proj_, "", {}, proj_);
    ASSERT_FALSE(p.ok()) << c.key;
    EXPECT_NE(p.error().message().find(c.key), std::string::npos) << p.error().message();
    EXPECT_NE(p.error().message().find("leads through the symlink"), std::string::npos)
        << p.error().message();
  }
  // Named directly, the targets are the user's explicit choice.
  Settings direct;
  direct.filesystem.allow_write = {home_ + "/.local/bin"};
  direct.network.allow_unix_sockets = {root_ + "/docker.sock"};
  EXPECT_TRUE(build_policy(direct, home_, proj_, "", {}, proj_).ok());
  // A link that stays within the project changes nothing.
  Settings inside;
  inside.filesystem.allow_write = {"./bin"};
  EXPECT_TRUE(build_policy(inside, home_, proj_, "", {}, proj_).ok());
}

TEST_F(PolicyBuild, StateDirectoryIsAbsentAndHoldsTheHomeLayer) {
  // A home under /tmp has no layer (the sandbox's own /tmp holds it): one outside, in the build
  // directory or else in $HOME (a clone under /tmp builds there too). The build directory may be
  // inside a git work tree: the project is named, not found.
  std::string base;
  std::vector<std::string> places = {fs::current_path().string()};
  if (const char* h = std::getenv("HOME"); h != nullptr && *h == '/') places.emplace_back(h);
  for (const auto& place : places) {
    char real_place[PATH_MAX];
    if (::realpath(place.c_str(), real_place) == nullptr) continue;
    std::string candidate = std::string(real_place) + "/paddock-build-XXXXXX";
    if (sandbox_owned_tree(real_place) == nullptr && ::mkdtemp(candidate.data()) != nullptr) {
      base = candidate;
      break;
    }
  }
  if (base.empty())
    GTEST_SKIP() << "no writable directory outside /tmp and the like (build directory, $HOME)";
  struct Cleanup {
    std::string d;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{base};
  char buf[PATH_MAX];
  ASSERT_NE(::realpath(base.c_str(), buf), nullptr);
  home_ = std::string(buf) + "/home";
  proj_ = std::string(buf) + "/proj";
  fs::create_directories(home_);
  fs::create_directories(proj_);
  HostInputs host;
  host.state_dir = home_ + "/.local/state/paddock";
  auto p = build_policy(Settings{}, home_, proj_, "", host, proj_);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->fs.state_dir, host.state_dir);
  // Not there yet: masked in the layer all the same.
  EXPECT_TRUE(has(p->fs.deny_read_absent, host.state_dir));
  EXPECT_EQ(p->fs.home_layer.mode, HomeLayer::Mode::Persistent);
  EXPECT_EQ(p->fs.home_layer.path, home_);
  EXPECT_EQ(p->fs.home_layer.store, home_layer_store(host.state_dir, proj_));
  fs::create_directories(host.state_dir);
  p = build_policy(Settings{}, home_, proj_, "", host, proj_);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(has(p->fs.deny_read, host.state_dir));
  host.ephemeral_home = true;
  p = build_policy(Settings{}, home_, proj_, "", host, proj_);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->fs.home_layer.mode, HomeLayer::Mode::Ephemeral);
}

TEST_F(PolicyBuild, MissingAllowWritePathsAreToBeCreated) {
  Settings s;
  s.filesystem.allow_write = {home_ + "/.npm", proj_ + "/scripts", "~/new/deep"};
  auto p = build(s);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->fs.create_writable,
            (std::vector<std::string>{home_ + "/.npm", home_ + "/new/deep"}));
  EXPECT_TRUE(has(p->fs.writable, home_ + "/.npm"));
}

TEST_F(PolicyBuild, OtherUsersHomesAreAbsentUnlessTheyHoldTheRun) {
  fs::create_directories(root_ + "/alice/.ssh");
  HostInputs host;
  host.passwd = "alice:x:1000:1000::" + root_ + "/alice:/bin/sh\n" + "me:x:1001:1001::" + root_ +
                ":/bin/sh\n";
  auto p = build_policy(Settings{}, home_, proj_, "", host);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_TRUE(has(p->fs.deny_read, root_ + "/alice"));
  EXPECT_FALSE(has(p->fs.deny_read, root_));         // holds the home and the project
  EXPECT_TRUE(has(p->fs.deny_read, "/etc/shadow"));  // every Debian system has one
}

}  // namespace
}  // namespace paddock

namespace paddock {
namespace {

// Issue 10: a writable $PATH directory is warned about once, however often $PATH names it (or
// spells it differently).
TEST_F(PolicyBuild, WritablePathDirectoryWarnedOnce) {
  Settings s;
  auto p = build_policy(
      s, home_, proj_,
      proj_ + "/scripts:/usr/bin:" + proj_ + "/scripts:" + proj_ + "/bin:" + proj_ + "/scripts/");
  ASSERT_TRUE(p.ok()) << p.error().message();
  size_t n = 0;
  for (const auto& w : p->warnings) n += w.find("$PATH directory") != std::string::npos;
  EXPECT_EQ(n, 1u);
}

// A current directory that is a system directory is not writable unless allowWrite names it.
TEST_F(PolicyBuild, SystemDirectoryCwdStaysReadOnly) {
  Settings s;
  auto p = build_policy(s, home_, "/usr", "");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_FALSE(has(p->fs.writable, "/usr"));
  bool noted = false;
  for (const auto& n : p->notes) noted = noted || n.find("system directory") != std::string::npos;
  EXPECT_TRUE(noted);
  s.filesystem.allow_write = {"/usr"};
  p = build_policy(s, home_, "/usr", "");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_TRUE(has(p->fs.writable, "/usr"));
}

// Globs: denyRead expands, write rules refuse.
TEST_F(PolicyBuild, GlobsInFilesystemRules) {
  std::ofstream(proj_ + "/.env") << "x";
  std::ofstream(proj_ + "/prod.env") << "x";
  Settings s;
  s.filesystem.deny_read = {"./*.env"};
  auto p = build(s);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_TRUE(has(p->fs.deny_read, proj_ + "/.env"));
  EXPECT_TRUE(has(p->fs.deny_read, proj_ + "/prod.env"));
  for (auto key : {0, 1}) {
    Settings w;
    (key == 0 ? w.filesystem.allow_write : w.filesystem.deny_write) = {proj_ + "/*.log"};
    auto r = build(w);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().exit_code, 125);
  }
}

// ~/.ssh: known_hosts and config re-opened beneath the hidden directory, keys not.
TEST_F(PolicyBuild, SshFilesReopened) {
  fs::create_directories(home_ + "/.ssh");
  std::ofstream(home_ + "/.ssh/known_hosts") << "h k\n";
  std::ofstream(home_ + "/.ssh/config") << "IdentityFile ~/.ssh/work\n";
  std::ofstream(home_ + "/.ssh/work") << "key";
  std::ofstream(home_ + "/.ssh/id_rsa") << "key";
  Settings s;
  auto p = build(s);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_TRUE(has(p->fs.deny_read, home_ + "/.ssh"));
  EXPECT_TRUE(has(p->fs.allow_read, home_ + "/.ssh/known_hosts"));
  EXPECT_TRUE(has(p->fs.allow_read, home_ + "/.ssh/config"));
  EXPECT_FALSE(has(p->fs.allow_read, home_ + "/.ssh/work"));
  EXPECT_FALSE(has(p->fs.allow_read, home_ + "/.ssh/id_rsa"));
  // The user's own denyRead of one of them wins.
  s.filesystem.deny_read = {"~/.ssh/config"};
  p = build(s);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_FALSE(has(p->fs.allow_read, home_ + "/.ssh/config"));
}

}  // namespace
}  // namespace paddock
