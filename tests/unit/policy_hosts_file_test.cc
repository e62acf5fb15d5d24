#include <gtest/gtest.h>

#include "policy/hosts_file.h"

namespace paddock {
namespace {

TEST(HostsFile, AppendsTheHostnameAndKeepsTheHostsEntries) {
  const std::string host = "127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n10.0.0.5 db\n";
  std::string out = hosts_with_hostname(host, "paddock");
  EXPECT_EQ(out.substr(0, host.size()), host);
  EXPECT_NE(out.find("\n127.0.1.1\tpaddock"), std::string::npos) << out;
  EXPECT_TRUE(hosts_names(out, "paddock"));
  EXPECT_TRUE(hosts_names(out, "db"));
}

TEST(HostsFile, NoFinalNewlineAndEmptyFile) {
  EXPECT_EQ(hosts_with_hostname("127.0.0.1 localhost", "paddock").find("localhost127"),
            std::string::npos);
  EXPECT_TRUE(hosts_names(hosts_with_hostname("127.0.0.1 localhost", "paddock"), "paddock"));
  EXPECT_TRUE(hosts_names(hosts_with_hostname("", "paddock"), "paddock"));
}

TEST(HostsFile, AnExistingEntryIsLeftAlone) {
  const std::string host = "127.0.0.1 localhost\n192.168.1.9 Paddock.example.org PADDOCK\n";
  EXPECT_EQ(hosts_with_hostname(host, "paddock"), host);
}

TEST(HostsFile, CommentsAndAddressesAreNotNames) {
  EXPECT_FALSE(hosts_names("127.0.0.1 localhost # paddock\n", "paddock"));
  EXPECT_FALSE(hosts_names("# 127.0.1.1 paddock\n", "paddock"));
  EXPECT_FALSE(hosts_names("paddock localhost\n", "paddock"));  // the first field is an address
  EXPECT_TRUE(hosts_names("127.0.1.1\tpaddock\r\n", "paddock"));
}

}  // namespace
}  // namespace paddock
