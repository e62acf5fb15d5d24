#include "walls/identity.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace paddock {

namespace {

Status write_file(const char* path, const char* text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return sys_error("open", path);
  size_t n = std::strlen(text);
  ssize_t w = ::write(fd, text, n);
  int saved = errno;
  ::close(fd);
  if (w != static_cast<ssize_t>(n)) return sys_error("write", path, saved);
  return ok_status();
}

}  // namespace

std::optional<pid_t> pidfd_info_pid(std::string_view fdinfo) {
  for (size_t at = 0; at < fdinfo.size();) {
    size_t end = fdinfo.find('\n', at);
    if (end == std::string_view::npos) end = fdinfo.size();
    std::string_view line = fdinfo.substr(at, end - at);
    at = end + 1;
    if (line.substr(0, 4) != "Pid:") continue;
    line.remove_prefix(4);
    while (!line.empty() && (line.front() == '\t' || line.front() == ' ')) line.remove_prefix(1);
    if (line.empty() || line.size() > 9) return std::nullopt;
    pid_t n = 0;
    for (char c : line) {
      if (c < '0' || c > '9') return std::nullopt;  // "-1": gone, or not in this namespace
      n = n * 10 + (c - '0');
    }
    if (n <= 0) return std::nullopt;
    return n;
  }
  return std::nullopt;
}

Status write_id_maps(int pidfd, uid_t uid, gid_t gid) {
  const std::string info = "/proc/self/fdinfo/" + std::to_string(pidfd);
  char text[512];
  int fd = ::open(info.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sys_error("open", info, errno, "the sandbox's pidfd");
  ssize_t got = ::read(fd, text, sizeof text - 1);
  int saved = errno;
  ::close(fd);
  if (got < 0) return sys_error("read", info, saved, "the sandbox's pidfd");
  auto pid = pidfd_info_pid(std::string_view(text, static_cast<size_t>(got)));
  if (!pid) return plain_error("id maps", "the sandbox is not in the pid namespace of /proc", info);
  const std::string dir = "/proc/" + std::to_string(*pid) + "/";
  char buf[64];
  PADDOCK_TRY(write_file((dir + "setgroups").c_str(), "deny"));
  std::snprintf(buf, sizeof buf, "%u %u 1\n", uid, uid);
  PADDOCK_TRY(write_file((dir + "uid_map").c_str(), buf));
  std::snprintf(buf, sizeof buf, "%u %u 1\n", gid, gid);
  PADDOCK_TRY(write_file((dir + "gid_map").c_str(), buf));
  return ok_status();
}

Status drop_all_capabilities() {
  // Securebits first (needs CAP_SETPCAP): uid 0 gets no capabilities from execve, ever.
  int bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
             SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
             SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  if (::prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0) return sys_error("prctl(PR_SET_SECUREBITS)");
  // Capabilities are numbered without gaps: EINVAL means past the kernel's last one.
  for (int cap = 0; cap <= 63; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
    if (errno == EINVAL) break;
    return sys_error("prctl(PR_CAPBSET_DROP)", std::to_string(cap));
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    return sys_error("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  __user_cap_header_struct hdr{};
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capset, &hdr, data) != 0) return sys_error("capset");
  return ok_status();
}

Status set_no_new_privs() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return sys_error("prctl(PR_SET_NO_NEW_PRIVS)");
  return ok_status();
}

}  // namespace paddock
