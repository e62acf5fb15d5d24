// The mount plan with overlays: the home layer (writable, kept per project or in memory) and the
// read-only overlay that hides entries of a large directory. See policy/mount_plan.h.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fake_host_fs.h"
#include "mount_plan_reading.h"
#include "policy/home_layer.h"
#include "policy/mount_plan.h"

namespace paddock {
namespace {

const std::string kHome = "/home/u";
const std::string kStore = "/home/u/.local/state/paddock/homes/0123";

FakeFs layer_host() {
  FakeFs fs;
  fs.file("/usr/bin/ls").file("/etc/passwd").file("/etc/shadow").dir("/proc").dir("/dev");
  fs.dir("/tmp").dir("/run").dir("/var/tmp");
  fs.file(kHome + "/.ssh/id_rsa")
      .file(kHome + "/.aws/credentials")
      .file(kHome + "/.config/gh/hosts.yml")
      .file(kHome + "/.config/gcloud/configurations/config_default")
      .file(kHome + "/.config/gcloud/credentials.db")
      .file(kHome + "/.config/ok/x")
      .file(kHome + "/.bashrc")
      .file(kHome + "/.claude.json")
      .file(kHome + "/.cache/pip/x")
      .sock(kHome + "/agent.sock")
      .dir(kHome + "/.local/state/paddock/homes/0123/upper")
      .file(kHome + "/proj/.git/config")
      .file(kHome + "/proj/.env")
      .file(kHome + "/proj/src/a.c");
  return fs;
}

FsPolicy layer_policy(HomeLayer::Mode mode = HomeLayer::Mode::Persistent) {
  FsPolicy p;
  p.home = kHome;
  p.cwd = kHome + "/proj";
  p.writable = {p.cwd};
  p.deny_read = {kHome + "/.ssh", kHome + "/.aws", kHome + "/.config/gh", kHome + "/.config/gcloud",
                 kHome + "/.local/state/paddock"};
  p.deny_read_absent = {kHome + "/.netrc", kHome + "/.config/hub", kHome + "/.kube/config"};
  p.state_dir = kHome + "/.local/state/paddock";
  p.home_layer.mode = mode;
  p.home_layer.path = kHome;
  if (mode == HomeLayer::Mode::Persistent) p.home_layer.store = kStore;
  return p;
}

const MountOp* overlay_at(const MountPlan& plan, const std::string& path) {
  return op_at(plan, Kind::Overlay, path);
}

bool has_mask(const MountPlan& plan, Kind kind, const std::string& path) {
  const MountOp* m = op_at(plan, kind, path);
  return m != nullptr;
}

TEST(PolicyMountPlanLayer, HomeIsOneWritableOverlayKeptInTheStore) {
  FakeFs fs = layer_host();
  MountPlan plan = plan_ok(layer_policy(), fs);
  expect_well_formed(plan, fs);
  SCOPED_TRACE(dump(plan));
  const MountOp* o = overlay_at(plan, kHome);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->source, kHome);
  EXPECT_TRUE(o->writable);
  EXPECT_EQ(o->store, kStore);
  EXPECT_EQ(o->upper, "upper");
  EXPECT_EQ(o->work, layer_work_rel(""));
  // No skeleton of the home: no tmpfs there, and no bind per sibling of a hidden store.
  EXPECT_EQ(find(plan, Kind::Tmpfs, kHome), -1);
  EXPECT_FALSE(host_at(plan, kHome + "/.config/ok").has_value() &&
               top_mount(plan, kHome + "/.config/ok") != find(plan, Kind::Overlay, kHome));
  EXPECT_EQ(find(plan, Kind::Bind, kHome + "/.bashrc"), -1);
  EXPECT_EQ(host_at(plan, kHome + "/.bashrc"), kHome + "/.bashrc");
  // The project is bound writable on top of it.
  int proj = find(plan, Kind::Bind, kHome + "/proj");
  ASSERT_GE(proj, 0);
  EXPECT_GT(proj, find(plan, Kind::Overlay, kHome));
  EXPECT_TRUE(plan.ops[size_t(proj)].writable);
}

TEST(PolicyMountPlanLayer, StoresAndTheStateDirectoryAreWhiteoutsInTheMask) {
  FakeFs fs = layer_host();
  MountPlan plan = plan_ok(layer_policy(), fs);
  SCOPED_TRACE(dump(plan));
  for (const char* d :
       {"/.ssh", "/.aws", "/.config/gh", "/.config/gcloud", "/.local/state/paddock"}) {
    EXPECT_TRUE(has_mask(plan, Kind::Whiteout, kHome + d)) << d;
    EXPECT_TRUE(Hidden(plan, kHome + d)) << d;
  }
  EXPECT_TRUE(Hidden(plan, kStore + "/upper"));
  // Stores not on the host now are masked too: the lower layer is live. Not where the host
  // lacks their directory (~/.kube): the whiteout would hide nothing.
  for (const char* d : {"/.netrc", "/.config/hub"})
    EXPECT_TRUE(has_mask(plan, Kind::Whiteout, kHome + d)) << d;
  EXPECT_FALSE(mentions(plan, "/.kube"));
  // Each mask step belongs to the home's overlay and comes before it.
  int o = find(plan, Kind::Overlay, kHome);
  for (size_t i = 0; i < plan.ops.size(); ++i)
    if (is_mask_op(plan.ops[i].kind)) {
      EXPECT_LT(int(i), o);
      EXPECT_EQ(plan.ops[i].source, kHome);
    }
}

TEST(PolicyMountPlanLayer, AbsentNamesOutsideOverlaysAddNothing) {
  FakeFs fs = layer_host();
  FsPolicy p = layer_policy(HomeLayer::Mode::None);
  MountPlan plan = plan_ok(p, fs);
  EXPECT_EQ(count(plan, Kind::Whiteout), 0) << dump(plan);
  EXPECT_FALSE(mentions(plan, "/.netrc"));
  EXPECT_FALSE(mentions(plan, "/.kube"));
  EXPECT_EQ(count(plan, Kind::Overlay), 0);
  // Without a layer the home is rebuilt as before.
  EXPECT_GE(find(plan, Kind::Tmpfs, kHome), 0) << dump(plan);
}

TEST(PolicyMountPlanLayer, EphemeralLayerHasNoStore) {
  FakeFs fs = layer_host();
  MountPlan plan = plan_ok(layer_policy(HomeLayer::Mode::Ephemeral), fs);
  expect_well_formed(plan, fs);
  const MountOp* o = overlay_at(plan, kHome);
  ASSERT_NE(o, nullptr) << dump(plan);
  EXPECT_TRUE(o->writable);
  EXPECT_TRUE(o->store.empty());
  EXPECT_EQ(home_layer_mounts(plan), std::vector<std::string>{kHome});
}

TEST(PolicyMountPlanLayer, AllowReadOfAStoreUnmasksItIntoTheLayer) {
  FakeFs fs = layer_host();
  FsPolicy p = layer_policy();
  p.deny_read.push_back(kHome + "/.claude.json");
  p.allow_read = {kHome + "/.claude.json"};
  MountPlan plan = plan_ok(p, fs);
  expect_well_formed(plan, fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_FALSE(has_mask(plan, Kind::Whiteout, kHome + "/.claude.json"));
  // Through the overlay: readable, and written into the layer like the rest of the home.
  EXPECT_EQ(find(plan, Kind::Bind, kHome + "/.claude.json"), -1);
  EXPECT_EQ(top_mount(plan, kHome + "/.claude.json"), find(plan, Kind::Overlay, kHome));
  EXPECT_EQ(host_at(plan, kHome + "/.claude.json"), kHome + "/.claude.json");
}

TEST(PolicyMountPlanLayer, AllowReadBeneathAStoreIsAnOpaqueDirectoryAndABind) {
  FakeFs fs = layer_host();
  FsPolicy p = layer_policy();
  p.allow_read = {kHome + "/.config/gcloud/configurations"};
  MountPlan plan = plan_ok(p, fs);
  expect_well_formed(plan, fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_TRUE(has_mask(plan, Kind::OpaqueDir, kHome + "/.config/gcloud"));
  EXPECT_TRUE(has_mask(plan, Kind::MaskDir, kHome + "/.config/gcloud/configurations"));
  EXPECT_FALSE(has_mask(plan, Kind::Whiteout, kHome + "/.config/gcloud"));
  const MountOp* b = op_at(plan, Kind::Bind, kHome + "/.config/gcloud/configurations");
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->writable);
  EXPECT_EQ(host_at(plan, kHome + "/.config/gcloud/configurations/config_default"),
            kHome + "/.config/gcloud/configurations/config_default");
  EXPECT_TRUE(Hidden(plan, kHome + "/.config/gcloud/credentials.db"));
}

TEST(PolicyMountPlanLayer, WritableRootInTheHomeIsABindOnTheOverlay) {
  FakeFs fs = layer_host();
  FsPolicy p = layer_policy();
  p.writable.push_back(kHome + "/.cache/pip");
  MountPlan plan = plan_ok(p, fs);
  expect_well_formed(plan, fs);
  const MountOp* b = op_at(plan, Kind::Bind, kHome + "/.cache/pip");
  ASSERT_NE(b, nullptr) << dump(plan);
  EXPECT_TRUE(b->writable);
  EXPECT_GT(find(plan, Kind::Bind, kHome + "/.cache/pip"), find(plan, Kind::Overlay, kHome));
}

TEST(PolicyMountPlanLayer, DeniedEntryInTheProjectStaysACover) {
  FakeFs fs = layer_host();
  FsPolicy p = layer_policy();
  p.deny_read.push_back(kHome + "/proj/.env");
  MountPlan plan = plan_ok(p, fs);
  expect_well_formed(plan, fs);
  EXPECT_GE(find(plan, Kind::HideFile, kHome + "/proj/.env"), 0) << dump(plan);
  EXPECT_FALSE(has_mask(plan, Kind::Whiteout, kHome + "/proj/.env"));
  // The repository's own .git stays a mount point, on top of the project's bind.
  EXPECT_GE(find(plan, Kind::Bind, kHome + "/proj/.git"), 0);
}

TEST(PolicyMountPlanLayer, UnixSocketInTheHomeIsBoundOnTheOverlay) {
  FakeFs fs = layer_host();
  FsPolicy p = layer_policy();
  p.unix_sockets = {kHome + "/agent.sock"};
  MountPlan plan = plan_ok(p, fs);
  expect_well_formed(plan, fs);
  EXPECT_GT(find(plan, Kind::Bind, kHome + "/agent.sock"), find(plan, Kind::Overlay, kHome))
      << dump(plan);
}

TEST(PolicyMountPlanLayer, MountBeneathTheHomeSplitsTheLayer) {
  FakeFs fs = layer_host();
  fs.mount(kHome + "/mnt/disk").file(kHome + "/mnt/disk/data").file(kHome + "/mnt/notes");
  fs.link(kHome + "/link", ".bashrc");
  MountPlan plan = plan_ok(layer_policy(), fs);
  expect_well_formed(plan, fs);
  SCOPED_TRACE(dump(plan));
  // The home and the directory on the way to the mount are writable tmpfs of their entries
  // (an overlay in a user namespace cannot take a lower layer with a mount beneath it).
  for (const std::string& d : {kHome, kHome + "/mnt"}) {
    const MountOp* t = op_at(plan, Kind::Tmpfs, d);
    ASSERT_NE(t, nullptr) << d;
    EXPECT_TRUE(t->writable);
    EXPECT_EQ(t->source, d);
    EXPECT_EQ(find(plan, Kind::Overlay, d), -1) << d;
  }
  // Each other directory is an overlay of its own, kept at upper/REL in the store.
  const MountOp* cfg = overlay_at(plan, kHome + "/.config");
  ASSERT_NE(cfg, nullptr);
  EXPECT_EQ(cfg->store, kStore);
  EXPECT_EQ(cfg->upper, "upper/.config");
  EXPECT_EQ(cfg->work, layer_work_rel(".config"));
  EXPECT_NE(cfg->work, layer_work_rel(""));
  EXPECT_TRUE(has_mask(plan, Kind::Whiteout, kHome + "/.config/gh"));
  EXPECT_EQ(cfg->source, kHome + "/.config");
  // The mount itself is bound read-only; files on the way too; symlinks are recreated.
  const MountOp* disk = op_at(plan, Kind::Bind, kHome + "/mnt/disk");
  ASSERT_NE(disk, nullptr);
  EXPECT_FALSE(disk->writable);
  EXPECT_FALSE(op_at(plan, Kind::Bind, kHome + "/.bashrc")->writable);
  EXPECT_FALSE(op_at(plan, Kind::Bind, kHome + "/mnt/notes")->writable);
  EXPECT_GE(find(plan, Kind::Symlink, kHome + "/link"), 0);
  // Stores directly in the home are simply left out of its tmpfs.
  for (const char* d : {"/.ssh", "/.aws"}) {
    EXPECT_TRUE(Hidden(plan, kHome + d)) << d;
    EXPECT_EQ(find(plan, Kind::MakeDir, kHome + d), -1) << d;
  }
  EXPECT_TRUE(Hidden(plan, kHome + "/.local/state/paddock"));
  // The project keeps its writable bind.
  EXPECT_TRUE(op_at(plan, Kind::Bind, kHome + "/proj")->writable);
  EXPECT_EQ(find(plan, Kind::Overlay, kHome + "/proj"), -1);
  // Every part of the layer is the sandbox's own to the write mediator.
  std::vector<std::string> mounts = home_layer_mounts(plan);
  for (const std::string& m : {kHome, kHome + "/mnt", kHome + "/.config", kHome + "/.cache"})
    EXPECT_NE(std::find(mounts.begin(), mounts.end(), m), mounts.end()) << m;
  for (const std::string& m : {kHome + "/proj", kHome + "/mnt/disk", std::string("/tmp")})
    EXPECT_EQ(std::find(mounts.begin(), mounts.end(), m), mounts.end()) << m;
}

TEST(PolicyMountPlanLayer, MountPointsAreReadOnceAndOnlyWhenNeeded) {
  FakeFs fs = layer_host();
  plan_ok(layer_policy(HomeLayer::Mode::None), fs);
  EXPECT_EQ(fs.mount_calls, 0);  // small directories, no layer: nothing to ask
  plan_ok(layer_policy(), fs);
  EXPECT_EQ(fs.mount_calls, 1);
}

// ---------------------------------------------------------------------------------------------
// Hiding in a large directory.

FakeFs big_etc(int n) {
  FakeFs fs = layer_host();
  for (int i = 0; i < n; ++i) fs.file("/etc/f" + std::to_string(i));
  fs.file("/etc/ssh/ssh_host_ed25519_key").file("/etc/ssh/ssh_config");
  return fs;
}

FsPolicy etc_policy() {
  FsPolicy p = layer_policy(HomeLayer::Mode::None);
  p.deny_read = {"/etc/shadow", "/etc/ssh/ssh_host_ed25519_key"};
  return p;
}

TEST(PolicyMountPlanLayer, HidingInALargeDirectoryIsAReadOnlyOverlay) {
  FakeFs fs = big_etc(100);
  MountPlan plan = plan_ok(etc_policy(), fs);
  expect_well_formed(plan, fs);
  SCOPED_TRACE(dump(plan));
  const MountOp* o = overlay_at(plan, "/etc");
  ASSERT_NE(o, nullptr);
  EXPECT_FALSE(o->writable);
  EXPECT_EQ(o->source, "/etc");
  EXPECT_TRUE(has_mask(plan, Kind::Whiteout, "/etc/shadow"));
  EXPECT_TRUE(has_mask(plan, Kind::Whiteout, "/etc/ssh/ssh_host_ed25519_key"));
  EXPECT_TRUE(Hidden(plan, "/etc/shadow"));
  EXPECT_TRUE(Hidden(plan, "/etc/ssh/ssh_host_ed25519_key"));
  EXPECT_EQ(host_at(plan, "/etc/f7"), "/etc/f7");
  EXPECT_EQ(host_at(plan, "/etc/ssh/ssh_config"), "/etc/ssh/ssh_config");
  for (const auto& op : plan.ops)  // no bind per sibling
    EXPECT_FALSE(op.kind == Kind::Bind && path_within(op.path, "/etc")) << op.path;
  // A read-only overlay is no part of the home layer.
  for (const auto& m : home_layer_mounts(plan)) EXPECT_NE(m, "/etc");
}

TEST(PolicyMountPlanLayer, HidingInASmallDirectoryIsStillASkeleton) {
  FakeFs fs = big_etc(4);
  MountPlan plan = plan_ok(etc_policy(), fs);
  expect_well_formed(plan, fs);
  EXPECT_EQ(count(plan, Kind::Overlay), 0) << dump(plan);
  EXPECT_GE(find(plan, Kind::Tmpfs, "/etc"), 0);
  EXPECT_TRUE(Hidden(plan, "/etc/shadow"));
}

TEST(PolicyMountPlanLayer, NoReadOnlyOverlayOverAMountOrBeneathAReopenedPath) {
  {
    FakeFs fs = big_etc(100);
    fs.mount("/etc/hosts.d");  // a container's bind mount beneath /etc
    MountPlan plan = plan_ok(etc_policy(), fs);
    expect_well_formed(plan, fs);
    EXPECT_EQ(find(plan, Kind::Overlay, "/etc"), -1) << dump(plan);
    EXPECT_TRUE(Hidden(plan, "/etc/shadow"));
  }
  {
    FakeFs fs = big_etc(100);
    fs.file("/etc/secretdir/public");
    FsPolicy p = etc_policy();
    p.deny_read.push_back("/etc/secretdir");
    p.allow_read = {"/etc/secretdir/public"};
    MountPlan plan = plan_ok(p, fs);
    expect_well_formed(plan, fs);
    // An opaque directory would need user xattrs on tmpfs (Linux 6.6): a skeleton instead.
    EXPECT_EQ(count(plan, Kind::OpaqueDir), 0) << dump(plan);
    EXPECT_TRUE(Hidden(plan, "/etc/shadow"));
    EXPECT_EQ(host_at(plan, "/etc/secretdir/public"), "/etc/secretdir/public");
  }
}

}  // namespace
}  // namespace paddock
