#include "walls/mask_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "temp_dir.h"

namespace paddock {
namespace {

namespace fs = std::filesystem;
using K = MaskEntry::Kind;

MaskRecipe recipe() {
  MaskRecipe r;
  r.root_mode = 0750;
  r.entries = {{K::Whiteout, ".ssh", 0},          {K::Dir, ".config", 0755},
               {K::Whiteout, ".config/gh", 0},    {K::OpaqueDir, ".config/priv", 0700},
               {K::File, ".config/priv/f", 0644}, {K::Whiteout, ".aws", 0}};
  return r;
}

struct Cache {
  TempDir t{"paddock-maskcache"};
  MaskCache open() const {
    return MaskCache(UniqueFd(::open(t.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)),
                     t.path());
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(t.path())) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
};

bool is_whiteout(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

TEST(MaskCache, AKeptMaskIsFoundAndIsWhatTheRecipeMakes) {
  Cache c;
  MaskCache cache = c.open();
  EXPECT_EQ(cache.use(recipe()), std::nullopt);  // nothing kept yet
  ASSERT_TRUE(cache.keep(recipe()).ok());
  auto path = cache.use(recipe());
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(*path, c.t.path() + "/" + mask_key(recipe()) + "/mask");
  EXPECT_TRUE(is_whiteout(*path + "/.ssh"));
  EXPECT_TRUE(is_whiteout(*path + "/.aws"));
  EXPECT_TRUE(is_whiteout(*path + "/.config/gh"));
  EXPECT_EQ(fs::status(*path).permissions(), fs::perms(0750));
  EXPECT_EQ(fs::status(*path + "/.config").permissions(), fs::perms(0755));
  char v[2] = {};
  EXPECT_EQ(::getxattr((*path + "/.config/priv").c_str(), "user.overlay.opaque", v, 2), 1);
  EXPECT_EQ(v[0], 'y');
  EXPECT_TRUE(fs::is_regular_file(*path + "/.config/priv/f"));
  // Another recipe is another mask.
  MaskRecipe other = recipe();
  other.entries.pop_back();
  EXPECT_EQ(cache.use(other), std::nullopt);
  // Keeping it again changes nothing.
  ASSERT_TRUE(cache.keep(recipe()).ok());
  EXPECT_EQ(c.names(), std::vector<std::string>{mask_key(recipe())});
}

// Each way a kept mask can differ from its recipe: it must never be used, and is set aside.
TEST(MaskCache, AMaskThatIsNotExactlyItsRecipeIsNeverUsed) {
  const std::vector<std::pair<const char*, std::function<void(const std::string&)>>> tampers = {
      {"a whiteout removed", [](const std::string& m) { fs::remove(m + "/.aws"); }},
      {"a whiteout in a subdirectory removed",
       [](const std::string& m) { fs::remove(m + "/.config/gh"); }},
      {"a whiteout become a file",
       [](const std::string& m) {
         fs::remove(m + "/.ssh");
         std::ofstream(m + "/.ssh") << "x";
       }},
      {"a whiteout of its own, not a link",
       [](const std::string& m) {
         fs::remove(m + "/.ssh");
         ASSERT_EQ(::mknod((m + "/.ssh").c_str(), S_IFCHR, makedev(0, 0)), 0);
       }},
      {"an entry more", [](const std::string& m) { std::ofstream(m + "/.bashrc") << "x"; }},
      {"the opaque attribute removed",
       [](const std::string& m) {
         ASSERT_EQ(::removexattr((m + "/.config/priv").c_str(), "user.overlay.opaque"), 0);
       }},
      {"an opaque directory removed",
       [](const std::string& m) { fs::remove_all(m + "/.config/priv"); }},
      {"a directory's mode changed",
       [](const std::string& m) { fs::permissions(m + "/.config", fs::perms(0777)); }},
      {"the root's mode changed",
       [](const std::string& m) { fs::permissions(m, fs::perms(0755)); }},
      {"a directory become a symlink",
       [](const std::string& m) {
         fs::rename(m + "/.config", m + "/../elsewhere");
         fs::create_directory_symlink("../elsewhere", m + "/.config");
       }},
      {"the template replaced",
       [](const std::string& m) {
         fs::remove(m + "/../whiteout");
         std::ofstream(m + "/../whiteout") << "";
       }},
  };
  for (const auto& [what, tamper] : tampers) {
    Cache c;
    MaskCache cache = c.open();
    ASSERT_TRUE(cache.keep(recipe()).ok()) << what;
    const std::string mask = c.t.path() + "/" + mask_key(recipe()) + "/mask";
    tamper(mask);
    EXPECT_EQ(cache.use(recipe()), std::nullopt) << what;
    auto names = c.names();
    ASSERT_EQ(names.size(), 1u) << what;
    EXPECT_TRUE(names[0].starts_with("stale-")) << what << ": " << names[0];
    // The next keep makes a good one, which is used.
    ASSERT_TRUE(cache.keep(recipe()).ok()) << what;
    EXPECT_TRUE(cache.use(recipe()).has_value()) << what;
  }
}

TEST(MaskCache, OneInUseIsNotSetAsideEvenWhenItFailsAnotherCheck) {
  Cache c;
  MaskCache cache = c.open();
  ASSERT_TRUE(cache.keep(recipe()).ok());
  ASSERT_TRUE(cache.use(recipe()).has_value());  // another run's: about to mount it by name
  fs::remove(c.t.path() + "/" + mask_key(recipe()) + "/mask/.aws");
  EXPECT_EQ(cache.use(recipe()), std::nullopt);  // never used when it differs ...
  // ... but left where that run will look for it.
  EXPECT_EQ(c.names(), std::vector<std::string>{mask_key(recipe())});
}

TEST(MaskCache, SweepRemovesWhatNobodyHoldsAndNothingInUse) {
  Cache c;
  MaskCache cache = c.open();
  ASSERT_TRUE(cache.keep(recipe()).ok());
  ASSERT_TRUE(cache.use(recipe()).has_value());  // held until this process exits
  // Set aside while in use (as after a failed check by another run): kept until let go.
  const std::string in_use = c.t.path() + "/stale-inuse";
  fs::rename(c.t.path() + "/" + mask_key(recipe()), in_use);
  // Left by a run that died while making one, and one set aside nobody holds.
  fs::create_directories(c.t.path() + "/new-dead/mask/.config");
  fs::create_directories(c.t.path() + "/stale-old/mask");
  cache.sweep();
  EXPECT_EQ(c.names(), std::vector<std::string>{"stale-inuse"});
  // One being made (its maker holds it exclusively) is left alone.
  fs::create_directories(c.t.path() + "/new-busy");
  UniqueFd busy(::open((c.t.path() + "/new-busy").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_EQ(::flock(busy.get(), LOCK_EX | LOCK_NB), 0);
  cache.sweep();
  EXPECT_EQ(c.names(), (std::vector<std::string>{"new-busy", "stale-inuse"}));
}

TEST(MaskCache, NoMoreThanKMaxKeptAreKept) {
  Cache c;
  MaskCache cache = c.open();
  for (size_t i = 0; i < MaskCache::kMaxKept + 3; ++i) {
    MaskRecipe r = recipe();
    r.entries.push_back({K::Whiteout, "extra" + std::to_string(i), 0});
    ASSERT_TRUE(cache.keep(r).ok());
  }
  cache.sweep();
  EXPECT_EQ(c.names().size(), MaskCache::kMaxKept);
}

}  // namespace
}  // namespace paddock
