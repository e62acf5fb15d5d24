#include <gtest/gtest.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "policy/paths.h"
#include "temp_dir.h"

namespace paddock {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// normalize_path

TEST(PolicyPathsNormalize, RootStaysRoot) {
  EXPECT_EQ(normalize_path("/"), "/");
  EXPECT_EQ(normalize_path("//"), "/");
  EXPECT_EQ(normalize_path("///"), "/");
  EXPECT_EQ(normalize_path("/."), "/");
  EXPECT_EQ(normalize_path("/./"), "/");
}

TEST(PolicyPathsNormalize, DotDotAtRootStaysAtRoot) {
  EXPECT_EQ(normalize_path("/.."), "/");
  EXPECT_EQ(normalize_path("/../.."), "/");
  EXPECT_EQ(normalize_path("/../etc"), "/etc");
  EXPECT_EQ(normalize_path("/a/../../b"), "/b");
}

TEST(PolicyPathsNormalize, CollapsesSlashesAndDots) {
  EXPECT_EQ(normalize_path("//a//b/"), "/a/b");
  EXPECT_EQ(normalize_path("/a/./b/."), "/a/b");
  EXPECT_EQ(normalize_path("/a/b/.."), "/a");
  EXPECT_EQ(normalize_path("/a/b/../c/./d//"), "/a/c/d");
  EXPECT_EQ(normalize_path("/a/b/c/../../.."), "/");
}

TEST(PolicyPathsNormalize, DropsTrailingSlash) {
  EXPECT_EQ(normalize_path("/home/u/"), "/home/u");
  EXPECT_EQ(normalize_path("/home/u////"), "/home/u");
}

TEST(PolicyPathsNormalize, KeepsNamesThatLookLikeDots) {
  EXPECT_EQ(normalize_path("/a/.../b"), "/a/.../b");
  EXPECT_EQ(normalize_path("/a/..b/c"), "/a/..b/c");
  EXPECT_EQ(normalize_path("/a/.b"), "/a/.b");
  EXPECT_EQ(normalize_path("/a/b."), "/a/b.");
}

TEST(PolicyPathsNormalize, Idempotent) {
  for (const char* p : {"/", "/a", "/a/b/c", "/a/.../b", "/.git/hooks"}) {
    std::string once = normalize_path(p);
    EXPECT_EQ(normalize_path(once), once) << p;
  }
}

// ---------------------------------------------------------------------------------------------
// expand_path

const std::string kHome = "/home/u";
const std::string kCwd = "/work/proj";

std::string expand_ok(std::string_view raw) {
  auto r = expand_path(raw, kHome, kCwd);
  EXPECT_TRUE(r.ok()) << raw << ": " << (r.ok() ? "" : r.error().message());
  return r.ok() ? *r : std::string();
}

TEST(PolicyPathsExpand, TildeAlone) {
  EXPECT_EQ(expand_ok("~"), "/home/u");
}

TEST(PolicyPathsExpand, TildeSlash) {
  EXPECT_EQ(expand_ok("~/"), "/home/u");
  EXPECT_EQ(expand_ok("~/x"), "/home/u/x");
  EXPECT_EQ(expand_ok("~/.ssh/id_rsa"), "/home/u/.ssh/id_rsa");
  EXPECT_EQ(expand_ok("~//x//y/"), "/home/u/x/y");
}

TEST(PolicyPathsExpand, TildeDotDotIsNormalised) {
  EXPECT_EQ(expand_ok("~/../other"), "/home/other");
  EXPECT_EQ(expand_ok("~/a/../b"), "/home/u/b");
}

TEST(PolicyPathsExpand, OtherUsersHomeRefused) {
  for (const char* raw : {"~bob", "~bob/.ssh", "~root", "~~", "~."}) {
    auto r = expand_path(raw, kHome, kCwd);
    ASSERT_FALSE(r.ok()) << raw;
    EXPECT_EQ(r.error().path, raw);
    EXPECT_NE(r.error().message().find("~"), std::string::npos) << r.error().message();
  }
}

TEST(PolicyPathsExpand, TildeNeedsAbsoluteHome) {
  EXPECT_FALSE(expand_path("~", "", kCwd).ok());
  EXPECT_FALSE(expand_path("~/x", "", kCwd).ok());
  EXPECT_FALSE(expand_path("~/x", "relative/home", kCwd).ok());
  // Without a tilde, HOME does not matter.
  auto r = expand_path("/etc", "", kCwd);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "/etc");
}

TEST(PolicyPathsExpand, TildeInsideAPathIsAName) {
  EXPECT_EQ(expand_ok("a/~"), "/work/proj/a/~");
  EXPECT_EQ(expand_ok("/x/~/y"), "/x/~/y");
  EXPECT_EQ(expand_ok("./~"), "/work/proj/~");
}

TEST(PolicyPathsExpand, Absolute) {
  EXPECT_EQ(expand_ok("/etc/passwd"), "/etc/passwd");
  EXPECT_EQ(expand_ok("/etc/../var//log/"), "/var/log");
  EXPECT_EQ(expand_ok("/"), "/");
}

TEST(PolicyPathsExpand, RelativeTakenFromCwd) {
  EXPECT_EQ(expand_ok("build"), "/work/proj/build");
  EXPECT_EQ(expand_ok("./build/"), "/work/proj/build");
  EXPECT_EQ(expand_ok("."), "/work/proj");
  EXPECT_EQ(expand_ok(".."), "/work");
  EXPECT_EQ(expand_ok("../other/x"), "/work/other/x");
  EXPECT_EQ(expand_ok("../../../../.."), "/");
}

TEST(PolicyPathsExpand, EmptyRefused) {
  EXPECT_FALSE(expand_path("", kHome, kCwd).ok());
}

TEST(PolicyPathsExpand, NulRefused) {
  using namespace std::string_view_literals;
  for (std::string_view raw : {"/etc/pass\0wd"sv, "\0"sv, "~/\0x"sv, "rel\0"sv}) {
    auto r = expand_path(raw, kHome, kCwd);
    EXPECT_FALSE(r.ok()) << "NUL accepted at length " << raw.size();
  }
}

// ---------------------------------------------------------------------------------------------
// resolve_path: a real temporary tree with real symlinks.

class PolicyPathsResolve : public ::testing::Test {
 protected:
  void SetUp() override {
    char buf[PATH_MAX];
    ASSERT_NE(::realpath(tmp_.path().c_str(), buf), nullptr);
    root_ = buf;  // canonical (/tmp may itself be a symlink on some hosts)
    fs::create_directories(root_ + "/real/sub");
    std::ofstream(root_ + "/real/sub/file") << "x";
    fs::create_directory_symlink(root_ + "/real", root_ + "/abs-link");       // absolute target
    fs::create_directory_symlink("real/sub", root_ + "/rel-link");            // relative target
    fs::create_directory_symlink("../../real", root_ + "/real/sub/up-link");  // with ..
    fs::create_symlink("abs-link", root_ + "/chain");                         // link to a link
    fs::create_symlink("sub/file", root_ + "/real/file-link");                // file link
    fs::create_symlink(root_ + "/nowhere", root_ + "/dangling");
    fs::create_symlink("loop-b", root_ + "/loop-a");
    fs::create_symlink("loop-a", root_ + "/loop-b");
  }
  std::string resolve_ok(const std::string& p) {
    auto r = resolve_path(p);
    EXPECT_TRUE(r.ok()) << p << ": " << (r.ok() ? "" : r.error().message());
    return r.ok() ? *r : std::string();
  }

  TempDir tmp_{"paddock-paths"};
  std::string root_;
};

TEST_F(PolicyPathsResolve, ExistingPathsAreCanonical) {
  EXPECT_EQ(resolve_ok(root_), root_);
  EXPECT_EQ(resolve_ok(root_ + "/real/sub/file"), root_ + "/real/sub/file");
  EXPECT_EQ(resolve_ok(root_ + "/real/./sub/../sub/file"), root_ + "/real/sub/file");
  EXPECT_EQ(resolve_ok("/"), "/");
}

TEST_F(PolicyPathsResolve, SymlinksResolved) {
  EXPECT_EQ(resolve_ok(root_ + "/abs-link"), root_ + "/real");
  EXPECT_EQ(resolve_ok(root_ + "/abs-link/sub/file"), root_ + "/real/sub/file");
  EXPECT_EQ(resolve_ok(root_ + "/rel-link"), root_ + "/real/sub");
  EXPECT_EQ(resolve_ok(root_ + "/rel-link/file"), root_ + "/real/sub/file");
  EXPECT_EQ(resolve_ok(root_ + "/real/sub/up-link/sub"), root_ + "/real/sub");
  EXPECT_EQ(resolve_ok(root_ + "/chain/sub"), root_ + "/real/sub");
  EXPECT_EQ(resolve_ok(root_ + "/real/file-link"), root_ + "/real/sub/file");
}

TEST_F(PolicyPathsResolve, MissingTailAppendedToResolvedPrefix) {
  EXPECT_EQ(resolve_ok(root_ + "/real/new"), root_ + "/real/new");
  EXPECT_EQ(resolve_ok(root_ + "/real/new/deeper/still"), root_ + "/real/new/deeper/still");
  // The existing prefix is resolved even though the tail does not exist.
  EXPECT_EQ(resolve_ok(root_ + "/abs-link/new/x"), root_ + "/real/new/x");
  EXPECT_EQ(resolve_ok(root_ + "/rel-link/not/yet"), root_ + "/real/sub/not/yet");
  EXPECT_EQ(resolve_ok(root_ + "/chain/sub/a/b"), root_ + "/real/sub/a/b");
}

TEST_F(PolicyPathsResolve, MissingTailIsNormalisedFirst) {
  // ".." is lexical: it applies before any symlink is followed.
  EXPECT_EQ(resolve_ok(root_ + "/real/new/../sub"), root_ + "/real/sub");
  EXPECT_EQ(resolve_ok(root_ + "/real//new//x/"), root_ + "/real/new/x");
}

TEST_F(PolicyPathsResolve, ComponentBeneathAFile) {
  // ENOTDIR walks up like ENOENT: the file's path is kept and the rest appended.
  EXPECT_EQ(resolve_ok(root_ + "/real/sub/file/x"), root_ + "/real/sub/file/x");
  EXPECT_EQ(resolve_ok(root_ + "/real/file-link/x"), root_ + "/real/sub/file/x");
}

TEST_F(PolicyPathsResolve, DanglingSymlinkShouldResolveToWhereAWriteLands) {
  // Design 4: "a write is judged by where it lands". Creating <root>/dangling/x (after mkdir of
  // the target) lands in <root>/nowhere/x, and open(O_CREAT) of <root>/dangling creates
  // <root>/nowhere. resolve_path keeps the link's own name instead, so a denyWrite or allowWrite
  // rule naming a path through a dangling link is attached to the wrong place.
  EXPECT_EQ(resolve_ok(root_ + "/dangling"), root_ + "/nowhere");
  EXPECT_EQ(resolve_ok(root_ + "/dangling/x"), root_ + "/nowhere/x");
}

TEST_F(PolicyPathsResolve, SymlinkLoopIsAnErrorNamingThePath) {
  for (const std::string& p : {root_ + "/loop-a", root_ + "/loop-a/x/y"}) {
    auto r = resolve_path(p);
    ASSERT_FALSE(r.ok()) << p << " -> " << *r;
    EXPECT_EQ(r.error().path, p);
    EXPECT_EQ(r.error().err, ELOOP);
  }
}

TEST_F(PolicyPathsResolve, NoExistingPrefixBelowRootStillResolves) {
  EXPECT_EQ(resolve_ok("/paddock-surely-missing-dir/a/b"), "/paddock-surely-missing-dir/a/b");
}

TEST_F(PolicyPathsResolve, SpellingsFollowTheResolutionOneLinkAtATime) {
  auto spell = [](const std::string& p) {
    auto r = PathResolver().spellings(p);
    EXPECT_TRUE(r.ok()) << p;
    return r.ok() ? *r : std::vector<std::string>{};
  };
  // No link: the one path.
  EXPECT_EQ(spell(root_ + "/real/./sub/file"), std::vector<std::string>{root_ + "/real/sub/file"});
  // A file link: the link itself, then its target.
  EXPECT_EQ(spell(root_ + "/real/file-link"),
            (std::vector<std::string>{root_ + "/real/file-link", root_ + "/real/sub/file"}));
  // Link to a link to a directory, with a tail: every intermediate form, resolved last.
  EXPECT_EQ(spell(root_ + "/chain/sub/file"),
            (std::vector<std::string>{root_ + "/chain/sub/file", root_ + "/abs-link/sub/file",
                                      root_ + "/real/sub/file"}));
  // A dangling link and a missing tail: where a write would land comes last.
  EXPECT_EQ(spell(root_ + "/dangling/x"),
            (std::vector<std::string>{root_ + "/dangling/x", root_ + "/nowhere/x"}));
  // The resolved path is always last, equal to resolve().
  for (const std::string& p :
       {root_ + "/rel-link/file", root_ + "/real/sub/up-link/sub", root_ + "/abs-link/new/x"})
    EXPECT_EQ(spell(p).back(), resolve_ok(p)) << p;
  EXPECT_FALSE(PathResolver().spellings(root_ + "/loop-a").ok());
}

// ---------------------------------------------------------------------------------------------
// path_within

TEST(PolicyPathsWithin, EqualIsWithin) {
  EXPECT_TRUE(path_within("/a/b", "/a/b"));
  EXPECT_TRUE(path_within("/", "/"));
}

TEST(PolicyPathsWithin, Beneath) {
  EXPECT_TRUE(path_within("/a/b/c", "/a/b"));
  EXPECT_TRUE(path_within("/a/b/c/d/e", "/a"));
}

TEST(PolicyPathsWithin, SiblingWithSharedPrefixIsNotWithin) {
  EXPECT_FALSE(path_within("/a/bc", "/a/b"));
  EXPECT_FALSE(path_within("/a/b.txt", "/a/b"));
  EXPECT_FALSE(path_within("/a/b-old/x", "/a/b"));
  EXPECT_FALSE(path_within("/tmpfoo", "/tmp"));
  EXPECT_FALSE(path_within("/home/user2", "/home/user"));
}

TEST(PolicyPathsWithin, AncestorIsNotWithin) {
  EXPECT_FALSE(path_within("/a", "/a/b"));
  EXPECT_FALSE(path_within("/", "/a"));
}

TEST(PolicyPathsWithin, RootPrefixHoldsEveryAbsolutePath) {
  EXPECT_TRUE(path_within("/", "/"));
  EXPECT_TRUE(path_within("/a", "/"));
  EXPECT_TRUE(path_within("/a/b/c", "/"));
  EXPECT_FALSE(path_within("", "/"));
  EXPECT_FALSE(path_within("relative", "/"));
}

TEST(PolicyPathsWithin, Unrelated) {
  EXPECT_FALSE(path_within("/x/y", "/a"));
  EXPECT_FALSE(path_within("", "/a"));
}

// ---------------------------------------------------------------------------------------------
// components, parent, base, join

std::vector<std::string> comps(std::string_view p) {
  std::vector<std::string> out;
  for (auto c : path_components(p)) out.emplace_back(c);
  return out;
}

TEST(PolicyPathsComponents, Split) {
  using V = std::vector<std::string>;
  EXPECT_EQ(comps("/"), V{});
  EXPECT_EQ(comps(""), V{});
  EXPECT_EQ(comps("/a"), V{"a"});
  EXPECT_EQ(comps("/a/b/c"), (V{"a", "b", "c"}));
  EXPECT_EQ(comps("//a//b/"), (V{"a", "b"}));
  EXPECT_EQ(comps("/x/.git/hooks/pre-commit"), (V{"x", ".git", "hooks", "pre-commit"}));
}

TEST(PolicyPathsComponents, ViewsPointIntoTheInput) {
  std::string p = "/alpha/beta";
  auto v = path_components(p);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].data(), p.data() + 1);
  EXPECT_EQ(v[1].data(), p.data() + 7);
}

TEST(PolicyPathsParentBase, Parent) {
  EXPECT_EQ(parent_path("/a/b/c"), "/a/b");
  EXPECT_EQ(parent_path("/a/b"), "/a");
  EXPECT_EQ(parent_path("/a"), "/");
  EXPECT_EQ(parent_path("/"), "/");
  EXPECT_EQ(parent_path("noslash"), "/");
}

TEST(PolicyPathsParentBase, Base) {
  EXPECT_EQ(base_name("/a/b/c"), "c");
  EXPECT_EQ(base_name("/a"), "a");
  EXPECT_EQ(base_name("/"), "");
  EXPECT_EQ(base_name("name"), "name");
  EXPECT_EQ(base_name("/a/.bashrc"), ".bashrc");
}

TEST(PolicyPathsParentBase, Join) {
  EXPECT_EQ(join_path("/", "etc"), "/etc");
  EXPECT_EQ(join_path("/a", "b"), "/a/b");
  EXPECT_EQ(join_path("/a/b", ".git/hooks"), "/a/b/.git/hooks");
}

TEST(PolicyPathsParentBase, JoinOfParentAndBaseRoundTrips) {
  for (const char* p : {"/a", "/a/b", "/home/u/.config/gcloud", "/.git"}) {
    EXPECT_EQ(join_path(parent_path(p), base_name(p)), p);
  }
}

// ---------------------------------------------------------------------------------------------
// PathResolver: one resolver reused for many paths gives what resolve_path gives for each.

TEST_F(PolicyPathsResolve, SharedResolverAgreesWithResolvePath) {
  std::vector<std::string> paths;
  for (const char* rel :
       {"", "/real/sub/file", "/abs-link/sub/file", "/rel-link/file", "/real/sub/up-link/sub",
        "/chain/sub/a/b", "/real/file-link/x", "/dangling/x", "/real/new/../sub", "/abs-link/new/x",
        "/rel-link/not/yet", "/real/sub/file/x"})
    paths.push_back(root_ + rel);
  PathResolver shared;
  for (int round = 0; round < 2; ++round)  // the second round is answered from the cache
    for (const auto& p : paths) {
      auto a = shared.resolve(p);
      ASSERT_TRUE(a.ok()) << p;
      EXPECT_EQ(*a, resolve_ok(p)) << p << " round " << round;
    }
  auto loop = shared.resolve(root_ + "/loop-a/x");
  ASSERT_FALSE(loop.ok());
  EXPECT_EQ(loop.error().err, ELOOP);
}

// ---------------------------------------------------------------------------------------------
// PathSet

TEST(PolicyPathSet, CoveringFindsTheNearestMember) {
  PathSet s({"/a", "/a/b/c", "/x/y"});
  ASSERT_NE(s.covering("/a/b/c/d"), nullptr);
  EXPECT_EQ(*s.covering("/a/b/c/d"), "/a/b/c");
  EXPECT_EQ(*s.covering("/a/b/c"), "/a/b/c");
  EXPECT_EQ(*s.covering("/a/b"), "/a");
  EXPECT_EQ(*s.covering("/a/b/c", /*strictly_above=*/true), "/a");
  EXPECT_EQ(s.covering("/a", /*strictly_above=*/true), nullptr);
  EXPECT_EQ(*s.covering("/x/y/z/w"), "/x/y");
}

TEST(PolicyPathSet, SharedPrefixIsNotCovering) {
  PathSet s({"/a/b", "/tmp"});
  EXPECT_EQ(s.covering("/a/bc"), nullptr);
  EXPECT_EQ(s.covering("/a/b.txt/x"), nullptr);
  EXPECT_EQ(s.covering("/tmpfoo"), nullptr);
  EXPECT_EQ(s.covering("/a"), nullptr);
  EXPECT_EQ(s.covering("relative/a/b"), nullptr);
}

TEST(PolicyPathSet, RootCoversEverything) {
  PathSet s({"/"});
  EXPECT_EQ(*s.covering("/"), "/");
  EXPECT_EQ(*s.covering("/any/where"), "/");
  EXPECT_EQ(s.covering("/", /*strictly_above=*/true), nullptr);
  PathSet empty;
  EXPECT_EQ(empty.covering("/a"), nullptr);
  empty.insert("/a");
  EXPECT_TRUE(empty.contains("/a"));
  EXPECT_EQ(*empty.covering("/a/b"), "/a");
}

TEST(PolicyPathSet, AgreesWithPathWithin) {
  const std::vector<std::string> members = {"/", "/a", "/a/b", "/ab", "/a/bc/d", "/z"};
  const std::vector<std::string> probes = {"/",     "/a",        "/a/b", "/a/b/c", "/ab/x",
                                           "/a/bc", "/a/bc/d/e", "/zz",  "/z/1"};
  for (size_t mask = 1; mask < (1u << members.size()); ++mask) {
    std::vector<std::string> chosen;
    for (size_t i = 0; i < members.size(); ++i)
      if (mask & (1u << i)) chosen.push_back(members[i]);
    PathSet s(chosen);
    for (const auto& p : probes)
      for (bool strict : {false, true}) {
        bool want = false;
        for (const auto& m : chosen)
          if (path_within(p, m) && !(strict && p == m)) want = true;
        EXPECT_EQ(s.covering(p, strict) != nullptr, want) << p << " strict " << strict;
      }
  }
}

// list_directory() answers from one directory read: every answer must be the one a lookup of
// its own gives, whatever was listed.
TEST_F(PolicyPathsResolve, ListedDirectoryAnswersAsLookupsDo) {
  const std::vector<std::string> asked = {
      root_ + "/real",           root_ + "/abs-link",       root_ + "/rel-link",
      root_ + "/chain",          root_ + "/dangling",       root_ + "/missing",
      root_ + "/missing/deeper", root_ + "/real/sub/file",  root_ + "/real/sub/none",
      root_ + "/real/file-link", root_ + "/abs-link/sub/x", root_ + "/real/nothing/here"};
  PathResolver plain;
  PathResolver listing;
  listing.list_directory(root_);
  listing.list_directory(root_ + "/real");
  for (const auto& p : asked) {
    auto a = plain.present(p);
    auto b = listing.present(p);
    ASSERT_TRUE(a.ok() && b.ok()) << p;
    EXPECT_EQ(*a, *b) << p;
    auto ra = plain.resolve(p);
    auto rb = listing.resolve(p);
    ASSERT_TRUE(ra.ok() && rb.ok()) << p;
    EXPECT_EQ(*ra, *rb) << p;
  }
  // A name made after the listing is not seen: the listing is the snapshot the policy uses,
  // like any lookup made a moment earlier.
  EXPECT_FALSE(*listing.present(root_ + "/missing"));
}

}  // namespace
}  // namespace paddock
