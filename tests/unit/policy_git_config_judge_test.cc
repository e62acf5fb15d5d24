// The git config judge: what the sandbox may install as a repository's config or .gitmodules.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "policy/git_config_judge.h"

namespace paddock {
namespace {

// Allows github.com and local paths under /home/u/proj, like a network policy and writable
// roots would.
GitConfigJudgeContext repo_ctx() {
  GitConfigJudgeContext ctx;
  ctx.url_allowed = [](const GitUrl& u) {
    if (u.kind == GitUrl::Kind::kNetwork) return u.host == "github.com";
    return u.path.rfind("/home/u/proj/", 0) == 0;
  };
  ctx.worktree_allowed = [](std::string_view path) {
    return path.rfind("../../../", 0) == 0 && path.find("..", 9) == std::string_view::npos;
  };
  return ctx;
}

GitConfigVerdict judge(std::string_view text, const GitConfigJudgeContext& ctx = repo_ctx()) {
  return judge_git_config_text(text, ctx);
}

::testing::AssertionResult Allowed(std::string_view text,
                                   const GitConfigJudgeContext& ctx = repo_ctx()) {
  const GitConfigVerdict v = judge(text, ctx);
  if (v.allowed) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "refused: " << v.reason << "\nin:\n" << text;
}

// Refused, naming `key`, with a reason that contains `why`.
::testing::AssertionResult Refused(std::string_view text, std::string_view key,
                                   std::string_view why,
                                   const GitConfigJudgeContext& ctx = repo_ctx()) {
  const GitConfigVerdict v = judge(text, ctx);
  if (v.allowed) return ::testing::AssertionFailure() << "allowed:\n" << text;
  if (v.key != key) return ::testing::AssertionFailure() << "key " << v.key << ": " << v.reason;
  if (v.reason.find(why) == std::string::npos || v.reason.rfind(std::string(key) + " ", 0) != 0) {
    return ::testing::AssertionFailure() << "reason: " << v.reason;
  }
  if (v.reason.find('\n') != std::string::npos) {
    return ::testing::AssertionFailure() << "reason spans lines: " << v.reason;
  }
  return ::testing::AssertionSuccess();
}

// --- everyday workflows ---------------------------------------------------------------------

TEST(GitConfigJudge, WhatEverydayGitWrites) {
  // git init; git clone; git remote add; git config user.*; git push -u; git branch --track.
  EXPECT_TRUE(
      Allowed("[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n"
              "\tbare = false\n\tlogallrefupdates = true\n\tignorecase = true\n"
              "\tprecomposeunicode = true\n\tsymlinks = false\n"
              "[remote \"origin\"]\n\turl = https://github.com/o/r.git\n"
              "\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
              "[branch \"main\"]\n\tremote = origin\n\tmerge = refs/heads/main\n"
              "[branch \"feature/x\"]\n\tremote = origin\n\tmerge = refs/heads/feature/x\n"
              "[branch \"local\"]\n\tremote = .\n\tmerge = refs/heads/main\n"
              "\trebase = true\n\tdescription = \"does things\"\n"
              "[user]\n\temail = a@b.example\n\tname = A B\n\tsigningkey = ABCD\n"
              "[remote \"upstream\"]\n\turl = git@github.com:up/r.git\n"
              "\tpushurl = ssh://git@github.com/me/r.git\n"
              "\tfetch = +refs/heads/*:refs/remotes/upstream/*\n\ttagopt = --no-tags\n"));
  // Partial and mirror clones, sparse checkout, worktrees, maintenance register, gc.
  EXPECT_TRUE(
      Allowed("[core]\n\trepositoryformatversion = 1\n\tsparseCheckout = true\n"
              "\tsparseCheckoutCone = true\n[extensions]\n\tpartialclone = origin\n"
              "\tworktreeConfig = true\n\tobjectformat = sha256\n[index]\n\tsparse = true\n"
              "[remote \"origin\"]\n\turl = https://github.com/o/r\n\tpromisor = true\n"
              "\tpartialclonefilter = blob:none\n\tmirror = true\n"
              "[maintenance]\n\tauto = false\n\tstrategy = incremental\n"
              "[gc]\n\tauto = 0\n[gc \"refs/remotes/*\"]\n\treflogExpire = never\n"
              "[pull]\n\trebase = true\n[push]\n\tautoSetupRemote = true\n"
              "[init]\n\tdefaultBranch = main\n[color]\n\tui = auto\n"
              "[color \"diff\"]\n\tmeta = yellow bold\n[advice]\n\tdetachedHead = false\n"
              "[http]\n\tpostBuffer = 524288000\n[protocol]\n\tversion = 2\n"
              "[commit]\n\tgpgsign = true\n\ttemplate = .gitmessage\n"
              "[rerere]\n\tenabled = true\n[merge]\n\tconflictstyle = zdiff3\n"));
  // git submodule add / update --init (superproject side).
  EXPECT_TRUE(
      Allowed("[submodule \"lib\"]\n\turl = https://github.com/o/lib.git\n"
              "\tactive = true\n[submodule]\n\trecurse = true\n"));
  // The submodule's own config in .git/modules/lib/config.
  EXPECT_TRUE(
      Allowed("[core]\n\trepositoryformatversion = 0\n\tbare = false\n"
              "\tworktree = ../../../lib\n[remote \"origin\"]\n"
              "\turl = https://github.com/o/lib.git\n"));
}

// --- the keys issue 9 names, each spelled more than one way ------------------------------------

TEST(GitConfigJudge, RefusedKeysFromTheIssue) {
  struct Case {
    const char* text;
    const char* key;
    const char* why;
  };
  const Case cases[] = {
      {"[core]\nhooksPath = .githooks", "core.hookspath", "directory git runs hooks from"},
      {"[CORE]\n\tHOOKSPATH = /tmp/h", "core.hookspath", "hooks"},
      {"[core]\nfsmonitor = .git/fsm.sh", "core.fsmonitor", "runs a program"},
      {"[Core]fsMonitor", "core.fsmonitor", "runs a program"},
      {"[core]\nsshCommand = ssh -oProxyCommand=x", "core.sshcommand", "runs a program"},
      {"[core]\neditor = vim", "core.editor", "runs a program"},
      {"[core]\npager = \"touch /tmp/x; cat\"", "core.pager", "runs a program: the pager"},
      {"[core]\naskPass = /tmp/a", "core.askpass", "runs a program"},
      {"[core]\ngitProxy = /tmp/p", "core.gitproxy", "runs a program"},
      {"[alias]\nst = !touch /tmp/x", "alias.st", "alias can run a shell command"},
      {"[alias]\nlg = -c core.pager=x log", "alias.lg", "set any config with -c"},
      {"[alias \"x\"]\ny = z", "alias.x.y", "defines a git command"},
      {"[filter \"lfs\"]\nclean = git-lfs clean -- %f", "filter.lfs.clean", "runs a program"},
      {"[filter.lfs]\nsmudge = x", "filter.lfs.smudge", "runs a program"},
      {"[filter \"x\"]\nprocess = x", "filter.x.process", "runs a program"},
      {"[filter \"x\"]\nrequired", "filter.x.required", "runs a program"},
      {"[diff \"pdf\"]\ntextconv = pdftotext", "diff.pdf.textconv", "runs a program"},
      {"[diff.pdf]\nTextConv = x", "diff.pdf.textconv", "runs a program"},
      {"[diff \"x\"]\ncommand = x", "diff.x.command", "runs a program: a diff driver"},
      {"[merge \"ours\"]\ndriver = true", "merge.ours.driver", "runs a program: a merge driver"},
      {"[include]\npath = /tmp/evil.cfg", "include.path", "read another config file"},
      {"[Include]\n\tPath = x", "include.path", "read another config file"},
      {"[includeIf \"gitdir:~/\"]\npath = x", "includeif.gitdir:~/.path", "another config file"},
      {"[includeif \"onbranch:main\"]\npath = x", "includeif.onbranch:main.path", "config file"},
      {"[credential]\nhelper = !f() { cat; }; f", "credential.helper", "credential helpers"},
      {"[credential \"https://github.com\"]\nusername = u",
       "credential.https://github.com.username", "credential helpers"},
      {"[gpg]\nprogram = /tmp/g", "gpg.program", "runs a program"},
      {"[gpg \"ssh\"]\nprogram = /tmp/g", "gpg.ssh.program", "runs a program"},
      {"[gpg \"x509\"]\nprogram = /tmp/g", "gpg.x509.program", "runs a program"},
      {"[gpg.openpgp]\nprogram = /tmp/g", "gpg.openpgp.program", "runs a program"},
      {"[gpg \"ssh\"]\ndefaultKeyCommand = x", "gpg.ssh.defaultkeycommand", "runs a command"},
      {"[sequence]\neditor = x", "sequence.editor", "runs a program"},
      {"[protocol]\nallow = always", "protocol.allow", "ext:: runs commands"},
      {"[protocol \"ext\"]\nallow = always", "protocol.ext.allow", "ext:: runs commands"},
      {"[url \"https://evil.example/\"]\ninsteadOf = https://github.com/",
       "url.https://evil.example/.insteadof", "rewrites the URLs"},
      {"[url \"ext::sh -c x\"]\npushInsteadOf = https://github.com/",
       "url.ext::sh -c x.pushinsteadof", "rewrites the URLs"},
      {"[uploadpack]\npackObjectsHook = x", "uploadpack.packobjectshook", "run a command"},
      {"[uploadpack]\nallowFilter = true", "uploadpack.allowfilter", "upload-pack"},
      {"[receive]\ndenyCurrentBranch = ignore", "receive.denycurrentbranch", "receive-pack"},
      {"[receive]\nprocReceiveRefs = refs", "receive.procreceiverefs", "runs hooks"},
      {"[remote \"o\"]\nuploadpack = touch /tmp/x; git-upload-pack", "remote.o.uploadpack",
       "runs a program"},
      {"[remote \"o\"]\nreceivepack = x", "remote.o.receivepack", "runs a program"},
      {"[remote \"o\"]\nvcs = x", "remote.o.vcs", "git-remote-VCS"},
      {"[pager]\nlog = touch /tmp/x; less", "pager.log", "runs a program"},
      {"[web]\nbrowser = x", "web.browser", "runs a program"},
      {"[instaweb]\nhttpd = x", "instaweb.httpd", "web server"},
  };
  for (const Case& c : cases) EXPECT_TRUE(Refused(c.text, c.key, c.why)) << c.text;
}

TEST(GitConfigJudge, OtherRefusedKeys) {
  struct Case {
    const char* text;
    const char* key;
    const char* why;
  };
  const Case cases[] = {
      {"[core]\nalternateRefsCommand = x", "core.alternaterefscommand", "shell command"},
      {"[core]\nsharedRepository = 0777", "core.sharedrepository", "other users can write"},
      {"[core]\nprotectNTFS = false", "core.protectntfs", "reach .git"},
      {"[core]\nprotectHFS = false", "core.protecthfs", "reach .git"},
      {"[diff]\nexternal = x", "diff.external", "runs a program"},
      {"[diff]\ntool = x", "diff.tool", "difftool"},
      {"[difftool \"x\"]\ncmd = x", "difftool.x.cmd", "diff tool"},
      {"[difftool]\nprompt = false", "difftool.prompt", "diff tool"},
      {"[mergetool \"x\"]\ncmd = x", "mergetool.x.cmd", "merge tool"},
      {"[merge]\ntool = x", "merge.tool", "mergetool"},
      {"[sendemail]\nsmtpServer = /tmp/x", "sendemail.smtpserver", "sends mail"},
      {"[imap]\ntunnel = x", "imap.tunnel", "imap.tunnel"},
      {"[browser \"x\"]\ncmd = x", "browser.x.cmd", "web browser"},
      {"[man]\nviewer = x", "man.viewer", "manual page"},
      {"[man \"x\"]\ncmd = x", "man.x.cmd", "manual page"},
      {"[help]\nbrowser = x", "help.browser", "web browser"},
      {"[guitool \"x\"]\ncmd = x", "guitool.x.cmd", "git gui"},
      {"[http]\nproxy = http://evil.example:3128", "http.proxy", "another host"},
      {"[http \"https://github.com\"]\nproxy = x", "http.https://github.com.proxy", "another host"},
      {"[http]\nsslVerify = false", "http.sslverify", "which servers git trusts"},
      {"[http]\nsslCAInfo = /tmp/ca", "http.sslcainfo", "which servers git trusts"},
      {"[http]\ncurloptResolve = github.com:443:6.6.6.6", "http.curloptresolve", "addresses"},
      {"[http]\nextraHeader = Authorization: x", "http.extraheader", "headers"},
      {"[http]\ncookieFile = ~/.bashrc", "http.cookiefile", "cookie file"},
      {"[http]\nsaveCookies = true", "http.savecookies", "over HTTP"},
      {"[init]\ntemplateDir = /tmp/t", "init.templatedir", "copy hooks"},
      {"[trace2]\neventTarget = /home/u/.bashrc", "trace2.eventtarget", "write traces"},
      {"[interactive]\ndiffFilter = x", "interactive.difffilter", "runs a program"},
      {"[tar \"tgz\"]\ncommand = x", "tar.tgz.command", "runs a command"},
      {"[remote \"o\"]\nproxy = x", "remote.o.proxy", "another host"},
      {"[remotes]\ng = evil.example:x", "remotes.g", "may be URLs"},
      {"[branch \"m\"]\nmergeOptions = -s x", "branch.m.mergeoptions", "options to git merge"},
      {"[pull]\ntwohead = x", "pull.twohead", "merge strategy"},
      {"[format]\noutputDirectory = ~/.config", "format.outputdirectory", "another directory"},
      {"[bundle \"x\"]\nuri = https://evil.example/b", "bundle.x.uri", "downloads bundles"},
      {"[fsmonitor]\nsocketDir = /tmp", "fsmonitor.socketdir", "file system monitor"},
      {"[credentialCache]\nignoreSIGHUP = true", "credentialcache.ignoresighup",
       "credential helper"},
      {"[submodule \"x\"]\nupdate = !touch /tmp/x", "submodule.x.update", "runs a shell command"},
      {"[submodule \"x\"]\nupdate = \"!x\"", "submodule.x.update", "runs a shell command"},
      {"[submodule \"x\"]\nupdate = other", "submodule.x.update", "not an update mode"},
  };
  for (const Case& c : cases) EXPECT_TRUE(Refused(c.text, c.key, c.why)) << c.text;
}

TEST(GitConfigJudge, UnknownKeysAreRefused) {
  for (const char* text : {"[core]\nfoo = 1", "[lfs]\nurl = https://evil.example/", "[x]\ny",
                           "[user \"x\"]\nname = y", "[branch \"m\"]\nvscode-merge-base = x",
                           "[safe]\ndirectory = *", "[ssh]\nvariant = plink"}) {
    const GitConfigVerdict v = judge(text);
    EXPECT_FALSE(v.allowed) << text;
    EXPECT_NE(v.reason.find("is not on paddock's list of inert git keys"), std::string::npos)
        << v.reason;
  }
  // A subsection where git expects none is not the key git reads, and not a known one either.
  EXPECT_TRUE(Refused("[core \"x\"]\nfsmonitor = y", "core.x.fsmonitor", "not on paddock's list"));
  EXPECT_TRUE(Refused("[core \"\"]\npager = y", "core..pager", "not on paddock's list"));
}

TEST(GitConfigJudge, FirstRefusedEntryDecides) {
  const GitConfigVerdict v = judge(
      "[user]\nname = a\n[core]\n\tbare = false\n\tpager = x\n"
      "[alias]\nst = status\n");
  ASSERT_FALSE(v.allowed);
  EXPECT_EQ(v.key, "core.pager");
  EXPECT_EQ(v.line, 5u);
  EXPECT_EQ(v.reason, "core.pager runs a program: the pager");
}

TEST(GitConfigJudge, UnparsableFilesAreRefused) {
  const GitConfigVerdict v = judge("[core]\nbare = \"false\n");
  ASSERT_FALSE(v.allowed);
  EXPECT_EQ(v.key, "");
  EXPECT_EQ(v.reason,
            "not a config file paddock can read with certainty (line 2: a quoted value is not "
            "closed before the end of the line)");
  EXPECT_FALSE(judge(std::string("[core]\nbare = f\0alse\n", 21)).allowed);
  EXPECT_FALSE(judge("fsmonitor = x\n").allowed);
}

TEST(GitConfigJudge, ReasonsArePrintable) {
  const GitConfigVerdict v = judge("[alias \"\x1b[31m\xe2\x80\xae\"]\nx = y\n");
  ASSERT_FALSE(v.allowed);
  EXPECT_EQ(v.key, "alias.\\x1b[31m\\xe2\\x80\\xae.x");
  for (char c : v.reason) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << v.reason;
}

// --- URLs ---------------------------------------------------------------------------------------

TEST(GitConfigJudge, RemoteUrls) {
  EXPECT_TRUE(Allowed("[remote \"o\"]\nurl = https://github.com/o/r"));
  EXPECT_TRUE(Allowed("[remote \"o\"]\nurl = git@github.com:o/r"));
  EXPECT_TRUE(Allowed("[remote \"o\"]\nurl = /home/u/proj/other.git"));
  EXPECT_TRUE(Allowed("[remote \"o\"]\nurl = file:///home/u/proj/other.git"));
  EXPECT_TRUE(Refused("[remote \"o\"]\nurl = https://evil.example/r", "remote.o.url",
                      "points git at evil.example, which the network policy does not allow"));
  EXPECT_TRUE(Refused("[remote \"o\"]\npushurl = ssh://git@evil.example:2222/r", "remote.o.pushurl",
                      "evil.example:2222, which the network policy"));
  EXPECT_TRUE(Refused("[remote \"o\"]\nurl = evil.example:r", "remote.o.url", "evil.example"));
  EXPECT_TRUE(Refused("[remote \"o\"]\nurl = https://[::1]:8080/r", "remote.o.url",
                      "[::1]:8080, which the network policy"));
  EXPECT_TRUE(Refused("[remote \"o\"]\nurl = /home/u/secret.git", "remote.o.url",
                      "the local path /home/u/secret.git, outside the sandbox's writable paths"));
  // Refused before the predicate is asked, whatever it would say.
  GitConfigJudgeContext yes = repo_ctx();
  yes.url_allowed = [](const GitUrl&) { return true; };
  EXPECT_TRUE(Refused("[remote \"o\"]\nurl = ext::sh -c touch% /tmp/x", "remote.o.url",
                      "is refused: the ext:: transport runs a command", yes));
  EXPECT_TRUE(Refused("[remote \"o\"]\nurl = fd::3", "remote.o.url", "fd::", yes));
  EXPECT_TRUE(Refused("[remote \"o\"]\nurl = hg::https://github.com/x", "remote.o.url",
                      "git-remote-hg", yes));
  EXPECT_TRUE(Refused("[remote \"o\"]\nurl = ssh://-oProxyCommand=x/r", "remote.o.url",
                      "starts with '-'", yes));
  EXPECT_TRUE(Refused("[remote \"o\"]\nurl", "remote.o.url", "has no value", yes));
  // No predicate: no URL passes.
  GitConfigJudgeContext none;
  EXPECT_TRUE(Refused("[remote \"o\"]\nurl = https://github.com/o/r", "remote.o.url",
                      "network policy", none));
  // The predicate sees the parsed URL.
  GitConfigJudgeContext seen = repo_ctx();
  GitUrl last;
  seen.url_allowed = [&last](const GitUrl& u) {
    last = u;
    return true;
  };
  EXPECT_TRUE(Allowed("[remote \"o\"]\nurl = ssh://me@GitHub.com:22/o/r", seen));
  EXPECT_EQ(last.kind, GitUrl::Kind::kNetwork);
  EXPECT_EQ(last.host, "github.com");
  EXPECT_EQ(last.user, "me");
  EXPECT_EQ(last.port, 22);
  EXPECT_FALSE(last.relative_to_superproject);
}

TEST(GitConfigJudge, BranchRemoteMayBeAUrl) {
  // git reads a branch's remote as a URL when no remote of that name exists.
  EXPECT_TRUE(Allowed("[branch \"m\"]\nremote = origin\npushRemote = fork"));
  EXPECT_TRUE(Allowed("[branch \"m\"]\nremote = .\n[remote]\npushDefault = origin"));
  EXPECT_TRUE(Allowed("[branch \"m\"]\nremote = https://github.com/o/r"));
  EXPECT_TRUE(Refused("[branch \"m\"]\nremote = https://evil.example/r", "branch.m.remote",
                      "evil.example"));
  EXPECT_TRUE(Refused("[branch \"m\"]\npushRemote = evil.example:r", "branch.m.pushremote",
                      "evil.example"));
  EXPECT_TRUE(
      Refused("[remote]\npushDefault = git@evil.example:r", "remote.pushdefault", "evil.example"));
  EXPECT_TRUE(Refused("[branch \"m\"]\nremote = ext::sh", "branch.m.remote", "ext::"));
  EXPECT_TRUE(Refused("[branch \"m\"]\nremote", "branch.m.remote", "has no value"));
}

TEST(GitConfigJudge, Worktree) {
  EXPECT_TRUE(Allowed("[core]\nworktree = ../../../lib"));
  EXPECT_TRUE(Refused("[core]\nworktree = /home/u", "core.worktree",
                      "points git's work tree at /home/u, outside the sandbox's writable paths"));
  GitConfigJudgeContext none;
  EXPECT_TRUE(Refused("[core]\nworktree = ../../../lib", "core.worktree", "work tree", none));
  EXPECT_TRUE(Refused("[core]\nworktree", "core.worktree", "has no value"));
}

TEST(GitConfigJudge, SubmoduleUrls) {
  EXPECT_TRUE(Allowed("[submodule \"a\"]\nurl = https://github.com/o/a\nupdate = rebase"));
  EXPECT_TRUE(Refused("[submodule \"a\"]\nurl = https://evil.example/a", "submodule.a.url",
                      "evil.example"));
  // Relative URLs resolve against the superproject's remote, and may leave its host.
  GitConfigJudgeContext ctx = repo_ctx();
  ctx.superproject_remote_url = "https://github.com/org/app.git";
  EXPECT_TRUE(Allowed("[submodule \"a\"]\nurl = ../lib.git", ctx));
  EXPECT_TRUE(Refused("[submodule \"a\"]\nurl = ../../../evil.example/x", "submodule.a.url",
                      "evil.example", ctx));
  ctx.superproject_remote_url = "app";
  EXPECT_TRUE(Refused("[submodule \"a\"]\nurl = ../../x", "submodule.a.url",
                      "more \"../\" than the superproject's remote URL has parts", ctx));
  // Without a remote: a path relative to the superproject, marked as such.
  GitConfigJudgeContext seen = repo_ctx();
  GitUrl last;
  seen.url_allowed = [&last](const GitUrl& u) {
    last = u;
    return true;
  };
  EXPECT_TRUE(Allowed("[submodule \"a\"]\nurl = ../lib.git", seen));
  EXPECT_EQ(last.kind, GitUrl::Kind::kLocal);
  EXPECT_EQ(last.path, "../lib.git");
  EXPECT_TRUE(last.relative_to_superproject);
  // A remote's relative path is not relative to any superproject.
  EXPECT_TRUE(Allowed("[remote \"o\"]\nurl = ../lib.git", seen));
  EXPECT_FALSE(last.relative_to_superproject);
}

// --- what was there before, and the user's widening ---------------------------------------------

TEST(GitConfigJudge, UnchangedEntriesPass) {
  const std::vector<GitConfigEntry> previous = *parse_git_config(
      "[core]\n\tpager = less -R\n[filter \"lfs\"]\n\tclean = git-lfs clean\n"
      "[remote \"up\"]\n\turl = https://evil.example/r\n");
  GitConfigJudgeContext ctx = repo_ctx();
  ctx.previous = previous;
  // git config user.email, with the user's own keys kept (in another spelling, too).
  EXPECT_TRUE(
      Allowed("[core]\n\tpager = less -R\n[filter.LFS]\n\tclean = git-lfs clean\n"
              "[remote \"up\"]\n\turl = https://evil.example/r\n"
              "[user]\n\temail = a@b\n",
              ctx));
  // A changed value, or the same value under another name, is judged.
  EXPECT_TRUE(Refused("[core]\n\tpager = touch /tmp/x; less\n", "core.pager", "runs", ctx));
  EXPECT_TRUE(
      Refused("[filter \"lfs\"]\n\tsmudge = git-lfs clean\n", "filter.lfs.smudge", "runs", ctx));
  EXPECT_TRUE(Refused("[remote \"origin\"]\n\turl = https://evil.example/r\n", "remote.origin.url",
                      "evil.example", ctx));
  EXPECT_TRUE(
      Refused("[filter \"LFS\"]\n\tclean = git-lfs clean\n", "filter.LFS.clean", "runs", ctx));
  EXPECT_TRUE(Refused("[core]\n\tpager\n", "core.pager", "runs", ctx));
}

TEST(GitConfigJudge, Replacement) {
  const std::string old_text = "[core]\n\tpager = less -R\n";
  EXPECT_TRUE(judge_git_config_replacement("[core]\n\tpager = less -R\n[user]\n\tname = a\n",
                                           old_text, repo_ctx())
                  .allowed);
  const GitConfigVerdict v =
      judge_git_config_replacement("[core]\n\tpager = x\n", old_text, repo_ctx());
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.key, "core.pager");
  // An old file that does not parse protects nothing.
  EXPECT_FALSE(judge_git_config_replacement("[core]\n\tpager = less -R\n",
                                            "[core]\n\tpager = less -R\n\"", repo_ctx())
                   .allowed);
  EXPECT_FALSE(judge_git_config_replacement("[core\n", old_text, repo_ctx()).allowed);
}

TEST(GitConfigJudge, WidenedKeys) {
  std::vector<GitKeyPattern> extra;
  for (const char* p : {"core.pager", "filter.lfs.*", "alias.*", "diff.*.textconv"}) {
    extra.push_back(*parse_git_key_pattern(p));
  }
  GitConfigJudgeContext ctx = repo_ctx();
  ctx.extra_allowed = extra;
  EXPECT_TRUE(
      Allowed("[core]\nPager = less\n[filter \"lfs\"]\nclean = x\nsmudge = y\n"
              "[alias]\nst = status\n[diff \"pdf\"]\ntextconv = pdftotext\n",
              ctx));
  EXPECT_TRUE(Refused("[core]\neditor = x", "core.editor", "runs", ctx));
  EXPECT_TRUE(Refused("[filter \"other\"]\nclean = x", "filter.other.clean", "runs", ctx));
  EXPECT_TRUE(Refused("[diff \"pdf\"]\ncommand = x", "diff.pdf.command", "runs", ctx));
}

TEST(GitConfigJudge, WideningWarnings) {
  auto warnings = [](std::initializer_list<const char*> texts) {
    std::vector<GitKeyPattern> ps;
    for (const char* t : texts) ps.push_back(*parse_git_key_pattern(t));
    return git_allow_config_key_warnings(ps);
  };
  EXPECT_EQ(warnings({"core.pager"}),
            std::vector<std::string>{"git.allowConfigKeys: core.pager lets the sandbox make host "
                                     "git run a program (core.pager runs a program: the pager)"});
  EXPECT_EQ(warnings({"core.*"}),
            std::vector<std::string>{"git.allowConfigKeys: core.* lets the sandbox make host git "
                                     "run a program (core.fsmonitor runs a program: a file system "
                                     "monitor hook or daemon)"});
  EXPECT_EQ(warnings({"remote.*.url"}),
            std::vector<std::string>{"git.allowConfigKeys: remote.*.url lets the sandbox send "
                                     "host git to hosts the network policy does not allow "
                                     "(remote.NAME.url names a URL git connects to)"});
  EXPECT_EQ(warnings({"include.path"}),
            std::vector<std::string>{"git.allowConfigKeys: include.path lets the sandbox make "
                                     "host git read a config file the sandbox wrote "
                                     "(include.path makes git read another config file)"});
  EXPECT_EQ(warnings({"lfs.url"}),
            std::vector<std::string>{"git.allowConfigKeys: lfs.url lets the sandbox set keys "
                                     "paddock does not know to be inert"});
  // Inert keys need no warning; the shadowed http.* refusal does not apply to postBuffer.
  EXPECT_TRUE(warnings({"user.name", "color.*", "http.postBuffer", "color.diff.meta"}).empty());
  EXPECT_EQ(warnings({"http.*"}).size(), 1u);
  EXPECT_EQ(warnings({"submodule.*.update"}).size(), 1u);
  EXPECT_EQ(warnings({"filter.lfs.*", "diff.*.textconv", "url.*.insteadOf"}).size(), 3u);
  for (const std::string& w : warnings({"alias.*", "gpg.ssh.program", "core.worktree"})) {
    EXPECT_EQ(w.rfind("git.allowConfigKeys: ", 0), 0u) << w;
  }
}

}  // namespace
}  // namespace paddock
