#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/kernel_abi.h"
#include "walls/landlock.h"

namespace paddock {
namespace {

using namespace kabi;

constexpr uint64_t kAbi1Rights = FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_CHAR |
                                 FS_MAKE_DIR | FS_MAKE_REG | FS_MAKE_SOCK | FS_MAKE_FIFO |
                                 FS_MAKE_BLOCK | FS_MAKE_SYM;
constexpr uint64_t kReadRights = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR;

const std::vector<std::string> kDevNodes = {"/dev/null",   "/dev/zero",   "/dev/full",
                                            "/dev/tty",    "/dev/pts",    "/dev/ptmx",
                                            "/dev/random", "/dev/urandom"};

// The filesystem half: TCP left alone.
LandlockPlan plan(int abi, const std::vector<std::string>& roots) {
  return plan_landlock(abi, roots, /*allow_local_binding=*/true, {});
}

const LandlockRule* rule_for(const LandlockPlan& p, const std::string& path) {
  for (const auto& r : p.rules)
    if (r.path == path) return &r;
  return nullptr;
}

uint64_t expected_rights(int abi) {
  uint64_t r = kAbi1Rights;
  if (abi >= 2) r |= FS_REFER;
  return r;
}

TEST(WallsLandlock, HandledRightsPerAbi) {
  EXPECT_EQ(plan(1, {}).handled_fs, kAbi1Rights);
  EXPECT_EQ(plan(2, {}).handled_fs, kAbi1Rights | FS_REFER);
  // Truncate (ABI 3) is not handled: its check on every open walks the path (see landlock.cc).
  EXPECT_EQ(plan(3, {}).handled_fs, kAbi1Rights | FS_REFER);
  for (int abi = 4; abi <= 8; ++abi)
    EXPECT_EQ(plan(abi, {}).handled_fs, kAbi1Rights | FS_REFER) << abi;
}

TEST(WallsLandlock, ReadsAreLeftToTheMountView) {
  for (int abi = 1; abi <= 7; ++abi) {
    LandlockPlan p = plan(abi, {"/w"});
    EXPECT_EQ(p.handled_fs & kReadRights, 0u) << abi;
    EXPECT_EQ(p.handled_fs & FS_IOCTL_DEV, 0u) << abi;
  }
}

TEST(WallsLandlock, ScopedFromAbi6) {
  for (int abi = 1; abi <= 5; ++abi) EXPECT_EQ(plan(abi, {}).scoped, 0u) << abi;
  for (int abi = 6; abi <= 8; ++abi)
    EXPECT_EQ(plan(abi, {}).scoped, SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) << abi;
}

TEST(WallsLandlock, AbiIsRecorded) {
  for (int abi = 0; abi <= 7; ++abi) EXPECT_EQ(plan(abi, {}).abi, abi);
}

TEST(WallsLandlock, WritableRootsGetFullRights) {
  for (int abi = 1; abi <= 7; ++abi) {
    LandlockPlan p = plan(abi, {"/home/u/proj", "/srv/out"});
    for (const char* w : {"/home/u/proj", "/srv/out", "/tmp", "/var/tmp", "/dev/shm"}) {
      const LandlockRule* r = rule_for(p, w);
      ASSERT_NE(r, nullptr) << w << " abi " << abi;
      EXPECT_EQ(r->access, expected_rights(abi)) << w << " abi " << abi;
    }
    // Writable roots first, in order.
    ASSERT_GE(p.rules.size(), 2u);
    EXPECT_EQ(p.rules[0].path, "/home/u/proj");
    EXPECT_EQ(p.rules[1].path, "/srv/out");
  }
}

TEST(WallsLandlock, RootsBeneathAnotherRootAddNoRule) {
  LandlockPlan p = plan(7, {"/p", "/p/sub", "/p/sub/deeper", "/tmp/x", "/pp", "/srv/out"});
  EXPECT_NE(rule_for(p, "/p"), nullptr);
  EXPECT_NE(rule_for(p, "/pp"), nullptr);  // a sibling sharing the prefix is its own root
  EXPECT_NE(rule_for(p, "/srv/out"), nullptr);
  EXPECT_NE(rule_for(p, "/tmp"), nullptr);
  for (const char* nested : {"/p/sub", "/p/sub/deeper", "/tmp/x"})
    EXPECT_EQ(rule_for(p, nested), nullptr) << nested;
}

TEST(WallsLandlock, DevNodesGetOnlyFileRights) {
  for (int abi = 1; abi <= 7; ++abi) {
    LandlockPlan p = plan(abi, {"/w"});
    uint64_t want = FS_WRITE_FILE;
    for (const auto& d : kDevNodes) {
      const LandlockRule* r = rule_for(p, d);
      ASSERT_NE(r, nullptr) << d;
      EXPECT_EQ(r->access, want) << d << " abi " << abi;
    }
  }
}

TEST(WallsLandlock, NothingElseIsWritable) {
  LandlockPlan p = plan(6, {"/w"});
  std::vector<std::string> allowed = {"/w", "/tmp", "/var/tmp", "/dev/shm"};
  allowed.insert(allowed.end(), kDevNodes.begin(), kDevNodes.end());
  EXPECT_EQ(p.rules.size(), allowed.size());
  for (const auto& r : p.rules) {
    EXPECT_NE(std::find(allowed.begin(), allowed.end(), r.path), allowed.end()) << r.path;
    EXPECT_NE(r.path, "/");
    EXPECT_NE(r.path, "/dev");
  }
  // No creation or removal anywhere in /dev but its private /dev/shm.
  for (const auto& r : p.rules) {
    if (r.path.rfind("/dev/", 0) == 0 && r.path != "/dev/shm") {
      EXPECT_EQ(r.access & ~FS_WRITE_FILE, 0u) << r.path;
    }
  }
}

TEST(WallsLandlock, EveryRuleIsWithinTheHandledRights) {
  // landlock_add_rule refuses rights the ruleset does not handle.
  for (int abi = 1; abi <= 7; ++abi) {
    LandlockPlan p = plan(abi, {"/a", "/b/c"});
    for (const auto& r : p.rules) {
      EXPECT_EQ(r.access & ~p.handled_fs, 0u) << r.path << " abi " << abi;
      EXPECT_NE(r.access, 0u) << r.path;
    }
  }
}

TEST(WallsLandlock, NoWritableRootsStillHasTmpAndDev) {
  LandlockPlan p = plan(3, {});
  EXPECT_NE(rule_for(p, "/tmp"), nullptr);
  EXPECT_NE(rule_for(p, "/dev/null"), nullptr);
  EXPECT_EQ(p.rules.size(), 3u + kDevNodes.size());
}

TEST(WallsLandlock, ApplyRefusesWithoutLandlock) {
  // ABI 0 fails before any syscall: paddock does not run without its second lock.
  Status s = apply_landlock(plan(0, {"/w"}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("Landlock"), std::string::npos) << s.error().message();
}

TEST(WallsLandlock, DescribeShowsAbiRightsAndPaths) {
  std::string d = describe_landlock(plan(6, {"/home/u/proj"}));
  EXPECT_NE(d.find("ABI 6"), std::string::npos) << d;
  EXPECT_NE(d.find("scoped"), std::string::npos) << d;
  EXPECT_NE(d.find("beneath /home/u/proj"), std::string::npos) << d;
  EXPECT_NE(d.find("beneath /dev/null"), std::string::npos) << d;
  std::string d1 = describe_landlock(plan(1, {}));
  EXPECT_EQ(d1.find("scoped"), std::string::npos) << d1;
  EXPECT_NE(d1.find("0x1ff2"), std::string::npos) << d1;  // kAbi1Rights
}

// --- TCP (ABI 4+) ---

TEST(WallsLandlockNet, BindAndConnectHandledFromAbi4) {
  const std::vector<uint16_t> ports = {3128, 1080};
  for (int abi = 1; abi <= 3; ++abi) {
    LandlockPlan p = plan_landlock(abi, {"/w"}, false, ports);
    EXPECT_EQ(p.handled_net, 0u) << abi;
    EXPECT_TRUE(p.connect_ports.empty()) << abi;
  }
  for (int abi = 4; abi <= 7; ++abi) {
    LandlockPlan p = plan_landlock(abi, {"/w"}, false, ports);
    EXPECT_EQ(p.handled_net, NET_BIND_TCP | NET_CONNECT_TCP) << abi;
    EXPECT_EQ(p.connect_ports, ports) << abi;
  }
}

TEST(WallsLandlockNet, LocalBindingLeavesTcpAlone) {
  LandlockPlan p = plan_landlock(6, {"/w"}, true, {3128});
  EXPECT_EQ(p.handled_net, 0u);
  EXPECT_TRUE(p.connect_ports.empty());
}

TEST(WallsLandlockNet, NoProxyPortsMeansNoTcpAtAll) {
  LandlockPlan p = plan_landlock(4, {"/w"}, false, {});
  EXPECT_EQ(p.handled_net, NET_BIND_TCP | NET_CONNECT_TCP);
  EXPECT_TRUE(p.connect_ports.empty());
}

TEST(WallsLandlockNet, NetworkDoesNotChangeFilesystemRights) {
  for (int abi = 1; abi <= 7; ++abi) {
    LandlockPlan a = plan_landlock(abi, {"/w"}, false, {3128});
    LandlockPlan b = plan_landlock(abi, {"/w"}, true, {});
    EXPECT_EQ(a.handled_fs, b.handled_fs);
    EXPECT_EQ(a.scoped, b.scoped);
    ASSERT_EQ(a.rules.size(), b.rules.size());
    for (size_t i = 0; i < a.rules.size(); ++i) {
      EXPECT_EQ(a.rules[i].path, b.rules[i].path);
      EXPECT_EQ(a.rules[i].access, b.rules[i].access);
    }
  }
}

TEST(WallsLandlockNet, DescribeShowsPorts) {
  std::string d = describe_landlock(plan_landlock(4, {"/w"}, false, {3128, 1080}));
  EXPECT_NE(d.find("tcp connect: only 3128 1080"), std::string::npos) << d;
  std::string d2 = describe_landlock(plan_landlock(4, {"/w"}, true, {}));
  EXPECT_EQ(d2.find("tcp"), std::string::npos) << d2;
}

}  // namespace
}  // namespace paddock
