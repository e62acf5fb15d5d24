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

Status write_id_maps(pid_t pid, uid_t uid, gid_t gid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/";
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
