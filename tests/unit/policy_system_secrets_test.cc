#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fake_host_fs.h"
#include "policy/system_secrets.h"

namespace paddock {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

constexpr const char* kPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "postgres:x:105:110::/var/lib/postgresql:/bin/bash\n"
    "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"
    "bob:x:1001:1001::/srv/bob/:/bin/zsh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    "broken line without colons\n"
    "eve:x:12ab:1:bad uid:/home/eve:/bin/sh\n"
    "rel:x:1002:1002::relative/home:/bin/sh\n"
    "slash:x:1003:1003::/:/bin/sh\n"
    "last:x:1004:1004::/home/last";  // no newline at the end

TEST(PolicySystemSecrets, HomesOfRootAndRegularUsers) {
  std::vector<std::string> homes = user_homes_from_passwd(kPasswd);
  EXPECT_EQ(homes, (std::vector<std::string>{"/root", "/home/alice", "/srv/bob", "/home/last"}));
  EXPECT_TRUE(user_homes_from_passwd("").empty());
}

TEST(PolicySystemSecrets, ShadowsHostKeysAndOtherHomes) {
  FakeFs fs;
  fs.file("/etc/ssh/ssh_host_ed25519_key")
      .file("/etc/ssh/ssh_host_ed25519_key.pub")
      .file("/etc/ssh/ssh_host_rsa_key")
      .file("/etc/ssh/ssh_config")
      .dir("/home/carol")
      .file("/home/not-a-dir");
  std::vector<std::string> s = system_secret_paths(fs, kPasswd);
  for (const char* p :
       {"/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/ssl/private",
        "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key", "/root", "/home/alice",
        "/srv/bob", "/home/carol"})
    EXPECT_TRUE(has(s, p)) << p;
  for (const char* p : {"/etc/ssh/ssh_host_ed25519_key.pub", "/etc/ssh/ssh_config",
                        "/var/lib/postgresql", "/nonexistent", "/usr/sbin", "/home/not-a-dir", "/"})
    EXPECT_FALSE(has(s, p)) << p;
}

}  // namespace
}  // namespace paddock
