#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "policy/paths.h"
#include "policy/ssh_files.h"

namespace paddock {
namespace {

class SshFs final : public HostFs {
 public:
  SshFs& file(const std::string& p, const std::string& text = "") {
    types_[p] = EntryType::File;
    texts_[p] = text;
    parents(p);
    return *this;
  }
  SshFs& link(const std::string& p) {
    types_[p] = EntryType::Symlink;
    parents(p);
    return *this;
  }
  EntryType type(const std::string& p) const override {
    auto it = types_.find(p);
    if (it != types_.end()) return it->second;
    return children_.count(p) ? EntryType::Dir : EntryType::Missing;
  }
  std::vector<HostEntry> list(const std::string& d) const override {
    std::vector<HostEntry> out;
    auto it = children_.find(d);
    if (it != children_.end())
      for (const auto& n : it->second) out.push_back({n, type(join_path(d, n))});
    return out;
  }
  std::string read_link(const std::string&) const override { return {}; }
  std::optional<std::string> read(const std::string& p) const {
    auto it = texts_.find(p);
    if (it == texts_.end()) return std::nullopt;
    return it->second;
  }

 private:
  void parents(std::string p) {
    while (p != "/") {
      children_[parent_path(p)].insert(base_name(p));
      p = parent_path(p);
    }
  }
  std::map<std::string, EntryType> types_;
  std::map<std::string, std::string> texts_;
  std::map<std::string, std::set<std::string>> children_;
};

std::vector<std::string> readable(const SshFs& fs, bool pub = false) {
  return ssh_readable_files(
      "/h/.ssh", "/h", fs, [&fs](const std::string& p) { return fs.read(p); }, pub);
}

TEST(SshConfigRefs, IncludeAndIdentityFileLines) {
  auto r = parse_ssh_config_refs(
      "# comment\nInclude config.d/* ~/.ssh/extra\n  include=\"with space\"\n"
      "Host x\n  IdentityFile ~/.ssh/work\n  identityfile = \"/abs/key\"\n"
      "  CertificateFile ~/.ssh/work-cert.pub\n  HostName x.example\n");
  EXPECT_EQ(r.includes, (std::vector<std::string>{"config.d/*", "~/.ssh/extra", "with space"}));
  EXPECT_EQ(r.identity_files,
            (std::vector<std::string>{"~/.ssh/work", "/abs/key", "~/.ssh/work-cert.pub"}));
}

TEST(SshFiles, KnownHostsAndConfigButNoKeys) {
  SshFs fs;
  fs.file("/h/.ssh/known_hosts")
      .file("/h/.ssh/config", "Host *\n")
      .file("/h/.ssh/id_ed25519")
      .file("/h/.ssh/id_ed25519.pub")
      .file("/h/.ssh/authorized_keys");
  EXPECT_EQ(readable(fs), (std::vector<std::string>{"/h/.ssh/known_hosts", "/h/.ssh/config"}));
  // Public keys only for --ssh-agent (to pick the agent's key under IdentitiesOnly).
  EXPECT_EQ(readable(fs, true), (std::vector<std::string>{"/h/.ssh/known_hosts", "/h/.ssh/config",
                                                          "/h/.ssh/id_ed25519.pub"}));
}

TEST(SshFiles, IncludesFollowedButNeverAKey) {
  SshFs fs;
  fs.file("/h/.ssh/config",
          "Include conf.d/*\nInclude /etc/ssh/outside\nHost w\n IdentityFile ~/.ssh/conf.d/w\n")
      .file("/h/.ssh/conf.d/work", "Include ~/.ssh/deeper\n")
      .file("/h/.ssh/conf.d/w")           // named by IdentityFile: a key
      .file("/h/.ssh/conf.d/id_rsa")      // looks like a key
      .file("/h/.ssh/conf.d/server.pem")  // looks like a key
      .file("/h/.ssh/deeper", "Host d\n")
      .file("/h/.ssh/unrelated");
  auto r = readable(fs);
  EXPECT_EQ(r,
            (std::vector<std::string>{"/h/.ssh/config", "/h/.ssh/conf.d/work", "/h/.ssh/deeper"}));
}

TEST(SshFiles, IncludeLoopsEnd) {
  SshFs fs;
  fs.file("/h/.ssh/config", "Include config\nInclude a\n").file("/h/.ssh/a", "Include config\n");
  EXPECT_EQ(readable(fs), (std::vector<std::string>{"/h/.ssh/config", "/h/.ssh/a"}));
}

TEST(SshFiles, SymlinksAreLeftToTheCaller) {
  SshFs fs;
  fs.link("/h/.ssh/config").file("/h/.ssh/known_hosts");
  EXPECT_EQ(readable(fs), (std::vector<std::string>{"/h/.ssh/known_hosts", "/h/.ssh/config"}));
}

TEST(SshFiles, AKeyUnderAnyNameIsNeverReopened) {
  const std::string key =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE "
      "KEY-----\n";
  SshFs fs;
  // A key called `github` that config Includes (by name and by pattern), and known_hosts2 a
  // hard link to it (read, it is the key's text).
  fs.file("/h/.ssh/config", "Include github\nInclude conf.d/*\n")
      .file("/h/.ssh/github", key)
      .file("/h/.ssh/conf.d/work", "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n")
      .file("/h/.ssh/conf.d/putty", "PuTTY-User-Key-File-3: ssh-ed25519\n")
      .file("/h/.ssh/conf.d/hosts", "Host h\n")
      .file("/h/.ssh/known_hosts2", key)
      .file("/h/.ssh/known_hosts", "github.com ssh-ed25519 AAAA\n")
      .file("/h/.ssh/notakey.pub", key);
  EXPECT_EQ(readable(fs, true), (std::vector<std::string>{"/h/.ssh/known_hosts", "/h/.ssh/config",
                                                          "/h/.ssh/conf.d/hosts"}));
}

TEST(SshFiles, PrivateKeyTexts) {
  for (const char* t :
       {"-----BEGIN OPENSSH PRIVATE KEY-----\n", "-----BEGIN PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----", "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----",
        "SSH PRIVATE KEY FILE FORMAT 1.1\n", "PuTTY-User-Key-File-2: ssh-rsa\n"})
    EXPECT_TRUE(holds_private_key(t)) << t;
  for (const char* t : {"Host *\n  IdentityFile ~/.ssh/id_ed25519\n",
                        "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\n", ""})
    EXPECT_FALSE(holds_private_key(t)) << t;
}

TEST(SshFiles, KeyNames) {
  for (const char* n : {"id_rsa", "id_ed25519", "work_rsa", "deploy.pem", "x.key", "putty.ppk",
                        "github_ed25519", "id_ecdsa_sk", "my-private"})
    EXPECT_TRUE(looks_like_ssh_key(n)) << n;
  for (const char* n : {"config", "known_hosts", "id_rsa.pub", "authorized_keys", "work"})
    EXPECT_FALSE(looks_like_ssh_key(n)) << n;
}

}  // namespace
}  // namespace paddock
