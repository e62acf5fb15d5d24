#include "walls/loopback.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "base/unique_fd.h"

namespace paddock {

Status bring_loopback_up() {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return sys_error("socket", "loopback setup");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) return sys_error("ioctl(SIOCGIFFLAGS)", "lo");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) return sys_error("ioctl(SIOCSIFFLAGS)", "lo");
  return ok_status();
}

Status add_resolver_address() {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return sys_error("socket", "loopback setup");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo:1", IFNAMSIZ - 1);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(0xC6120000);  // 198.18.0.0
  std::memcpy(&ifr.ifr_addr, &a, sizeof a);
  if (::ioctl(s.get(), SIOCSIFADDR, &ifr) != 0) return sys_error("ioctl(SIOCSIFADDR)", "lo:1");
  a.sin_addr.s_addr = htonl(0xFFFFFFFF);
  std::memcpy(&ifr.ifr_netmask, &a, sizeof a);
  if (::ioctl(s.get(), SIOCSIFNETMASK, &ifr) != 0)
    return sys_error("ioctl(SIOCSIFNETMASK)", "lo:1");
  return ok_status();
}

}  // namespace paddock
