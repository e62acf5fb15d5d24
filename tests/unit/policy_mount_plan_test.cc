#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fake_host_fs.h"
#include "mount_plan_reading.h"
#include "policy/mount_plan.h"
#include "policy/paths.h"

namespace paddock {
namespace {

using Kind = MountOp::Kind;

// A typical workstation.
FakeFs host() {
  FakeFs fs;
  fs.link("/bin", "usr/bin")
      .link("/lib", "usr/lib")
      .link("/sbin", "usr/sbin")
      .file("/usr/bin/ls")
      .file("/usr/lib/libc.so.6")
      .dir("/usr/sbin")
      .file("/etc/passwd")
      .file("/etc/hosts")
      .file("/boot/vmlinuz-6.1")
      .link("/vmlinuz", "boot/vmlinuz-6.1")
      .file("/proc/cpuinfo")
      .file("/proc/kcore")
      .file("/proc/1/environ")
      .other("/dev/null")
      .other("/dev/tty")
      .other("/dev/sda")
      .file("/dev/shm/host-segment")
      .other("/dev/pts/0")
      .dir("/dev/mqueue")
      .dir("/sys/kernel")
      .file("/tmp/host-tmp-file")
      .sock("/tmp/.X11-unix/X0")
      .sock("/run/docker.sock")
      .sock("/run/user/1000/bus")
      .dir("/run/lock")
      .file("/var/log/syslog")
      .file("/var/tmp/host-var-tmp")
      .link("/var/run", "/run")
      .dir("/var/lib/apt")
      .file("/srv/data/file")
      .sock("/sock-at-root")
      .file("/root/.ssh/id_rsa")
      .file("/home/other/x");
  const std::string h = "/home/u";
  fs.file(h + "/.ssh/id_rsa")
      .file(h + "/.ssh/known_hosts")
      .sock(h + "/.gnupg/S.gpg-agent")
      .file(h + "/.gnupg/pubring.kbx")
      .file(h + "/.config/gcloud/credentials.db")
      .file(h + "/.config/nvim/init.lua")
      .file(h + "/.config/fish/config.fish")
      .file(h + "/.config/gh/hosts.yml")
      .file(h + "/.bashrc")
      .file(h + "/.profile")
      .file(h + "/.gitconfig")
      .file(h + "/notes.txt")
      .sock(h + "/agent.sock")
      .other(h + "/fifo")
      .file(h + "/.local/bin/tool")
      .link(h + "/bin", ".local/bin");
  const std::string p = h + "/proj";
  fs.file(p + "/.git/hooks/pre-commit")
      .file(p + "/.git/config")
      .file(p + "/.git/HEAD")
      .file(p + "/.git/objects/ab/cdef")
      .file(p + "/.vscode/settings.json")
      .file(p + "/.envrc")
      .file(p + "/.bashrc")
      .file(p + "/src/main.cc")
      .file(p + "/.env")
      .file(p + "/secrets/key")
      .dir(p + "/build");
  fs.file("/tmp/proj/src/a.c")
      .file("/tmp/proj/.git/hooks/post-checkout")
      .file("/tmp/proj/.git/config");
  return fs;
}

FsPolicy base_policy() {
  FsPolicy p;
  p.home = "/home/u";
  p.cwd = "/home/u/proj";
  p.writable = {"/home/u/proj"};
  return p;
}

// ---------------------------------------------------------------------------------------------
// The root skeleton.

TEST(PolicyMountPlan, OpNamesAreDistinct) {
  std::set<std::string> names;
  for (Kind k : {Kind::Tmpfs, Kind::MakeDir, Kind::MakeFile, Kind::Symlink, Kind::Bind,
                 Kind::HideDir, Kind::HideFile, Kind::Proc, Kind::Dev, Kind::ReadOnly}) {
    std::string n = mount_op_name(k);
    EXPECT_NE(n, "?");
    EXPECT_TRUE(names.insert(n).second) << n;
  }
}

TEST(PolicyMountPlan, RootIsTheHostRootBoundReadOnly) {
  FakeFs fs = host();
  MountPlan plan = plan_ok(base_policy(), fs);
  SCOPED_TRACE(dump(plan));
  ASSERT_TRUE(starts_from_host_root(plan));
  EXPECT_FALSE(plan.ops[0].writable);
  EXPECT_EQ(plan.ops[0].source, "/");
  EXPECT_EQ(count(plan, Kind::Symlink), 0);  // /bin, /lib... come with the bind
  for (const char* d : {"/usr", "/etc", "/boot", "/srv", "/var", "/sys"}) {
    EXPECT_EQ(find(plan, Kind::Bind, d), -1) << d;
    EXPECT_EQ(host_at(plan, d), d);
  }
  EXPECT_EQ(find(plan, Kind::ReadOnly, "/"), -1);  // the bind is read-only itself
  expect_well_formed(plan, fs);
}

// A policy that hides an entry directly under /: the root must be rebuilt entry by entry.
FsPolicy deny_at_root() {
  FsPolicy p = base_policy();
  p.deny_read = {"/srv"};
  return p;
}

TEST(PolicyMountPlan, RootRebuiltWhenAnEntryUnderItIsHidden) {
  FakeFs fs = host();
  MountPlan plan = plan_ok(deny_at_root(), fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_FALSE(starts_from_host_root(plan));
  EXPECT_TRUE(Hidden(plan, "/srv"));
  EXPECT_EQ(find(plan, Kind::MakeDir, "/srv"), -1);
  EXPECT_GE(find(plan, Kind::Proc, "/proc"), 0);
  EXPECT_GE(find(plan, Kind::Dev, "/dev"), 0);
  EXPECT_GE(find(plan, Kind::Tmpfs, "/tmp"), 0);
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, RootRebuiltWhenTheHostLacksAMountPoint) {
  FakeFs fs;
  fs.file("/usr/bin/ls").dir("/home/u/proj").dir("/proc").dir("/dev");  // no /tmp
  MountPlan plan = plan_ok(base_policy(), fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_FALSE(starts_from_host_root(plan));
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, RebuiltRootBindsTopLevelDirsReadOnly) {
  FakeFs fs = host();
  MountPlan plan = plan_ok(deny_at_root(), fs);
  SCOPED_TRACE(dump(plan));
  for (const char* d : {"/usr", "/etc", "/boot", "/home", "/var", "/root", "/sys"}) {
    const MountOp* b = op_at(plan, Kind::Bind, d);
    ASSERT_NE(b, nullptr) << d;
    EXPECT_EQ(b->source, d);
    EXPECT_FALSE(b->writable) << d;
    int mk = find(plan, Kind::MakeDir, d);
    ASSERT_GE(mk, 0) << d;
    EXPECT_LT(mk, find(plan, Kind::Bind, d)) << d;
  }
  // The root itself is never a bind of the host's root.
  EXPECT_EQ(find(plan, Kind::Bind, "/"), -1);
  for (const auto& op : plan.ops) EXPECT_NE(op.source, "/");
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, TopLevelSymlinksRecreatedInARebuiltRoot) {
  FakeFs fs = host();
  MountPlan plan = plan_ok(deny_at_root(), fs);
  SCOPED_TRACE(dump(plan));
  struct {
    const char* path;
    const char* target;
  } links[] = {{"/bin", "usr/bin"},
               {"/lib", "usr/lib"},
               {"/sbin", "usr/sbin"},
               {"/vmlinuz", "boot/vmlinuz-6.1"}};
  for (const auto& l : links) {
    const MountOp* s = op_at(plan, Kind::Symlink, l.path);
    ASSERT_NE(s, nullptr) << l.path;
    EXPECT_EQ(s->source, l.target);
    EXPECT_EQ(find(plan, Kind::Bind, l.path), -1) << l.path;
    EXPECT_EQ(find(plan, Kind::MakeDir, l.path), -1) << l.path;
  }
  // Made once, inside the root tmpfs.
  EXPECT_EQ(count(plan, Kind::Symlink), 4);
}

TEST(PolicyMountPlan, ProcDevTmpAreTheSandboxesOwn) {
  FakeFs fs = host();
  MountPlan plan = plan_ok(base_policy(), fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_GE(find(plan, Kind::Proc, "/proc"), 0);
  EXPECT_GE(find(plan, Kind::Dev, "/dev"), 0);
  const MountOp* tmp = op_at(plan, Kind::Tmpfs, "/tmp");
  ASSERT_NE(tmp, nullptr);
  EXPECT_TRUE(tmp->writable);
  for (const char* d : {"/proc", "/dev", "/tmp"}) EXPECT_EQ(find(plan, Kind::Bind, d), -1) << d;
  // Nothing of the host's /proc, /dev or /tmp is bound.
  for (const auto& op : plan.ops) {
    if (op.kind != Kind::Bind) continue;
    EXPECT_FALSE(path_within(op.source, "/proc")) << op.source;
    EXPECT_FALSE(path_within(op.source, "/dev")) << op.source;
    EXPECT_FALSE(path_within(op.source, "/tmp")) << op.source;
  }
  EXPECT_FALSE(mentions(plan, "host-tmp-file"));
  EXPECT_FALSE(mentions(plan, "X11"));
  EXPECT_EQ(count(plan, Kind::Proc), 1);
  EXPECT_EQ(count(plan, Kind::Dev), 1);
}

TEST(PolicyMountPlan, TmpCreatedWhenTheHostHasNone) {
  FakeFs fs;
  fs.file("/usr/bin/ls").dir("/home/u/proj");
  MountPlan plan = plan_ok(base_policy(), fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_GE(find(plan, Kind::MakeDir, "/tmp"), 0);
  const MountOp* tmp = op_at(plan, Kind::Tmpfs, "/tmp");
  ASSERT_NE(tmp, nullptr);
  EXPECT_TRUE(tmp->writable);
  EXPECT_EQ(find(plan, Kind::Proc, "/proc"), -1);  // the host has none either
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, RunIsAnEmptyDirectory) {
  FakeFs fs = host();
  MountPlan plan = plan_ok(base_policy(), fs);
  SCOPED_TRACE(dump(plan));
  // An empty read-only tmpfs over the host's /run (it holds only paddock's own binary).
  const MountOp* run = op_at(plan, Kind::Tmpfs, "/run");
  ASSERT_NE(run, nullptr);
  EXPECT_FALSE(run->writable);
  EXPECT_GE(find(plan, Kind::ReadOnly, "/run"), 0);
  EXPECT_EQ(find(plan, Kind::Bind, "/run"), -1);
  for (const auto& op : plan.ops) {
    if (op.path == "/run") continue;
    EXPECT_FALSE(path_within(op.path, "/run")) << op.path;
    EXPECT_FALSE(path_within(op.source, "/run")) << op.source;
  }
  EXPECT_FALSE(mentions(plan, "docker.sock"));
  EXPECT_TRUE(Hidden(plan, "/run/docker.sock"));
  EXPECT_TRUE(Hidden(plan, "/run/user"));
}

TEST(PolicyMountPlan, VarRunSymlinkLeftToTheBindOfVar) {
  // /var/run -> /run resolves into the empty /run: nothing to cover.
  FakeFs fs = host();
  MountPlan plan = plan_ok(base_policy(), fs);
  EXPECT_FALSE(mentions(plan, "/var/run")) << dump(plan);
}

TEST(PolicyMountPlan, VarRunDirectoryCoveredEmpty) {
  FakeFs fs2;
  fs2.file("/usr/bin/ls")
      .dir("/home/u/proj")
      .sock("/var/run/docker.sock")
      .file("/var/run/sshd.pid");
  fs2.dir("/var/log");
  MountPlan plan = plan_ok(base_policy(), fs2);
  SCOPED_TRACE(dump(plan));
  int var = find(plan, Kind::Bind, "/var");
  int run = find(plan, Kind::HideDir, "/var/run");
  ASSERT_GE(var, 0);
  ASSERT_GE(run, 0);
  EXPECT_LT(var, run);
  EXPECT_TRUE(Hidden(plan, "/var/run"));
  expect_well_formed(plan, fs2);
}

TEST(PolicyMountPlan, VarTmpIsAPrivateTmpfs) {
  FakeFs fs = host();
  MountPlan plan = plan_ok(base_policy(), fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_EQ(host_at(plan, "/var"), "/var");
  int vt = find(plan, Kind::Tmpfs, "/var/tmp");
  ASSERT_GE(vt, 0);
  EXPECT_TRUE(plan.ops[size_t(vt)].writable);
  EXPECT_TRUE(Hidden(plan, "/var/tmp/host-var-tmp"));
  expect_well_formed(plan, fs);
}

// With the host's root bound whole, a socket directly under / is visible like any socket in a
// bound directory; connect() to it is refused by the supervisor (write_judge). A rebuilt root
// leaves it out.
TEST(PolicyMountPlan, SocketsAndDevicesLeftOutOfARebuiltRoot) {
  FakeFs fs = host();
  MountPlan plan = plan_ok(deny_at_root(), fs);
  EXPECT_FALSE(mentions(plan, "sock-at-root")) << dump(plan);
}

TEST(PolicyMountPlan, BaselineIsWellFormedAndDeterministic) {
  FakeFs fs = host();
  MountPlan a = plan_ok(base_policy(), fs);
  MountPlan b = plan_ok(base_policy(), fs);
  expect_well_formed(a, fs);
  ASSERT_EQ(a.ops.size(), b.ops.size());
  for (size_t i = 0; i < a.ops.size(); ++i) {
    EXPECT_EQ(a.ops[i].kind, b.ops[i].kind) << i;
    EXPECT_EQ(a.ops[i].path, b.ops[i].path) << i;
    EXPECT_EQ(a.ops[i].source, b.ops[i].source) << i;
    EXPECT_EQ(a.ops[i].writable, b.ops[i].writable) << i;
  }
  EXPECT_TRUE(a.notes.empty());
  // Writable binds: the current directory, and its .git bound onto itself (a mount point that
  // cannot be renamed away or replaced by a gitfile).
  int rw = 0;
  for (const auto& op : a.ops)
    if (op.kind == Kind::Bind && op.writable) ++rw;
  EXPECT_EQ(rw, 2) << dump(a);
  EXPECT_GE(find(a, Kind::Bind, "/home/u/proj/.git"), 0) << dump(a);
}

// ---------------------------------------------------------------------------------------------
// denyRead and allowRead.

TEST(PolicyMountPlan, DeniedSshMakesHomeASkeleton) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/home/u/.ssh"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  int t = find(plan, Kind::Tmpfs, "/home/u");
  ASSERT_GE(t, 0);
  EXPECT_EQ(host_at(plan, "/home"), "/home");  // through the root bind
  EXPECT_FALSE(plan.ops[size_t(t)].writable);
  // Every other child is bound from the host, read-only.
  for (const char* c :
       {".config", ".gnupg", ".local", ".bashrc", ".profile", ".gitconfig", "notes.txt"}) {
    std::string cp = std::string("/home/u/") + c;
    const MountOp* b = op_at(plan, Kind::Bind, cp);
    ASSERT_NE(b, nullptr) << cp;
    EXPECT_EQ(b->source, cp);
    EXPECT_FALSE(b->writable) << cp;
    EXPECT_LT(t, find(plan, Kind::Bind, cp));
  }
  const MountOp* link = op_at(plan, Kind::Symlink, "/home/u/bin");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->source, ".local/bin");
  const MountOp* proj = op_at(plan, Kind::Bind, "/home/u/proj");
  ASSERT_NE(proj, nullptr);
  EXPECT_TRUE(proj->writable);
  // .ssh is absent, not emptied: no op names it.
  EXPECT_FALSE(mentions(plan, ".ssh"));
  EXPECT_TRUE(Hidden(plan, "/home/u/.ssh"));
  // Host sockets and fifos in the rebuilt directory are left out.
  EXPECT_FALSE(mentions(plan, "agent.sock"));
  EXPECT_FALSE(mentions(plan, "fifo"));
  // Other users' homes stay visible through the bind of /home.
  EXPECT_EQ(host_at(plan, "/home/other/x"), "/home/other/x");
  EXPECT_EQ(find(plan, Kind::Tmpfs, "/home"), -1);
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, DeniedNestedEntryRebuildsItsParentOnly) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/home/u/.config/gcloud"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  int cfg = find(plan, Kind::Tmpfs, "/home/u/.config");
  ASSERT_GE(cfg, 0);
  EXPECT_LT(find(plan, Kind::Bind, "/home"), cfg);
  for (const char* c : {"nvim", "fish", "gh"}) {
    std::string cp = std::string("/home/u/.config/") + c;
    EXPECT_EQ(host_at(plan, cp), cp);
    EXPECT_GT(find(plan, Kind::Bind, cp), cfg) << cp;
  }
  EXPECT_FALSE(mentions(plan, "gcloud"));
  EXPECT_TRUE(Hidden(plan, "/home/u/.config/gcloud"));
  EXPECT_EQ(host_at(plan, "/home/u/.ssh/id_rsa"), "/home/u/.ssh/id_rsa");  // not denied here
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, DenialsAtTwoDepthsInEitherOrder) {
  FakeFs fs = host();
  for (bool reversed : {false, true}) {
    FsPolicy p = base_policy();
    p.deny_read = {"/home/u/.ssh", "/home/u/.config/gcloud"};
    if (reversed) std::reverse(p.deny_read.begin(), p.deny_read.end());
    MountPlan plan = plan_ok(p, fs);
    SCOPED_TRACE(dump(plan));
    ASSERT_GE(find(plan, Kind::Tmpfs, "/home/u"), 0);
    // .config is rebuilt as a plain directory inside the tmpfs of /home/u.
    EXPECT_EQ(find(plan, Kind::Tmpfs, "/home/u/.config"), -1);
    EXPECT_GE(find(plan, Kind::MakeDir, "/home/u/.config"), 0);
    EXPECT_EQ(host_at(plan, "/home/u/.config/nvim/init.lua"), "/home/u/.config/nvim/init.lua");
    EXPECT_FALSE(mentions(plan, "gcloud"));
    EXPECT_FALSE(mentions(plan, ".ssh"));
    expect_well_formed(plan, fs);
  }
}

TEST(PolicyMountPlan, DeniedTopLevelDirectoryIsAbsent) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/srv", "/root"};
  MountPlan plan = plan_ok(p, fs);
  EXPECT_FALSE(mentions(plan, "/srv")) << dump(plan);
  EXPECT_FALSE(mentions(plan, "/root")) << dump(plan);
  EXPECT_EQ(find(plan, Kind::Tmpfs, "/"), -1);
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, DeniedSymlinkIsAbsent) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/home/u/bin"};
  MountPlan plan = plan_ok(p, fs);
  EXPECT_EQ(find(plan, Kind::Symlink, "/home/u/bin"), -1) << dump(plan);
  EXPECT_EQ(host_at(plan, "/home/u/.local/bin/tool"), "/home/u/.local/bin/tool");
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, DeniedFileIsAbsent) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/etc/passwd"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  // /etc becomes a read-only tmpfs over the root bind, its other entries bound one by one.
  const MountOp* etc = op_at(plan, Kind::Tmpfs, "/etc");
  ASSERT_NE(etc, nullptr);
  EXPECT_FALSE(etc->writable);
  EXPECT_EQ(find(plan, Kind::Bind, "/etc"), -1);
  EXPECT_GE(find(plan, Kind::MakeFile, "/etc/hosts"), 0);
  EXPECT_EQ(host_at(plan, "/etc/hosts"), "/etc/hosts");
  EXPECT_TRUE(Hidden(plan, "/etc/passwd"));
  EXPECT_FALSE(mentions(plan, "passwd"));
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, DeniedMissingPathChangesNothing) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/home/u/.aws", "/nope/x", "/run/nothing"};
  MountPlan plan = plan_ok(p, fs);
  MountPlan base = plan_ok(base_policy(), fs);
  EXPECT_EQ(plan.ops.size(), base.ops.size()) << dump(plan);
  EXPECT_FALSE(mentions(plan, ".aws"));
}

TEST(PolicyMountPlan, AllowReadBeneathDeniedReopensOnlyThatPath) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/home/u/.ssh"};
  p.allow_read = {"/home/u/.ssh/known_hosts"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  int dir = find(plan, Kind::MakeDir, "/home/u/.ssh");
  int mk = find(plan, Kind::MakeFile, "/home/u/.ssh/known_hosts");
  int b = find(plan, Kind::Bind, "/home/u/.ssh/known_hosts");
  ASSERT_GE(dir, 0);
  ASSERT_GE(mk, 0);
  ASSERT_GE(b, 0);
  EXPECT_LT(dir, mk);
  EXPECT_LT(mk, b);
  EXPECT_EQ(plan.ops[size_t(b)].source, "/home/u/.ssh/known_hosts");
  EXPECT_FALSE(plan.ops[size_t(b)].writable);
  EXPECT_EQ(find(plan, Kind::Bind, "/home/u/.ssh"), -1);
  EXPECT_FALSE(mentions(plan, "id_rsa"));
  EXPECT_TRUE(Hidden(plan, "/home/u/.ssh/id_rsa"));
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, AllowReadOfADeepPathBeneathADeniedDirectory) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/home/u/.config"};
  p.allow_read = {"/home/u/.config/nvim/init.lua"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_GE(find(plan, Kind::MakeDir, "/home/u/.config"), 0);
  EXPECT_GE(find(plan, Kind::MakeDir, "/home/u/.config/nvim"), 0);
  EXPECT_EQ(host_at(plan, "/home/u/.config/nvim/init.lua"), "/home/u/.config/nvim/init.lua");
  for (const char* d : {"/home/u/.config/gcloud", "/home/u/.config/gh", "/home/u/.config/fish"})
    EXPECT_TRUE(Hidden(plan, d));
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, AllowReadOutsideDeniedPathsAddsNothing) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.allow_read = {"/etc/hosts", "/home/u/.config", "/nope"};
  MountPlan plan = plan_ok(p, fs);
  MountPlan base = plan_ok(base_policy(), fs);
  EXPECT_EQ(plan.ops.size(), base.ops.size()) << dump(plan);
}

TEST(PolicyMountPlan, AllowReadOfTheDeniedPathItselfReopensIt) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/home/u/.ssh"};
  p.allow_read = {"/home/u/.ssh"};
  MountPlan plan = plan_ok(p, fs);
  EXPECT_EQ(host_at(plan, "/home/u/.ssh/id_rsa"), "/home/u/.ssh/id_rsa") << dump(plan);
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, DeniedBeneathAReopenedPathStaysHidden) {
  // denyRead ~ with allowRead ~/.config must not bring back the built-in credential stores
  // beneath ~/.config: the more specific rule wins, whatever the order of the lists.
  FakeFs fs = host();
  for (bool builtins_first : {true, false}) {
    FsPolicy p = base_policy();
    p.deny_read = {"/home/u/.config/gcloud", "/home/u/.config/gh", "/home/u/.ssh"};
    if (builtins_first) {
      p.deny_read.push_back("/home/u");
    } else {
      p.deny_read.insert(p.deny_read.begin(), "/home/u");
    }
    p.allow_read = {"/home/u/.config", "/home/u/proj"};
    MountPlan plan = plan_ok(p, fs);
    SCOPED_TRACE(builtins_first ? "built-ins listed first" : "built-ins listed last");
    EXPECT_TRUE(Hidden(plan, "/home/u/.config/gcloud"));
    EXPECT_TRUE(Hidden(plan, "/home/u/.config/gh"));
    EXPECT_TRUE(Hidden(plan, "/home/u/.ssh"));
    EXPECT_TRUE(Hidden(plan, "/home/u/notes.txt"));
    EXPECT_EQ(host_at(plan, "/home/u/.config/nvim/init.lua"), "/home/u/.config/nvim/init.lua")
        << dump(plan);
    const MountOp* proj = op_at(plan, Kind::Bind, "/home/u/proj");
    ASSERT_NE(proj, nullptr) << dump(plan);
    EXPECT_TRUE(proj->writable);
    expect_well_formed(plan, fs);
  }
}

TEST(PolicyMountPlan, ThreeLevelsOfDenyAllowDeny) {
  FakeFs fs = host();
  fs.file("/home/u/.config/gcloud/public/readme").file("/home/u/.config/gcloud/public/x");
  FsPolicy p = base_policy();
  p.deny_read = {"/home/u/.config/gcloud/public/x", "/home/u/.config/gcloud", "/home/u/.config"};
  p.allow_read = {"/home/u/.config/gcloud/public", "/home/u/.config/nvim"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_EQ(host_at(plan, "/home/u/.config/nvim/init.lua"), "/home/u/.config/nvim/init.lua");
  EXPECT_EQ(host_at(plan, "/home/u/.config/gcloud/public/readme"),
            "/home/u/.config/gcloud/public/readme");
  EXPECT_TRUE(Hidden(plan, "/home/u/.config/gcloud/credentials.db"));
  EXPECT_TRUE(Hidden(plan, "/home/u/.config/gcloud/public/x"));
  EXPECT_TRUE(Hidden(plan, "/home/u/.config/gh"));
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, AllowReadCannotReopenWhatIsAbsentByDesign) {
  // /run is empty, not denied: an allowRead beneath it re-opens nothing, even beside a denyRead
  // that names a path already absent. Sockets come in through network.allowUnixSockets only.
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/run/user/1000"};
  p.allow_read = {"/run/user/1000/bus", "/run/docker.sock", "/proc/1/environ"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_FALSE(mentions(plan, "/run/"));
  EXPECT_TRUE(Hidden(plan, "/proc"));
  MountPlan base = plan_ok(base_policy(), fs);
  EXPECT_EQ(plan.ops.size(), base.ops.size());
}

TEST(PolicyMountPlan, DenyInsideProcKeepsTheSandboxesOwnProc) {
  // /proc is the sandbox's own procfs: a denyRead beneath it must not turn it into binds of the
  // host's /proc (every host process's environ and cmdline).
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/proc/kcore", "/proc/1/environ"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_GE(find(plan, Kind::Proc, "/proc"), 0);
  EXPECT_TRUE(Hidden(plan, "/proc"));
  EXPECT_EQ(find(plan, Kind::Tmpfs, "/proc"), -1);
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, DenyInsideDevKeepsTheMinimalDev) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/dev/shm", "/dev/mqueue"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_GE(find(plan, Kind::Dev, "/dev"), 0);
  EXPECT_TRUE(Hidden(plan, "/dev"));
  EXPECT_FALSE(mentions(plan, "host-segment"));
  EXPECT_FALSE(mentions(plan, "/dev/pts"));
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, DenyInsideEmptiedVarRunKeepsItEmpty) {
  FakeFs fs;
  fs.file("/usr/bin/ls").dir("/home/u/proj");
  fs.file("/var/run/sshd.pid").sock("/var/run/user/1000/bus").file("/var/run/secrets/token");
  FsPolicy p = base_policy();
  p.deny_read = {"/var/run/sshd.pid"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_GE(find(plan, Kind::HideDir, "/var/run"), 0);
  EXPECT_TRUE(Hidden(plan, "/var/run"));
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, CwdInsideADeniedDirectoryReopenedWritable) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/home/u"};
  p.allow_read = {"/home/u/proj"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  // /home is rebuilt in the root tmpfs; /home/u holds only the re-opened project.
  int t = find(plan, Kind::MakeDir, "/home/u");
  int mk = find(plan, Kind::MakeDir, "/home/u/proj");
  int b = find(plan, Kind::Bind, "/home/u/proj");
  ASSERT_GE(t, 0);
  ASSERT_GE(mk, 0);
  ASSERT_GE(b, 0);
  EXPECT_LT(t, mk);
  EXPECT_LT(mk, b);
  EXPECT_TRUE(plan.ops[size_t(b)].writable);
  EXPECT_EQ(host_at(plan, "/home/other/x"), "/home/other/x");
  EXPECT_TRUE(Hidden(plan, "/home/u/notes.txt"));
  for (const char* c : {".ssh", ".config", ".bashrc", "notes.txt", "bin"})
    EXPECT_FALSE(mentions(plan, std::string("/home/u/") + c)) << c;
  expect_well_formed(plan, fs);
}

// ---------------------------------------------------------------------------------------------
// Writable roots.

TEST(PolicyMountPlan, WritableCwdUnderHomeGetsARwBind) {
  FakeFs fs = host();
  MountPlan plan = plan_ok(base_policy(), fs);
  SCOPED_TRACE(dump(plan));
  int home = find(plan, Kind::Bind, "/home");
  int b = find(plan, Kind::Bind, "/home/u/proj");
  ASSERT_GE(b, 0);
  EXPECT_LT(home, b);
  EXPECT_TRUE(plan.ops[size_t(b)].writable);
  EXPECT_EQ(plan.ops[size_t(b)].source, "/home/u/proj");
  // A bind inside a bind needs no mount point made (it exists on the host).
  EXPECT_EQ(find(plan, Kind::MakeDir, "/home/u/proj"), -1);
}

TEST(PolicyMountPlan, WritableCwdUnderTmpIsMadeInsideTheTmpTmpfs) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.cwd = "/tmp/proj";
  p.writable = {"/tmp/proj"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  int tmp = find(plan, Kind::Tmpfs, "/tmp");
  int mk = find(plan, Kind::MakeDir, "/tmp/proj");
  int b = find(plan, Kind::Bind, "/tmp/proj");
  ASSERT_GE(tmp, 0);
  ASSERT_GE(mk, 0);
  ASSERT_GE(b, 0);
  EXPECT_LT(tmp, mk);
  EXPECT_LT(mk, b);
  EXPECT_TRUE(plan.ops[size_t(b)].writable);
  EXPECT_EQ(plan.ops[size_t(b)].source, "/tmp/proj");
  // Protected names in it are covered read-only after it.
  int hooks = find(plan, Kind::Bind, "/tmp/proj/.git/hooks");
  ASSERT_GE(hooks, 0);
  EXPECT_GT(hooks, b);
  EXPECT_FALSE(plan.ops[size_t(hooks)].writable);
  // The rest of the host's /tmp stays out.
  EXPECT_FALSE(mentions(plan, "host-tmp-file"));
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, WritableDeepUnderTmpMakesEachDirectory) {
  FakeFs fs = host();
  fs.dir("/tmp/a/b/c");
  FsPolicy p = base_policy();
  p.writable = {"/home/u/proj", "/tmp/a/b/c"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_GE(find(plan, Kind::MakeDir, "/tmp/a"), 0);
  EXPECT_GE(find(plan, Kind::MakeDir, "/tmp/a/b"), 0);
  EXPECT_GE(find(plan, Kind::MakeDir, "/tmp/a/b/c"), 0);
  EXPECT_EQ(host_at(plan, "/tmp/a/b/c"), "/tmp/a/b/c");
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, ProtectedNamesInTheWritableRootBoundReadOnlyAfterIt) {
  FakeFs fs = host();
  MountPlan plan = plan_ok(base_policy(), fs);
  SCOPED_TRACE(dump(plan));
  int root = find(plan, Kind::Bind, "/home/u/proj");
  ASSERT_GE(root, 0);
  for (const char* n : {".git/hooks", ".vscode", ".envrc", ".bashrc"}) {
    std::string path = std::string("/home/u/proj/") + n;
    int i = find(plan, Kind::Bind, path);
    ASSERT_GE(i, 0) << path;
    EXPECT_GT(i, root) << path;
    EXPECT_FALSE(plan.ops[size_t(i)].writable) << path;
    EXPECT_EQ(plan.ops[size_t(i)].source, path);
    EXPECT_EQ(top_mount(plan, path), i) << path;
  }
  // Names that do not exist get no placeholder; ordinary git internals stay writable.
  // The repository's config changes through checked installs (the git rules): not bound.
  for (const char* n : {".idea", ".mcp.json", ".gitmodules", ".git/config.worktree", ".husky",
                        ".git/objects", ".git/HEAD", "src", ".env", ".git/config"}) {
    std::string path = std::string("/home/u/proj/") + n;
    for (const auto& op : plan.ops) EXPECT_NE(op.path, path) << mount_op_name(op.kind);
  }
  // The repository itself is bound writable onto itself, before its read-only members.
  int git = find(plan, Kind::Bind, "/home/u/proj/.git");
  ASSERT_GE(git, 0);
  EXPECT_TRUE(plan.ops[size_t(git)].writable);
  EXPECT_GT(git, root);
  EXPECT_LT(git, find(plan, Kind::Bind, "/home/u/proj/.git/hooks"));
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, MultiComponentNamesInTheWritableRootBoundReadOnly) {
  FakeFs fs = host();
  const std::string p = "/home/u/proj";
  fs.file(p + "/.claude/settings.json")
      .file(p + "/.claude/notes.md")
      .file(p + "/.config/git/config")
      .file(p + "/ci/hooks")
      // stat through a directory link finds the file, but a bind there would land where the
      // link points: .gemini -> /srv/g is left to the mediator
      .file(p + "/.gemini/settings.json")
      .link(p + "/.gemini", "/srv/g");
  FsPolicy pol = base_policy();
  pol.protect = ProtectedPaths({}, {}, {"ci/hooks", "*.hooksh"});
  MountPlan plan = plan_ok(pol, fs);
  SCOPED_TRACE(dump(plan));
  const int root = find(plan, Kind::Bind, p);
  for (const char* n : {".claude/settings.json", ".config/git/config", "ci/hooks"}) {
    const int i = find(plan, Kind::Bind, p + "/" + n);
    ASSERT_GE(i, 0) << n;
    EXPECT_GT(i, root) << n;
    EXPECT_FALSE(plan.ops[size_t(i)].writable) << n;
  }
  for (const char* n : {".claude", ".claude/notes.md", ".config", ".config/git", ".gemini",
                        ".gemini/settings.json"})
    EXPECT_EQ(find(plan, Kind::Bind, p + "/" + n), -1) << n;
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, HooksOfASymlinkedGitDirectoryStillBound) {
  // The user's own .git -> elsewhere (the sandbox cannot create one): its hooks are the ones
  // host git runs, so they stay bound read-only as before.
  FakeFs fs = host();
  const std::string w = "/srv/wt";
  fs.file(w + "/.git/hooks/pre-commit").file(w + "/.git/config").link(w + "/.git", "/srv/repo.git");
  FsPolicy pol = base_policy();
  pol.writable = {"/home/u/proj", w};
  MountPlan plan = plan_ok(pol, fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_GE(find(plan, Kind::Bind, w + "/.git/hooks"), 0);
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, WritableHomeKeepsShellFilesReadOnly) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.cwd = "/home/u";
  p.writable = {"/home/u"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  int root = find(plan, Kind::Bind, "/home/u");
  ASSERT_GE(root, 0);
  EXPECT_TRUE(plan.ops[size_t(root)].writable);
  for (const char* n : {".bashrc", ".profile", ".gitconfig", ".config/fish"}) {
    std::string path = std::string("/home/u/") + n;
    int i = find(plan, Kind::Bind, path);
    ASSERT_GE(i, 0) << path;
    EXPECT_GT(i, root) << path;
    EXPECT_FALSE(plan.ops[size_t(i)].writable);
  }
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, NestedWritableRootsBindOnce) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.writable = {"/home/u/proj", "/home/u/proj/build"};
  MountPlan plan = plan_ok(p, fs);
  EXPECT_GE(find(plan, Kind::Bind, "/home/u/proj"), 0);
  EXPECT_EQ(find(plan, Kind::Bind, "/home/u/proj/build"), -1) << dump(plan);
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, DeniedEntriesInsideAWritableRootShownEmptyWithANote) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/home/u/proj/.env", "/home/u/proj/secrets", "/home/u/proj/missing"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  int root = find(plan, Kind::Bind, "/home/u/proj");
  int f = find(plan, Kind::HideFile, "/home/u/proj/.env");
  int d = find(plan, Kind::HideDir, "/home/u/proj/secrets");
  ASSERT_GE(root, 0);
  ASSERT_GE(f, 0);
  ASSERT_GE(d, 0);
  EXPECT_GT(f, root);
  EXPECT_GT(d, root);
  EXPECT_TRUE(Hidden(plan, "/home/u/proj/.env"));
  EXPECT_TRUE(Hidden(plan, "/home/u/proj/secrets/key"));
  EXPECT_FALSE(mentions(plan, "missing"));
  ASSERT_EQ(plan.notes.size(), 2u);
  EXPECT_NE(plan.notes[0].find("/home/u/proj/.env"), std::string::npos);
  EXPECT_NE(plan.notes[1].find("/home/u/proj/secrets"), std::string::npos);
  // The root stays writable: it is not rebuilt.
  EXPECT_EQ(find(plan, Kind::Tmpfs, "/home/u/proj"), -1);
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, CredentialStoresInAWritableHomeShownEmpty) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.cwd = "/home/u";
  p.writable = {"/home/u"};
  p.deny_read = {"/home/u/.ssh", "/home/u/.config/gcloud"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_GT(find(plan, Kind::HideDir, "/home/u/.ssh"), find(plan, Kind::Bind, "/home/u"));
  EXPECT_GT(find(plan, Kind::HideDir, "/home/u/.config/gcloud"), find(plan, Kind::Bind, "/home/u"));
  EXPECT_TRUE(Hidden(plan, "/home/u/.ssh/id_rsa"));
  EXPECT_TRUE(Hidden(plan, "/home/u/.config/gcloud/credentials.db"));
  EXPECT_EQ(plan.notes.size(), 2u);
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, DenyWriteEntriesInsideAWritableRootBoundReadOnly) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.protect = ProtectedPaths({"/home/u/proj/src", "/home/u/proj/missing", "/etc/hosts"});
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  int root = find(plan, Kind::Bind, "/home/u/proj");
  int src = find(plan, Kind::Bind, "/home/u/proj/src");
  ASSERT_GE(src, 0);
  EXPECT_GT(src, root);
  EXPECT_FALSE(plan.ops[size_t(src)].writable);
  EXPECT_FALSE(mentions(plan, "missing"));
  EXPECT_EQ(find(plan, Kind::Bind, "/etc/hosts"), -1);  // read-only already
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, ImpossibleWritableRootsRefused) {
  FakeFs fs = host();
  for (const char* w : {"/", "/proc", "/proc/sys", "/dev", "/dev/shm", "/sys", "/sys/kernel"}) {
    FsPolicy p = base_policy();
    p.writable = {"/home/u/proj", w};
    auto r = plan_mounts(p, fs);
    ASSERT_FALSE(r.ok()) << w;
    EXPECT_EQ(r.error().path, w);
  }
}

TEST(PolicyMountPlan, MissingWritableRootIgnored) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.writable = {"/home/u/proj", "/home/u/not-yet"};
  MountPlan plan = plan_ok(p, fs);
  EXPECT_FALSE(mentions(plan, "not-yet")) << dump(plan);
}

// ---------------------------------------------------------------------------------------------
// Unix sockets.

TEST(PolicyMountPlan, UnixSocketPassThroughBindsOnlyTheSocket) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.unix_sockets = {"/run/user/1000/bus"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  int d1 = find(plan, Kind::MakeDir, "/run/user");
  int d2 = find(plan, Kind::MakeDir, "/run/user/1000");
  int mk = find(plan, Kind::MakeFile, "/run/user/1000/bus");
  int b = find(plan, Kind::Bind, "/run/user/1000/bus");
  ASSERT_GE(d1, 0);
  ASSERT_GE(d2, 0);
  ASSERT_GE(mk, 0);
  ASSERT_GE(b, 0);
  EXPECT_LT(d1, d2);
  EXPECT_LT(d2, mk);
  EXPECT_LT(mk, b);
  EXPECT_EQ(plan.ops[size_t(b)].source, "/run/user/1000/bus");
  EXPECT_TRUE(plan.ops[size_t(b)].writable);  // connect() needs write permission
  EXPECT_FALSE(mentions(plan, "docker.sock"));
  EXPECT_FALSE(mentions(plan, "/run/lock"));
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, UnixSocketInsideADeniedDirectory) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/home/u/.gnupg"};
  p.unix_sockets = {"/home/u/.gnupg/S.gpg-agent"};
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  EXPECT_EQ(host_at(plan, "/home/u/.gnupg/S.gpg-agent"), "/home/u/.gnupg/S.gpg-agent");
  EXPECT_TRUE(Hidden(plan, "/home/u/.gnupg/pubring.kbx"));
  expect_well_formed(plan, fs);
}

TEST(PolicyMountPlan, UnixSocketListMustNameASocket) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.unix_sockets = {"/run/lock", "/run/missing.sock", "/etc/passwd"};
  MountPlan plan = plan_ok(p, fs);
  EXPECT_FALSE(mentions(plan, "/run/lock")) << dump(plan);
  EXPECT_FALSE(mentions(plan, "missing.sock"));
  EXPECT_EQ(find(plan, Kind::Bind, "/etc/passwd"), -1);
}

// ---------------------------------------------------------------------------------------------
// Everything at once, and scale.

TEST(PolicyMountPlan, ComplexPolicyIsWellFormed) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  p.deny_read = {"/home/u/.ssh",   "/home/u/.config/gcloud",
                 "/home/u/.gnupg", "/home/u/proj/.env",
                 "/etc/passwd",    "/srv/data"};
  p.allow_read = {"/home/u/.ssh/known_hosts"};
  p.writable = {"/home/u/proj", "/tmp/proj", "/home/u/.config/nvim"};
  p.unix_sockets = {"/run/user/1000/bus", "/home/u/.gnupg/S.gpg-agent"};
  p.protect = ProtectedPaths({"/home/u/proj/src"});
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  expect_well_formed(plan, fs);
  for (const char* d :
       {"/home/u/.ssh/id_rsa", "/home/u/.config/gcloud", "/home/u/.gnupg/pubring.kbx",
        "/home/u/proj/.env", "/etc/passwd", "/srv/data", "/run/docker.sock"})
    EXPECT_TRUE(Hidden(plan, d));
  EXPECT_EQ(host_at(plan, "/home/u/.ssh/known_hosts"), "/home/u/.ssh/known_hosts");
  const MountOp* nvim = op_at(plan, Kind::Bind, "/home/u/.config/nvim");
  ASSERT_NE(nvim, nullptr);
  EXPECT_TRUE(nvim->writable);
  // ReadOnly ops come last, after every entry and mount.
  size_t first_ro = plan.ops.size();
  for (size_t i = 0; i < plan.ops.size(); ++i)
    if (plan.ops[i].kind == Kind::ReadOnly) first_ro = std::min(first_ro, i);
  for (size_t i = first_ro; i < plan.ops.size(); ++i)
    EXPECT_EQ(plan.ops[i].kind, Kind::ReadOnly) << i;
  EXPECT_GE(find(plan, Kind::ReadOnly, "/home/u"), 0);
  EXPECT_EQ(find(plan, Kind::ReadOnly, "/home/u/.config"), -1);  // a plain dir in ~'s tmpfs
  EXPECT_EQ(find(plan, Kind::ReadOnly, "/"), -1);                // the host's root, bound read-only
  EXPECT_TRUE(starts_from_host_root(plan));
  EXPECT_EQ(find(plan, Kind::ReadOnly, "/tmp"), -1);
}

// `n` denied directories under ~/data, each with two files; optionally re-open one file in each.
std::pair<FakeFs, FsPolicy> many_rules(int n, bool with_allow) {
  FakeFs fs = host();
  FsPolicy p = base_policy();
  for (int i = 0; i < n; ++i) {
    std::string d = "/home/u/data/d" + std::to_string(i);
    fs.file(d + "/secret").file(d + "/public");
    fs.file("/home/u/data/keep" + std::to_string(i));
    p.deny_read.push_back(d);
    if (with_allow) p.allow_read.push_back(d + "/public");
  }
  return {std::move(fs), std::move(p)};
}

TEST(PolicyMountPlan, ThousandRulesPlanLinearly) {
  for (bool with_allow : {false, true}) {
    auto [fs100, p100] = many_rules(100, with_allow);
    auto [fs1000, p1000] = many_rules(1000, with_allow);
    MountPlan small = plan_ok(p100, fs100);
    MountPlan big = plan_ok(p1000, fs1000);
    MountPlan base = plan_ok(base_policy(), host());
    size_t ds = small.ops.size() - base.ops.size();
    size_t db = big.ops.size() - base.ops.size();
    EXPECT_GE(db, 9 * ds) << "with_allow=" << with_allow;
    EXPECT_LE(db, 11 * ds) << "with_allow=" << with_allow;
    // Each rebuilt directory is listed once, not once per rule.
    EXPECT_LT(fs1000.list_calls, 50) << "with_allow=" << with_allow;
    EXPECT_TRUE(Hidden(big, "/home/u/data/d999/secret"));
    EXPECT_TRUE(Hidden(big, "/home/u/data/d0/secret"));
    if (with_allow) {
      EXPECT_EQ(host_at(big, "/home/u/data/d500/public"), "/home/u/data/d500/public");
    }
  }
}

}  // namespace
}  // namespace paddock

namespace paddock {
namespace {

TEST(PolicyMountPlan, AllowReadBeneathDeniedPathInsideWritableRootIsReopened) {
  FakeFs fs = host();
  fs.dir("/home/u/proj/data").dir("/home/u/proj/data/public").file("/home/u/proj/data/x");
  FsPolicy p = base_policy();
  p.deny_read.push_back("/home/u/proj/data");
  p.allow_read.push_back("/home/u/proj/data/public");
  MountPlan plan = plan_ok(p, fs);
  SCOPED_TRACE(dump(plan));
  // The cover is a read-only skeleton holding only the way to the re-opened path.
  int cover = find(plan, Kind::Tmpfs, "/home/u/proj/data");
  ASSERT_GE(cover, 0);
  int reopened = find(plan, Kind::Bind, "/home/u/proj/data/public");
  ASSERT_GE(reopened, 0);
  EXPECT_GT(reopened, cover);
  EXPECT_FALSE(plan.ops[size_t(reopened)].writable);
  EXPECT_GE(find(plan, Kind::ReadOnly, "/home/u/proj/data"), 0);
  for (const auto& op : plan.ops) EXPECT_NE(op.path, "/home/u/proj/data/x");
  EXPECT_LT(find(plan, Kind::HideDir, "/home/u/proj/data"), 0);
}

}  // namespace
}  // namespace paddock
