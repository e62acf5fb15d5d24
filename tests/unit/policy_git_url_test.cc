#include <gtest/gtest.h>

#include <string>

#include "policy/git_url.h"

namespace paddock {
namespace {

// "scheme user@host:port path" for network URLs, "local[ scheme] path" for local ones.
std::string show(std::string_view url) {
  Result<GitUrl> r = parse_git_url(url);
  if (!r.ok()) return "ERROR " + r.error().detail;
  std::string s;
  if (r->kind == GitUrl::Kind::kLocal) {
    s = "local";
    if (!r->scheme.empty()) s += " " + r->scheme;
    return s + " " + r->path;
  }
  s = r->scheme + " ";
  if (!r->user.empty()) s += r->user + "@";
  s += r->host;
  if (r->port) s += ":" + std::to_string(*r->port);
  return s + " " + r->path;
}

bool refused_with(std::string_view url, std::string_view why) {
  const std::string s = show(url);
  return s.rfind("ERROR ", 0) == 0 && s.find(why) != std::string::npos;
}

TEST(GitUrl, Http) {
  EXPECT_EQ(show("https://github.com/o/r.git"), "https github.com /o/r.git");
  EXPECT_EQ(show("http://Example.COM:8080/r"), "http example.com:8080 /r");
  EXPECT_EQ(show("https://user:tok@git.example/r"), "https user:tok@git.example /r");
  EXPECT_EQ(show("https://h.example"), "https h.example ");
  EXPECT_EQ(show("https://h.example?x=1"), "https h.example ?x=1");
  EXPECT_EQ(show("https://[::1]:8443/r"), "https ::1:8443 /r");
  EXPECT_EQ(show("ftp://h.example/r"), "ftp h.example /r");
  EXPECT_EQ(show("ftps://h.example/r"), "ftps h.example /r");
  // git hands http URLs to curl undecoded: refuse what readers could split differently.
  EXPECT_TRUE(refused_with("https://a@b@evil.example/r", "more than one '@'"));
  EXPECT_TRUE(refused_with("https://evil%2eexample/r", "'%'"));
  EXPECT_TRUE(refused_with("https://good.example\\@evil.example/r", "'\\'"));
  EXPECT_TRUE(refused_with("https://good.example /r", "space"));
  EXPECT_TRUE(refused_with("https://h.example:/r", "port"));
  EXPECT_TRUE(refused_with("https://h.example:0/r", "port"));
  EXPECT_TRUE(refused_with("https://h.example:65536/r", "port"));
  EXPECT_TRUE(refused_with("https://h.example:8x/r", "port"));
  EXPECT_TRUE(refused_with("https:///r", "no host"));
  EXPECT_TRUE(refused_with("https://-h.example/r", "'-'"));
  EXPECT_TRUE(refused_with("https://[evil.example]/r", "IPv6"));
  EXPECT_EQ(show("https://[FE80::1:2]/r"), "https fe80::1:2 /r");
  EXPECT_EQ(show("https://[::ffff:10.0.0.1]/r"), "https ::ffff:10.0.0.1 /r");
  EXPECT_EQ(show("https://[1:2:3:4:5:6:7:8]/r"), "https 1:2:3:4:5:6:7:8 /r");
  EXPECT_EQ(show("https://[::]/r"), "https :: /r");
  for (const char* bad : {"https://[.:1]/r", "https://[1:2:3:4:5:6:7:8:9]/r", "https://[1::2::3]/r",
                          "https://[12345::1]/r", "https://[1:2]/r", "ssh://[::1%25eth0]/r",
                          "https://[::256.0.0.1]/r", "https://[1:]/r", "https://[:1]/r",
                          "https://[1:2:3:4:5:6:7::8]/r"}) {
    EXPECT_TRUE(refused_with(bad, "IPv6")) << bad;
  }
  EXPECT_TRUE(refused_with("https://h_x!.example/r", "'!'"));
}

TEST(GitUrl, SshAndGit) {
  EXPECT_EQ(show("ssh://git@github.com/o/r.git"), "ssh git@github.com /o/r.git");
  EXPECT_EQ(show("ssh://git@github.com:2222/o/r"), "ssh git@github.com:2222 /o/r");
  EXPECT_EQ(show("ssh://h.example/~user/r"), "ssh h.example /~user/r");
  EXPECT_EQ(show("git+ssh://h.example/r"), "ssh h.example /r");
  EXPECT_EQ(show("ssh+git://h.example/r"), "ssh h.example /r");
  EXPECT_EQ(show("git://h.example:9418/r"), "git h.example:9418 /r");
  EXPECT_EQ(show("ssh://[::1]:22/r"), "ssh ::1:22 /r");
  EXPECT_EQ(show("ssh://u@[fe80::1]/r"), "ssh u@fe80::1 /r");
  // git drops an empty port.
  EXPECT_EQ(show("ssh://h.example:/r"), "ssh h.example /r");
  // git %-decodes these before splitting host from path.
  EXPECT_EQ(show("ssh://evil%2eexample/r"), "ssh evil.example /r");
  EXPECT_EQ(show("ssh://good.example%2fx@evil.example/r"), "ssh good.example /x@evil.example/r");
  EXPECT_TRUE(refused_with("ssh://-oProxyCommand=touch%20x/r", "space"));
  EXPECT_TRUE(refused_with("ssh://-oProxyCommand=x/r", "'-'"));
  EXPECT_TRUE(refused_with("ssh://-u@h/r", "user name that starts with '-'"));
  EXPECT_TRUE(refused_with("ssh://h.example", "no path"));
  EXPECT_TRUE(refused_with("ssh://h.example:x/r", "port"));
  EXPECT_TRUE(refused_with("ssh://a@b@h/r", "more than one '@'"));
  EXPECT_TRUE(refused_with("ssh://h%0a/r", "control character"));
}

TEST(GitUrl, ScpLike) {
  EXPECT_EQ(show("git@github.com:o/r.git"), "ssh git@github.com o/r.git");
  EXPECT_EQ(show("h.example:r"), "ssh h.example r");
  EXPECT_EQ(show("h.example:/abs/r"), "ssh h.example /abs/r");
  EXPECT_EQ(show("h:r:x"), "ssh h r:x");
  EXPECT_TRUE(refused_with("h.example:-r", "path that starts with '-'"));
  EXPECT_TRUE(refused_with("-oProxyCommand=x:r", "'-'"));
  EXPECT_TRUE(refused_with("[h:22]:r", "brackets"));
  EXPECT_TRUE(refused_with("h.example:", "no path"));
  EXPECT_TRUE(refused_with("a@b@h:r", "more than one '@'"));
  EXPECT_TRUE(refused_with("h x:r", "space"));
}

TEST(GitUrl, Local) {
  EXPECT_EQ(show("/srv/git/r.git"), "local /srv/git/r.git");
  EXPECT_EQ(show("../r.git"), "local ../r.git");
  EXPECT_EQ(show("./r"), "local ./r");
  EXPECT_EQ(show("r"), "local r");
  EXPECT_EQ(show("My Projects/r"), "local My Projects/r");
  // A '/' before the first ':' makes it a path.
  EXPECT_EQ(show("./h:r"), "local ./h:r");
  EXPECT_EQ(show("a/b:c"), "local a/b:c");
  EXPECT_EQ(show("file:///srv/r.git"), "local file /srv/r.git");
  EXPECT_EQ(show("file://host/srv/r"), "local file /srv/r");
  EXPECT_EQ(show("file:///srv/a%20b"), "local file /srv/a b");
  EXPECT_TRUE(refused_with("file://host", "no path"));
  EXPECT_TRUE(refused_with("-r", "'-'"));
  EXPECT_TRUE(refused_with("/srv/\n", "control character"));
  EXPECT_TRUE(refused_with("", "empty"));
}

TEST(GitUrl, RemoteHelpersAndSchemes) {
  EXPECT_TRUE(refused_with("ext::sh -c touch% /tmp/x", "ext:: transport runs a command"));
  EXPECT_TRUE(refused_with("ext::ssh -i key %S h.example", "runs a command"));
  EXPECT_TRUE(refused_with("fd::3", "fd::"));
  EXPECT_TRUE(refused_with("https::https://h.example/r", "remote helper git-remote-https"));
  EXPECT_TRUE(refused_with("hg::https://h.example/r", "git-remote-hg"));
  EXPECT_TRUE(refused_with("a.b+c::x", "git-remote-a.b+c"));
  EXPECT_TRUE(refused_with("persistent-https://h.example/r", "git-remote-persistent-https"));
  EXPECT_TRUE(refused_with("HTTPS://h.example/r", "git-remote-HTTPS"));
  EXPECT_TRUE(refused_with("s3://bucket/r", "git-remote-s3"));
  EXPECT_TRUE(refused_with("rsync://h/r", "rsync"));
}

TEST(GitUrl, IsLocal) {
  EXPECT_TRUE(git_url_is_local("/a"));
  EXPECT_TRUE(git_url_is_local("a"));
  EXPECT_TRUE(git_url_is_local("a/b:c"));
  EXPECT_FALSE(git_url_is_local("a:b/c"));
  EXPECT_FALSE(git_url_is_local("https://x/y"));
  EXPECT_TRUE(is_superproject_relative("../x"));
  EXPECT_TRUE(is_superproject_relative("./x"));
  EXPECT_TRUE(is_superproject_relative("x"));
  EXPECT_FALSE(is_superproject_relative("/x"));
  EXPECT_FALSE(is_superproject_relative("h:x"));
  EXPECT_FALSE(is_superproject_relative("https://h/x"));
}

TEST(GitUrl, ResolveSubmoduleUrl) {
  auto r = [](std::string_view remote, std::string_view url) {
    std::optional<std::string> s = resolve_submodule_url(remote, url);
    return s ? *s : std::string("(git dies)");
  };
  EXPECT_EQ(r("https://h.example/org/app.git", "../lib.git"), "https://h.example/org/lib.git");
  EXPECT_EQ(r("https://h.example/org/app.git/", "../lib.git"), "https://h.example/org/lib.git");
  EXPECT_EQ(r("https://h.example/org/app.git", "./lib"), "https://h.example/org/app.git/lib");
  EXPECT_EQ(r("https://h.example/org/app.git", "lib"), "https://h.example/org/app.git/lib");
  EXPECT_EQ(r("https://h.example/org/app.git", "../lib/"), "https://h.example/org/lib");
  // Enough "../" reach into the host: the result must be judged again.
  EXPECT_EQ(r("https://h.example/org/app.git", "../../../evil.example/x"),
            "https://evil.example/x");
  EXPECT_EQ(r("git@h.example:org/app.git", "../lib.git"), "git@h.example:org/lib.git");
  EXPECT_EQ(r("git@h.example:app.git", "../lib.git"), "git@h.example:lib.git");
  EXPECT_EQ(r("git@h.example:app.git", "../../evil.example:x"), ".:evil.example:x");
  EXPECT_EQ(r("/srv/app.git", "../lib.git"), "/srv/lib.git");
  EXPECT_EQ(r("../app", "../lib"), "../lib");
  EXPECT_EQ(r("app", "../lib"), "lib");
  EXPECT_EQ(r("app", "../../lib"), "(git dies)");
  EXPECT_EQ(r("nohost", "../x"), "x");
  // Not relative: as is.
  EXPECT_EQ(r("https://h.example/a", "https://o.example/b"), "https://o.example/b");
  EXPECT_EQ(r("https://h.example/a", "/srv/b"), "/srv/b");
  EXPECT_EQ(r("", "../x"), "(git dies)");
}

}  // namespace
}  // namespace paddock
