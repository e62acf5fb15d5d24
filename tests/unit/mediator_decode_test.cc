#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>

#include "mediator/decode.h"

namespace paddock::mediator {
namespace {

using K = FdReference::Kind;

TEST(MediatorDecode, FdReferencesOfTheCaller) {
  struct Case {
    const char* path;
    int fd;
    const char* rest;
  } cases[] = {{"/proc/self/fd/0", 0, ""},
               {"/proc/thread-self/fd/7", 7, ""},
               {"/dev/stdin", 0, ""},
               {"/dev/stdout", 1, ""},
               {"/dev/stderr", 2, ""},
               {"/dev/fd/9", 9, ""},
               {"/proc/self/fd/3/sub/file", 3, "sub/file"},
               {"/dev/fd/4/x", 4, "x"},
               {"//proc//self/fd//5", 5, ""},
               {"/proc/self/fd/2147483647", 2147483647, ""}};
  for (const auto& c : cases) {
    FdReference r = parse_fd_reference(c.path);
    EXPECT_EQ(r.kind, K::Fd) << c.path;
    EXPECT_EQ(r.fd, c.fd) << c.path;
    EXPECT_EQ(r.rest, c.rest) << c.path;
  }
}

TEST(MediatorDecode, CwdAndRootLinks) {
  FdReference r = parse_fd_reference("/proc/self/cwd/.git/hooks/pre-commit");
  EXPECT_EQ(r.kind, K::Cwd);
  EXPECT_EQ(r.rest, ".git/hooks/pre-commit");
  EXPECT_TRUE(r.pid.empty());
  r = parse_fd_reference("/proc/thread-self/cwd");
  EXPECT_EQ(r.kind, K::Cwd);
  EXPECT_EQ(r.rest, "");
  r = parse_fd_reference("/proc/42/root/etc/x");
  EXPECT_EQ(r.kind, K::Root);
  EXPECT_EQ(r.pid, "42");
  EXPECT_EQ(r.rest, "etc/x");
  r = parse_fd_reference("/proc/42/task/43/cwd/a");
  EXPECT_EQ(r.kind, K::Cwd);
  EXPECT_EQ(r.pid, "43");
  EXPECT_TRUE(r.thread);
  EXPECT_EQ(parse_fd_reference("/proc/self/cwdx/a").kind, K::None);
  EXPECT_EQ(parse_fd_reference("/proc/self/environ").kind, K::None);
}

TEST(MediatorDecode, OtherTasksCarryTheirPid) {
  FdReference r = parse_fd_reference("/proc/42/fd/3");
  EXPECT_EQ(r.kind, K::OtherTask);
  EXPECT_EQ(r.pid, "42");
  EXPECT_EQ(r.fd, 3);
  r = parse_fd_reference("/proc/42/task/43/fd/1");
  EXPECT_EQ(r.kind, K::OtherTask);
  EXPECT_EQ(r.pid, "43");
  EXPECT_TRUE(r.thread);
}

TEST(MediatorDecode, ImpossibleDescriptorsAreInvalidNotExceptions) {
  // The audit's spelling: std::stoi threw std::out_of_range on the mediator's thread.
  for (const char* p :
       {"/proc/self/fd/99999999999999999999", "/proc/self/fd/2147483648", "/proc/self/fd/-1",
        "/proc/self/fd/+1", "/proc/self/fd/1x", "/proc/self/fd/ 1", "/dev/fd/99999999999999999999",
        "/proc/thread-self/fd/4294967296", "/proc/1/fd/99999999999999999999999999999999"})
    EXPECT_EQ(parse_fd_reference(p).kind, K::Invalid) << p;
}

TEST(MediatorDecode, OrdinaryPathsAreNotReferences) {
  for (const char* p :
       {"/proc", "/proc/self", "/proc/self/fd", "/proc/self/cwdx", "/proc/sys/kernel/x", "/dev",
        "/dev/null", "/dev/fd", "/dev/stdoutx", "/home/u/proc/self/fd/1", "relative/proc/self/fd/1",
        "", "/proc/self/fd/../fd/1", "/dev/./stdout", "/proc/abc/fd/1"})
    EXPECT_EQ(parse_fd_reference(p).kind, K::None) << p;
}

TEST(MediatorDecode, FdNumbers) {
  EXPECT_EQ(parse_fd_number("0"), 0);
  EXPECT_FALSE(parse_fd_number("0012").has_value());  // procfs has no "0012"
  EXPECT_FALSE(parse_fd_number("00000000000000000000000000000001").has_value());
  EXPECT_EQ(parse_fd_number("2147483647"), 2147483647);
  for (const char* s : {"", "-1", "+1", "2147483648", "99999999999999999999", "1 ", "0x10", "1e3"})
    EXPECT_FALSE(parse_fd_number(s).has_value()) << s;
}

TEST(MediatorDecode, SplitFinal) {
  auto s = split_final("/a/b/c");
  EXPECT_EQ(s.parent, "/a/b");
  EXPECT_EQ(s.name, "c");
  EXPECT_FALSE(s.trailing_slash);
  s = split_final("/a/b/");
  EXPECT_EQ(s.parent, "/a");
  EXPECT_EQ(s.name, "b");
  EXPECT_TRUE(s.trailing_slash);
  s = split_final("/x");
  EXPECT_EQ(s.parent, "/");
  EXPECT_EQ(s.name, "x");
  s = split_final("/");
  EXPECT_EQ(s.parent, "/");
  EXPECT_EQ(s.name, "");
  s = split_final("/a/..");
  EXPECT_EQ(s.parent, "/a/..");
  EXPECT_EQ(s.name, "");
  s = split_final("/a/.");
  EXPECT_EQ(s.parent, "/a/.");
  EXPECT_EQ(s.name, "");
  s = split_final("////");
  EXPECT_EQ(s.parent, "/");
  EXPECT_EQ(s.name, "");
}

TEST(MediatorDecode, UnixAddresses) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::strcpy(un.sun_path, "/tmp/s");
  auto d = decode_address(&un, offsetof(sockaddr_un, sun_path) + 7);
  EXPECT_EQ(d.kind, DecodedAddress::Kind::UnixPath);
  EXPECT_EQ(d.unix_path, "/tmp/s");
  // Not NUL-terminated within the length the caller gave: only those bytes count.
  d = decode_address(&un, offsetof(sockaddr_un, sun_path) + 4);
  EXPECT_EQ(d.unix_path, "/tmp");
  // A full sun_path with no NUL at all stops at sun_path's end.
  std::memset(un.sun_path, 'a', sizeof un.sun_path);
  d = decode_address(&un, sizeof un);
  EXPECT_EQ(d.unix_path.size(), sizeof un.sun_path);
  un.sun_path[0] = 0;
  EXPECT_EQ(decode_address(&un, sizeof un).kind, DecodedAddress::Kind::UnixAbstract);
  EXPECT_EQ(decode_address(&un, sizeof(sa_family_t)).kind, DecodedAddress::Kind::UnixUnnamed);
  EXPECT_EQ(decode_address(&un, 1).kind, DecodedAddress::Kind::Unspecified);
}

TEST(MediatorDecode, InetAddresses) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(3128);
  auto d = decode_address(&in, sizeof in);
  EXPECT_EQ(d.kind, DecodedAddress::Kind::Inet);
  EXPECT_EQ(d.port, 3128);
  EXPECT_EQ(decode_address(&in, sizeof in - 1).kind, DecodedAddress::Kind::Unspecified);
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(443);
  d = decode_address(&in6, 24);
  EXPECT_EQ(d.kind, DecodedAddress::Kind::Inet6);
  EXPECT_EQ(d.port, 443);
  EXPECT_EQ(decode_address(&in6, 23).kind, DecodedAddress::Kind::Unspecified);
}

}  // namespace
}  // namespace paddock::mediator
