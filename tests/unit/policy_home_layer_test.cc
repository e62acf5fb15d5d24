#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/sha256.h"
#include "policy/home_layer.h"

namespace paddock {
namespace {

HomeLayerInputs inputs(const std::vector<std::string>& writable,
                       const std::vector<std::string>& deny = {}) {
  static std::vector<std::string> w, d;
  w = writable;
  d = deny;
  HomeLayerInputs in;
  in.home = "/home/u";
  in.home_is_dir = true;
  in.state_dir = "/home/u/.local/state/paddock";
  in.project = "/home/u/src/p";
  in.writable = &w;
  in.deny_read = &d;
  return in;
}

TEST(PolicyHomeLayer, StateDirectoryFollowsXdg) {
  EXPECT_EQ(paddock_state_dir(nullptr, "/home/u"), "/home/u/.local/state/paddock");
  EXPECT_EQ(paddock_state_dir("", "/home/u"), "/home/u/.local/state/paddock");
  EXPECT_EQ(paddock_state_dir("relative/dir", "/home/u"), "/home/u/.local/state/paddock");
  EXPECT_EQ(paddock_state_dir("/x/state/", "/home/u"), "/x/state/paddock");
}

TEST(PolicyHomeLayer, StoreIsNamedByTheHashOfTheProject) {
  const std::string s = "/home/u/.local/state/paddock";
  std::string a = home_layer_store(s, "/home/u/src/p");
  EXPECT_EQ(a, s + "/homes/" + sha256_hex("/home/u/src/p").substr(0, 32));
  EXPECT_NE(a, home_layer_store(s, "/home/u/src/q"));
  EXPECT_NE(a, home_layer_store(s, "/home/u/src/p/"));  // canonical paths only reach here
  EXPECT_EQ(home_layers_dir(s), s + "/homes");
}

TEST(PolicyHomeLayer, UpperAndWorkDirectoriesNeverNest) {
  EXPECT_EQ(layer_upper_rel(""), "upper");
  EXPECT_EQ(layer_upper_rel(".cache"), "upper/.cache");
  EXPECT_NE(layer_work_rel(""), layer_work_rel(".cache"));
  EXPECT_EQ(layer_work_rel("").rfind("work/", 0), 0u);
  EXPECT_EQ(layer_work_rel(".cache").find('/', 5), std::string::npos);
}

TEST(PolicyHomeLayer, PersistentByDefault) {
  HomeLayer l = decide_home_layer(inputs({"/home/u/src/p"}));
  EXPECT_EQ(l.mode, HomeLayer::Mode::Persistent);
  EXPECT_EQ(l.path, "/home/u");
  EXPECT_EQ(l.store, home_layer_store("/home/u/.local/state/paddock", "/home/u/src/p"));
  EXPECT_TRUE(l.enabled());
}

TEST(PolicyHomeLayer, EphemeralWhenAsked) {
  HomeLayerInputs in = inputs({"/home/u/src/p"});
  in.ephemeral = true;
  HomeLayer l = decide_home_layer(in);
  EXPECT_EQ(l.mode, HomeLayer::Mode::Ephemeral);
  EXPECT_TRUE(l.store.empty());
  EXPECT_EQ(l.why, "--ephemeral-home");
}

TEST(PolicyHomeLayer, NoLayerWhereItMakesNoSense) {
  struct Case {
    std::string home;
    bool is_dir;
    std::vector<std::string> writable, deny;
    std::string why_has;
  };
  const std::vector<Case> cases = {
      {"/", true, {"/home/u/src/p"}, {}, "is /"},
      {"/home/u", false, {"/home/u/src/p"}, {}, "does not exist"},
      {"/tmp/h", true, {"/home/u/src/p"}, {}, "under /tmp"},
      {"/run/user/1000", true, {"/home/u/src/p"}, {}, "under /run"},
      {"/home/u", true, {"/home/u"}, {}, "writable (/home/u)"},
      {"/home/u", true, {"/home"}, {}, "writable (/home)"},
      {"/home/u", true, {"/srv/p"}, {"/home"}, "inside the denied path /home"},
  };
  for (const auto& c : cases) {
    HomeLayerInputs in = inputs(c.writable, c.deny);
    in.home = c.home;
    in.home_is_dir = c.is_dir;
    HomeLayer l = decide_home_layer(in);
    EXPECT_EQ(l.mode, HomeLayer::Mode::None) << c.home;
    EXPECT_NE(l.why.find(c.why_has), std::string::npos) << l.why;
    EXPECT_FALSE(l.enabled());
  }
  // A writable path inside the home is no reason: it is bound on top of the layer.
  EXPECT_TRUE(decide_home_layer(inputs({"/home/u/src/p", "/home/u/.npm"})).enabled());
  // A denied path inside the home neither.
  EXPECT_TRUE(decide_home_layer(inputs({"/home/u/src/p"}, {"/home/u/.ssh"})).enabled());
}

}  // namespace
}  // namespace paddock
