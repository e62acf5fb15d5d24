#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "judge_by_path.h"
#include "policy/write_judge.h"

namespace paddock {
namespace {

using namespace judge_by_path;

FsPolicy make_policy() {
  FsPolicy p;
  p.home = "/home/u";
  p.cwd = "/home/u/proj";
  p.writable = {"/home/u/proj", "/home/u/.cache/build", "/srv/out"};
  p.protect = ProtectedPaths({"/home/u/proj/deploy", "/home/u/.config/paddock.json"});
  return p;
}

::testing::AssertionResult Allowed(const WriteVerdict& v) {
  if (v.allowed) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "refused: errno " << v.err << " (" << v.reason << ")";
}

::testing::AssertionResult Refused(const WriteVerdict& v, int err) {
  if (v.allowed) return ::testing::AssertionFailure() << "allowed";
  if (v.err != err)
    return ::testing::AssertionFailure()
           << "errno " << v.err << " instead of " << err << " (" << v.reason << ")";
  if (v.reason.empty()) return ::testing::AssertionFailure() << "no reason given";
  return ::testing::AssertionSuccess();
}

// --- judge_write ----------------------------------------------------------------------------

TEST(PolicyWriteJudge, WritableRootsAndBeneath) {
  FsPolicy p = make_policy();
  for (const char* path : {"/home/u/proj", "/home/u/proj/src/main.cc", "/home/u/proj/a/b/c/d",
                           "/home/u/.cache/build/obj.o", "/srv/out", "/srv/out/x"}) {
    EXPECT_TRUE(Allowed(judge_write(p, path, EntryType::File))) << path;
    EXPECT_TRUE(Allowed(judge_write(p, path, EntryType::Missing))) << path;
  }
}

TEST(PolicyWriteJudge, PaddocksRuntimeRootsAreNeverMadeEvenWhereWritable) {
  // $XDG_RUNTIME_DIR inside a writable root, its paddock directory not made yet: a directory
  // the sandbox made there would be the user's, and later runs would trust it.
  FsPolicy p = make_policy();
  p.writable.push_back("/run/user/1000");
  p.runtime_roots = {"/run/user/1000/paddock", "/tmp/paddock-1000"};
  EXPECT_TRUE(Refused(judge_write(p, "/run/user/1000/paddock", EntryType::Missing), EACCES));
  EXPECT_TRUE(
      Refused(judge_write(p, "/run/user/1000/paddock/masks/x", EntryType::Missing), EACCES));
  EXPECT_TRUE(
      Refused(judge_rename(p, "/run/user/1000/made", "/run/user/1000/paddock", true), EACCES));
  EXPECT_TRUE(Refused(judge_remove(p, "/run/user/1000/paddock"), EACCES));
  // Its neighbours are as writable as before.
  EXPECT_TRUE(Allowed(judge_write(p, "/run/user/1000/paddock2", EntryType::Missing)));
  EXPECT_TRUE(Allowed(judge_write(p, "/run/user/1000/other/paddock", EntryType::Missing)));
}

TEST(PolicyWriteJudge, ADeniedNameMissingAtStartIsNotMadeInAWritableRoot) {
  FsPolicy p = make_policy();
  p.deny_read_absent = {"/home/u/proj/.env", "/home/u/proj/keys"};
  p.allow_read = {"/home/u/proj/keys/public"};
  EXPECT_TRUE(Refused(judge_write(p, "/home/u/proj/.env", EntryType::Missing), EACCES));
  EXPECT_TRUE(Refused(judge_write(p, "/home/u/proj/keys/k.pem", EntryType::Missing), EACCES));
  EXPECT_TRUE(Refused(judge_rename(p, "/home/u/proj/made", "/home/u/proj/.env", false), EACCES));
  // Re-opened beneath it, and its neighbours: as before.
  EXPECT_TRUE(Allowed(judge_write(p, "/home/u/proj/keys/public/a", EntryType::Missing)));
  EXPECT_TRUE(Allowed(judge_write(p, "/home/u/proj/.env.example", EntryType::Missing)));
}

TEST(PolicyWriteJudge, PrivateMountAlwaysWritableAndUnprotected) {
  FsPolicy p;  // no writable roots at all
  for (const char* path :
       {"/tmp", "/tmp/x", "/tmp/a/b/c", "/var/tmp/x", "/dev/shm/seg",
        "/tmp/repo/.git/hooks/pre-commit", "/tmp/repo/.git/config", "/tmp/.bashrc"})
    EXPECT_TRUE(Allowed(paddock::judge_write(p, Place{path, EntryType::Missing, true}))) << path;
  EXPECT_TRUE(in_private_tmp("/tmp"));
  EXPECT_TRUE(in_private_tmp("/var/tmp/a"));
  EXPECT_TRUE(in_private_tmp("/dev/shm"));
  EXPECT_FALSE(in_private_tmp("/tmpx"));
  EXPECT_FALSE(in_private_tmp("/var/tmpfoo"));
  EXPECT_FALSE(in_private_tmp("/var"));
  EXPECT_FALSE(in_private_tmp("/dev"));
  EXPECT_FALSE(in_private_tmp("/dev/shmx"));
}

TEST(PolicyWriteJudge, PrivateIsTheMountNotTheSpelling) {
  // A host file under the host's /tmp, passed in on stdin, is not on the sandbox's private
  // tmpfs: its /tmp path is judged like any other path outside the writable roots.
  FsPolicy p = make_policy();
  for (const char* path : {"/tmp/f.txt", "/var/tmp/x", "/dev/shm/seg"})
    EXPECT_TRUE(Refused(paddock::judge_write(p, Place{path, EntryType::File, false}), EROFS))
        << path;
}

TEST(PolicyWriteJudge, ProtectedNameReachedThroughASymlink) {
  // ~/.bashrc -> dotfiles/bashrc (stow): the write lands in dotfiles/bashrc, an ordinary file
  // in a writable root, but was spelled through the protected name.
  FsPolicy p = make_policy();
  p.writable.push_back("/home/u");
  std::vector<std::string> via = {"/home/u/.bashrc"};
  Place at{"/home/u/dotfiles/bashrc", EntryType::File, false, via};
  EXPECT_TRUE(Refused(paddock::judge_write(p, at), EACCES));
  std::vector<std::string> hooks = {"/home/u/proj/sub/.vscode/tasks.json"};
  EXPECT_TRUE(Refused(paddock::judge_write(p, Place{"/home/u/proj/githooks/pre-commit",
                                                    EntryType::Missing, false, hooks}),
                      EACCES));
  // Even on a private mount: the alias is a host path.
  EXPECT_TRUE(
      Refused(paddock::judge_write(p, Place{"/tmp/x", EntryType::Missing, true, via}), EACCES));
  // An ordinary symlink on the way changes nothing.
  std::vector<std::string> plain = {"/home/u/proj/link/file"};
  EXPECT_TRUE(Allowed(
      paddock::judge_write(p, Place{"/home/u/proj/real/file", EntryType::File, false, plain})));
  // Renames and links judge the spellings of both ends.
  EXPECT_TRUE(Refused(
      paddock::judge_rename(p, Place{"/home/u/proj/x", EntryType::File},
                            Place{"/home/u/dotfiles/bashrc", EntryType::File, false, via}, false),
      EACCES));
  EXPECT_TRUE(
      Refused(paddock::judge_link(p, Place{"/home/u/proj/x", EntryType::File},
                                  Place{"/home/u/dotfiles/new", EntryType::Missing, false, via}),
              EACCES));
}

TEST(PolicyWriteJudge, OutsideWritableIsReadOnlyFilesystem) {
  FsPolicy p = make_policy();
  for (const char* path :
       {"/etc/passwd", "/home/u/.ssh/authorized_keys", "/home/u/notes.txt", "/home/u/proj2/x",
        "/home/u/projx", "/usr/bin/ls", "/", "/srv/outx", "/home/u/.cache/buildx", "/tmpfoo"}) {
    EXPECT_TRUE(Refused(judge_write(p, path, EntryType::File), EROFS)) << path;
    EXPECT_TRUE(Refused(judge_write(p, path, EntryType::Missing), EROFS)) << path;
  }
}

TEST(PolicyWriteJudge, DevCharDevicesAllowed) {
  FsPolicy p;
  for (const char* path : {"/dev/null", "/dev/tty", "/dev/zero", "/dev/pts/3", "/dev/full"})
    EXPECT_TRUE(Allowed(judge_write(p, path, EntryType::Other))) << path;
}

TEST(PolicyWriteJudge, HostDeviceAttributesRefused) {
  // Writing to the terminal is fine; changing its mode (or /dev/null's) is the host's business.
  FsPolicy p = make_policy();
  Place tty{"/dev/pts/3", EntryType::Other, false};
  EXPECT_TRUE(judge_write(p, tty).allowed);
  WriteVerdict v = judge_attribute_change(p, tty, true);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.err, EROFS);
  EXPECT_FALSE(
      judge_attribute_change(p, {"/home/u/proj/dev0", EntryType::Other, false}, true).allowed);
  // On the sandbox's own tmpfs, and for what is not a device, judge_write decides.
  EXPECT_TRUE(judge_attribute_change(p, {"/tmp/node", EntryType::Other, true}, true).allowed);
  EXPECT_TRUE(
      judge_attribute_change(p, {"/home/u/proj/a.txt", EntryType::File, false}, false).allowed);
  EXPECT_FALSE(judge_attribute_change(p, {"/etc/passwd", EntryType::File, false}, false).allowed);
}

TEST(PolicyWriteJudge, DevRegularFilesAndNewNamesRefused) {
  FsPolicy p;
  EXPECT_TRUE(Refused(judge_write(p, "/dev/null", EntryType::File), EROFS));
  EXPECT_TRUE(Refused(judge_write(p, "/dev/newfile", EntryType::Missing), EROFS));
  EXPECT_TRUE(Refused(judge_write(p, "/dev/pts", EntryType::Dir), EROFS));
  EXPECT_TRUE(Refused(judge_write(p, "/dev/fd", EntryType::Symlink), EROFS));
  EXPECT_TRUE(Refused(judge_write(p, "/dev/log", EntryType::Socket), EROFS));
  // "Other" outside /dev (a fifo in /etc, a device node elsewhere) is not writable.
  EXPECT_TRUE(Refused(judge_write(p, "/etc/fifo", EntryType::Other), EROFS));
  EXPECT_TRUE(Refused(judge_write(p, "/devx/null", EntryType::Other), EROFS));
}

TEST(PolicyWriteJudge, ProtectedIsPermissionDeniedEvenInWritableRoots) {
  FsPolicy p = make_policy();
  for (const char* path :
       {"/home/u/proj/.vscode/tasks.json", "/home/u/proj/.envrc", "/home/u/proj/.mcp.json",
        "/home/u/proj/a/b/.idea/x.xml", "/home/u/proj/sub/.devcontainer/devcontainer.json",
        "/home/u/proj/.claude/settings.json", "/home/u/proj/deploy", "/home/u/proj/deploy/key",
        "/tmp/.bashrc"}) {
    auto v = judge_write(p, path, EntryType::Missing);
    EXPECT_TRUE(Refused(v, EACCES)) << path;
    EXPECT_NE(v.reason.find("protected"), std::string::npos) << v.reason;
  }
}

TEST(PolicyWriteJudge, ProtectionWinsOverReadOnly) {
  // Outside the writable roots a protected path reports EACCES (the more specific reason).
  FsPolicy p = make_policy();
  EXPECT_TRUE(Refused(judge_write(p, "/home/u/.bashrc", EntryType::File), EACCES));
  EXPECT_TRUE(Refused(judge_write(p, "/home/u/.config/paddock.json", EntryType::File), EACCES));
}

TEST(PolicyWriteJudge, ReasonNamesTheRule) {
  FsPolicy p = make_policy();
  EXPECT_NE(
      judge_write(p, "/home/u/proj/deploy/k", EntryType::File).reason.find("/home/u/proj/deploy"),
      std::string::npos);
  EXPECT_NE(judge_write(p, "/home/u/proj/.vscode/x", EntryType::File).reason.find(".vscode"),
            std::string::npos);
}

TEST(PolicyWriteJudge, GitInternalsWritable) {
  FsPolicy p = make_policy();
  for (const char* path : {"/home/u/proj/.git/objects/ab/cd", "/home/u/proj/.git/index",
                           "/home/u/proj/.git/refs/heads/main", "/home/u/proj/.git/config.lock"})
    EXPECT_TRUE(Allowed(judge_write(p, path, EntryType::Missing))) << path;
}

// --- judge_rename -----------------------------------------------------------------------------

TEST(PolicyWriteJudgeRename, WithinWritable) {
  FsPolicy p = make_policy();
  EXPECT_TRUE(Allowed(judge_rename(p, "/home/u/proj/a", "/home/u/proj/b", false)));
  EXPECT_TRUE(Allowed(judge_rename(p, "/home/u/proj/a", "/srv/out/a", true)));
  EXPECT_TRUE(Allowed(paddock::judge_rename(p, Place{"/tmp/x", EntryType::File, true},
                                            Place{"/home/u/proj/x"}, false)));
  EXPECT_TRUE(Allowed(paddock::judge_rename(p, Place{"/home/u/proj/x", EntryType::File},
                                            Place{"/tmp/x", EntryType::Missing, true}, false)));
  // Both ends on the private tmpfs: nothing there is protected (git works in /tmp).
  EXPECT_TRUE(
      Allowed(paddock::judge_rename(p, Place{"/tmp/r/.git/config.lock", EntryType::File, true},
                                    Place{"/tmp/r/.git/config", EntryType::File, true}, false)));
}

TEST(PolicyWriteJudgeRename, EitherEndOutsideIsReadOnly) {
  FsPolicy p = make_policy();
  EXPECT_TRUE(Refused(judge_rename(p, "/etc/hosts", "/home/u/proj/hosts", false), EROFS));
  EXPECT_TRUE(Refused(judge_rename(p, "/home/u/proj/x", "/home/u/x", false), EROFS));
  EXPECT_TRUE(Refused(judge_rename(p, "/dev/null", "/tmp/null", false), EROFS));
}

TEST(PolicyWriteJudgeRename, ProtectedEndsRefused) {
  FsPolicy p = make_policy();
  EXPECT_TRUE(
      Refused(judge_rename(p, "/home/u/proj/evil", "/home/u/proj/sub/.envrc", false), EACCES));
  EXPECT_TRUE(
      Refused(judge_rename(p, "/home/u/proj/.vscode", "/home/u/proj/vscode", true), EACCES));
  // Protection is checked before the read-only rule.
  EXPECT_TRUE(Refused(judge_rename(p, "/etc/x", "/home/u/.bashrc", false), EACCES));
}

TEST(PolicyWriteJudgeRename, IntoGitIsTheGitRulesConcern) {
  // What lands in a repository is judged by the git rules (policy/git_control); the path
  // judge lets git move its files and `git submodule absorbgitdirs` move a repository.
  FsPolicy p = make_policy();
  EXPECT_TRUE(Allowed(judge_rename(p, "/home/u/proj/d", "/home/u/proj/.git/modules/d", true)));
  EXPECT_TRUE(Allowed(judge_rename(p, "/home/u/proj/f", "/home/u/proj/.git/objects/ab/cd", false)));
}

TEST(PolicyWriteJudgeRename, AncestorOfDenyWriteRefused) {
  FsPolicy p = make_policy();
  // /home/u/proj/deploy is protected; moving /home/u/proj would leave its place re-creatable.
  EXPECT_TRUE(Refused(judge_rename(p, "/home/u/proj", "/home/u/proj-old", true), EACCES));
  EXPECT_TRUE(Refused(judge_rename(p, "/home/u/proj/deploy", "/home/u/proj/d2", true), EACCES));
}

// --- judge_link -------------------------------------------------------------------------------

TEST(PolicyWriteJudgeLink, NewNameJudgedAsAWrite) {
  FsPolicy p = make_policy();
  EXPECT_TRUE(Allowed(judge_link(p, "/home/u/proj/a", "/home/u/proj/b")));
  // The source may be read-only.
  EXPECT_TRUE(Allowed(paddock::judge_link(p, Place{"/usr/bin/ls", EntryType::File},
                                          Place{"/tmp/ls", EntryType::Missing, true})));
  EXPECT_TRUE(Refused(judge_link(p, "/home/u/proj/a", "/home/u/a"), EROFS));
  EXPECT_TRUE(Refused(judge_link(p, "/home/u/proj/evil", "/home/u/proj/.idea/x.xml"), EACCES));
  EXPECT_TRUE(Refused(judge_link(p, "/home/u/proj/evil", "/home/u/proj/.bashrc"), EACCES));
}

TEST(PolicyWriteJudgeLink, ProtectedSourceRefused) {
  // A hard link to a protected file would be a second, unprotected name for it.
  FsPolicy p = make_policy();
  EXPECT_TRUE(Refused(judge_link(p, "/home/u/proj/.vscode/tasks.json", "/home/u/proj/t"), EACCES));
  EXPECT_TRUE(Refused(judge_link(p, "/home/u/proj/deploy/key", "/tmp/key"), EACCES));
  EXPECT_TRUE(Refused(judge_link(p, "/home/u/.bashrc", "/tmp/rc"), EACCES));
}

TEST(PolicyWriteJudgeLink, DestinationInDevRefused) {
  FsPolicy p;
  EXPECT_TRUE(Refused(judge_link(p, "/tmp/x", "/dev/x"), EROFS));
}

}  // namespace
}  // namespace paddock
