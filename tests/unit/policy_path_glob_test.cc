#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/closest_word.h"
#include "policy/path_glob.h"
#include "policy/paths.h"
#include "policy/policy.h"

namespace paddock {
namespace {

class TreeFs final : public HostFs {
 public:
  TreeFs& dir(const std::string& p) { return add(p, EntryType::Dir); }
  TreeFs& file(const std::string& p) { return add(p, EntryType::File); }
  EntryType type(const std::string& p) const override {
    if (p == "/") return EntryType::Dir;
    auto it = types_.find(p);
    return it == types_.end() ? EntryType::Missing : it->second;
  }
  std::vector<HostEntry> list(const std::string& d) const override {
    ++lists;
    std::vector<HostEntry> out;
    auto it = children_.find(d);
    if (it != children_.end())
      for (const auto& n : it->second) out.push_back({n, type(join_path(d, n))});
    return out;
  }
  std::string read_link(const std::string&) const override { return {}; }
  mutable int lists = 0;

 private:
  TreeFs& add(const std::string& p, EntryType t) {
    types_[p] = t;
    children_[parent_path(p)].insert(base_name(p));
    return *this;
  }
  std::map<std::string, EntryType> types_;
  std::map<std::string, std::set<std::string>> children_;
};

TEST(PathGlob, DetectsUnescapedMetacharacters) {
  EXPECT_TRUE(has_glob("~/proj/*.env"));
  EXPECT_TRUE(has_glob("/a/file?.txt"));
  EXPECT_TRUE(has_glob("/a/[ab].txt"));
  EXPECT_FALSE(has_glob("/a/plain.txt"));
  EXPECT_FALSE(has_glob("/a/lit\\*.txt"));
}

TEST(PathGlob, ExpandsWithinComponentsIncludingDotFiles) {
  TreeFs fs;
  fs.dir("/h")
      .dir("/h/proj")
      .file("/h/proj/.env")
      .file("/h/proj/prod.env")
      .file("/h/proj/readme.md")
      .dir("/h/proj/sub")
      .file("/h/proj/sub/x.env");
  auto r = expand_glob("/h/proj/*.env", fs, "filesystem.denyRead", "~/proj/*.env");
  ASSERT_TRUE(r.ok()) << r.error().message();
  // `*.env` matches `.env`: a secret file is denied even when its name starts with a dot.
  EXPECT_EQ(*r, (std::vector<std::string>{"/h/proj/.env", "/h/proj/prod.env"}));
  r = expand_glob("/h/*/sub/?.env", fs, "k", "raw");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<std::string>{"/h/proj/sub/x.env"}));
  r = expand_glob("/h/proj/[pr]*", fs, "k", "raw");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<std::string>{"/h/proj/prod.env", "/h/proj/readme.md"}));
  r = expand_glob("/nothing/*.env", fs, "k", "raw");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(PathGlob, RefusesAnyDepthAndTooManyMatches) {
  TreeFs fs;
  fs.dir("/a").file("/a/1").file("/a/2").file("/a/3");
  auto r = expand_glob("/a/**/x", fs, "filesystem.denyRead", "/a/**/x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("**"), std::string::npos) << r.error().message();
  EXPECT_EQ(r.error().exit_code, 125);
  r = expand_glob("/a/*", fs, "k", "/a/*", 2);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("more than 2"), std::string::npos);
}

TEST(SystemDirectory, RootSystemTreesAndSharedParents) {
  for (const char* d : {"/", "/usr", "/usr/local/bin", "/etc", "/etc/nginx", "/var", "/var/lib",
                        "/var/lib/docker", "/home", "/opt", "/boot", "/sys/fs", "/lib64"})
    EXPECT_TRUE(is_system_directory(d)) << d;
  for (const char* d : {"/home/me/proj", "/root", "/root/proj", "/var/www/site", "/opt/app",
                        "/srv/data", "/tmp/x", "/work/repo", "/usrx", "/variable"})
    EXPECT_FALSE(is_system_directory(d)) << d;
}

TEST(ClosestWord, SuggestsSubcommands) {
  const std::vector<std::string_view> cmds = {"run", "doctor", "policy", "connect"};
  EXPECT_EQ(closest_word("rn", cmds), "run");
  EXPECT_EQ(closest_word("docter", cmds), "doctor");
  EXPECT_EQ(closest_word("polcy", cmds), "policy");
  EXPECT_EQ(closest_word("xyzzy", cmds), "");
}

}  // namespace
}  // namespace paddock
