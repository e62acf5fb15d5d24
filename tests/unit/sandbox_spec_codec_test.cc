#include <gtest/gtest.h>

#include "sandbox/spec_codec.h"
#include "walls/seccomp.h"
#include "walls/terminal.h"

namespace paddock {
namespace {

SandboxSpec sample() {
  SandboxSpec s;
  s.mounts.ops = {{MountOp::Kind::Bind, "/", "/", false},
                  {MountOp::Kind::Tmpfs, "/tmp", "", true},
                  {MountOp::Kind::Symlink, "/run/x", "../target with spaces", false},
                  {MountOp::Kind::ReadOnly, "/run", "", false},
                  {MountOp::Kind::Whiteout, "/home/u/.ssh", "/home/u", false},
                  {MountOp::Kind::Overlay, "/home/u", "/home/u", true, "/home/u/.local/state/x",
                   "upper/.cache", "work/0123"}};
  s.mounts.notes = {"not carried"};
  s.landlock.abi = 7;
  s.landlock.handled_fs = 0x7ff2;
  s.landlock.handled_net = 3;
  s.landlock.scoped = 3;
  s.landlock.rules = {{"/home/u/proj", 0x7ff2}, {"/dev/null", 0x2}};
  s.landlock.connect_ports = {3128, 1080};
  s.cwd = "/home/u/proj";
  s.argv = {"/bin/sh", "-c", std::string("a\0b", 3), ""};
  s.env = {"PATH=/usr/bin", "EMPTY="};
  sigemptyset(&s.signal_mask);
  sigaddset(&s.signal_mask, SIGUSR2);
  s.view_extras.ptys = {0, 7};
  s.view_extras.hosts_path = "/etc/hosts";
  s.view_extras.hosts = "127.0.0.1 localhost\n127.0.1.1 paddock\n";
  s.ssh_agent_socket = "/tmp/paddock-ssh-agent/agent.sock";
  s.own_terminal.enabled = true;
  s.own_terminal.stdio = 5;
  return s;
}

TEST(SandboxSpecCodec, RoundTrip) {
  SandboxSpec in = sample();
  auto out = decode_spec(encode_spec(in));
  ASSERT_TRUE(out.ok()) << out.error().message();
  ASSERT_EQ(out->mounts.ops.size(), in.mounts.ops.size());
  for (size_t i = 0; i < in.mounts.ops.size(); ++i) {
    EXPECT_EQ(out->mounts.ops[i].kind, in.mounts.ops[i].kind) << i;
    EXPECT_EQ(out->mounts.ops[i].path, in.mounts.ops[i].path) << i;
    EXPECT_EQ(out->mounts.ops[i].source, in.mounts.ops[i].source) << i;
    EXPECT_EQ(out->mounts.ops[i].writable, in.mounts.ops[i].writable) << i;
    EXPECT_EQ(out->mounts.ops[i].store, in.mounts.ops[i].store) << i;
    EXPECT_EQ(out->mounts.ops[i].upper, in.mounts.ops[i].upper) << i;
    EXPECT_EQ(out->mounts.ops[i].work, in.mounts.ops[i].work) << i;
  }
  EXPECT_EQ(out->landlock.abi, 7);
  EXPECT_EQ(out->landlock.handled_fs, 0x7ff2u);
  EXPECT_EQ(out->landlock.handled_net, 3u);
  EXPECT_EQ(out->landlock.scoped, 3u);
  ASSERT_EQ(out->landlock.rules.size(), 2u);
  EXPECT_EQ(out->landlock.rules[1].path, "/dev/null");
  EXPECT_EQ(out->landlock.rules[1].access, 0x2u);
  EXPECT_EQ(out->landlock.connect_ports, (std::vector<uint16_t>{3128, 1080}));
  EXPECT_EQ(out->cwd, in.cwd);
  EXPECT_EQ(out->argv, in.argv);
  EXPECT_EQ(out->env, in.env);
  EXPECT_EQ(sigismember(&out->signal_mask, SIGUSR2), 1);
  EXPECT_EQ(sigismember(&out->signal_mask, SIGUSR1), 0);
  EXPECT_EQ(out->view_extras.ptys, (std::vector<unsigned>{0, 7}));
  EXPECT_EQ(out->view_extras.hosts_path, in.view_extras.hosts_path);
  EXPECT_EQ(out->view_extras.hosts, in.view_extras.hosts);
  EXPECT_EQ(out->ssh_agent_socket, in.ssh_agent_socket);
  EXPECT_TRUE(out->own_terminal.enabled);
  EXPECT_EQ(out->own_terminal.stdio, 5);
  // Not carried: both ends hold the same static program.
  EXPECT_EQ(out->seccomp.data(), sandbox_seccomp_program().data());
}

TEST(SandboxSpecCodec, WallsAndCommandTravelApart) {
  SandboxSpec in = sample();
  // The walls carry nothing of the command: two specs that differ only there have the same.
  SandboxSpec other = in;
  other.argv = {"/bin/other"};
  other.env = {};
  EXPECT_EQ(encode_walls(in), encode_walls(other));
  EXPECT_EQ(encode_spec(in), encode_walls(in) + encode_command(in));
  auto walls = decode_walls(encode_walls(in));
  ASSERT_TRUE(walls.ok()) << walls.error().message();
  EXPECT_TRUE(walls->argv.empty());
  EXPECT_EQ(walls->cwd, in.cwd);
  EXPECT_EQ(walls->mounts.ops.size(), in.mounts.ops.size());
  ASSERT_TRUE(decode_command(encode_command(in), *walls).ok());
  EXPECT_EQ(encode_spec(*walls), encode_spec(in));
  // Each half alone where the other is expected, or both where one is, is refused.
  EXPECT_FALSE(decode_walls(encode_spec(in)).ok());
  EXPECT_FALSE(decode_spec(encode_walls(in)).ok());
  SandboxSpec s;
  EXPECT_FALSE(decode_command(encode_walls(in), s).ok());
  SandboxSpec none = in;
  none.argv.clear();
  EXPECT_FALSE(decode_command(encode_command(none), s).ok());
  std::string cmd = encode_command(in);
  for (size_t n = 0; n < cmd.size(); ++n)
    EXPECT_FALSE(decode_command(std::string_view(cmd).substr(0, n), s).ok()) << n;
}

TEST(SandboxSpecCodec, EveryTruncationIsRefused) {
  std::string bytes = encode_spec(sample());
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decode_spec(std::string_view(bytes).substr(0, n)).ok()) << n;
}

TEST(SandboxSpecCodec, TrailingBytesAndBadHeaderRefused) {
  std::string bytes = encode_spec(sample());
  EXPECT_FALSE(decode_spec(bytes + "x").ok());
  std::string bad = bytes;
  bad[0] ^= 1;
  EXPECT_FALSE(decode_spec(bad).ok());
}

TEST(SandboxSpecCodec, HugeCountsRefusedBeforeAllocating) {
  std::string bytes = encode_spec(sample());
  std::string bad = bytes;
  // The mount count follows the 4-byte header.
  bad[4] = bad[5] = bad[6] = bad[7] = '\xff';
  auto r = decode_spec(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("mount count"), std::string::npos) << r.error().message();
}

TEST(SandboxSpecCodec, UnknownMountKindRefused) {
  std::string bytes = encode_spec(sample());
  std::string bad = bytes;
  bad[8] = '\x7f';  // first op's kind
  EXPECT_FALSE(decode_spec(bad).ok());
}

TEST(SandboxSpecCodec, PtyNumberOutOfRangeRefused) {
  SandboxSpec s = sample();
  s.view_extras.ptys = {kMaxExposedPty + 1};
  EXPECT_FALSE(decode_spec(encode_spec(s)).ok());
}

TEST(SandboxSpecCodec, OwnTerminalOutOfRangeRefused) {
  SandboxSpec s = sample();
  std::string bytes = encode_walls(s);
  // The last two words of the walls: enabled, then the stdio bits.
  std::string bad = bytes;
  bad[bad.size() - 4] = 8;  // a bit beyond fds 0-2
  EXPECT_FALSE(decode_walls(bad).ok());
  bad = bytes;
  bad[bad.size() - 8] = 2;
  EXPECT_FALSE(decode_walls(bad).ok());
  ASSERT_TRUE(decode_walls(bytes).ok());  // control
  s.own_terminal.enabled = false;  // stdio bits without a terminal to put there
  EXPECT_FALSE(decode_spec(encode_spec(s)).ok());
  s.own_terminal.stdio = 0;
  EXPECT_TRUE(decode_spec(encode_spec(s)).ok());
}

TEST(SandboxSpecCodec, EmptyArgvRefused) {
  SandboxSpec s = sample();
  s.argv.clear();
  EXPECT_FALSE(decode_spec(encode_spec(s)).ok());
}

}  // namespace
}  // namespace paddock
