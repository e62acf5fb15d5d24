#include "walls/landlock.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>

#include "base/kernel_abi.h"
#include "base/unique_fd.h"
#include "policy/paths.h"

namespace paddock {

using namespace kabi;

namespace {

constexpr uint64_t kFileRights = FS_WRITE_FILE;

// FS_TRUNCATE (ABI 3) is deliberately not handled. Landlock checks an optional truncate right on
// every open, read-only ones included, walking the path to the root against the rules: about 5%
// of a tree walk's time. It would add nothing here: ftruncate needs a descriptor opened for
// writing (FS_WRITE_FILE), truncate(2) is mediated by the supervisor, and outside the writable
// roots the view is mounted read-only.
uint64_t write_rights(int abi) {
  uint64_t r = FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_CHAR | FS_MAKE_DIR |
               FS_MAKE_REG | FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_BLOCK | FS_MAKE_SYM;
  if (abi >= 2) r |= FS_REFER;
  return r;
}

}  // namespace

int landlock_abi() {
  long v = ::syscall(NR_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return v < 0 ? 0 : static_cast<int>(v);
}

LandlockPlan plan_landlock(int abi, const std::vector<std::string>& writable_roots,
                           bool allow_local_binding, const std::vector<uint16_t>& connect_ports,
                           const std::vector<uint16_t>& bind_ports) {
  LandlockPlan p;
  p.abi = abi;
  if (abi >= 4 && !allow_local_binding) {
    p.handled_net = NET_BIND_TCP | NET_CONNECT_TCP;
    p.connect_ports = connect_ports;
    p.bind_ports = bind_ports;
  }
  uint64_t all = write_rights(abi);
  p.handled_fs = all;
  if (abi >= 6) p.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL;
  // Rights are inherited down the tree: a root beneath another adds nothing, and skipping it
  // keeps a thousand allowWrite entries under one project from costing a thousand rules.
  std::vector<std::string> roots = writable_roots;
  roots.insert(roots.end(), {"/tmp", "/var/tmp", "/dev/shm"});
  const PathSet all_roots(roots);
  for (const auto& w : roots)
    if (all_roots.covering(w, /*strictly_above=*/true) == nullptr) p.rules.push_back({w, all});
  // Terminal and the null-like devices: open for writing, nothing created.
  uint64_t file_rights = kFileRights & all;
  for (const char* d : {"/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/pts", "/dev/ptmx",
                        "/dev/random", "/dev/urandom"})
    p.rules.push_back({d, file_rights});
  return p;
}

Status apply_landlock(const LandlockPlan& plan) {
  if (plan.abi < 1)
    return plain_error("landlock",
                       "this kernel does not offer Landlock (needs Linux 5.13+ "
                       "with lsm=landlock); paddock will not run without it");
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = plan.handled_fs;
  attr.scoped = plan.scoped;
  attr.handled_access_net = plan.handled_net;
  size_t attr_size = plan.abi >= 6   ? sizeof(attr)
                     : plan.abi >= 4 ? offsetof(kabi::landlock_ruleset_attr, scoped)
                                     : offsetof(kabi::landlock_ruleset_attr, handled_access_net);
  UniqueFd rs(static_cast<int>(::syscall(NR_landlock_create_ruleset, &attr, attr_size, 0)));
  if (!rs.valid()) return sys_error("landlock_create_ruleset");
  for (const auto& r : plan.rules) {
    UniqueFd fd(::open(r.path.c_str(), O_PATH | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) continue;  // e.g. no /var/tmp on this host
      return sys_error("landlock: open", r.path);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return sys_error("landlock: fstat", r.path);
    landlock_path_beneath_attr pb{};
    // Files take only file rights; directory-only rights on a file are EINVAL.
    pb.allowed_access = S_ISDIR(st.st_mode) ? r.access : (r.access & kFileRights);
    pb.parent_fd = fd.get();
    if (pb.allowed_access == 0) continue;
    if (::syscall(NR_landlock_add_rule, rs.get(), LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0)
      return sys_error("landlock_add_rule", r.path);
  }
  for (uint16_t port : plan.connect_ports) {
    landlock_net_port_attr np{};
    np.allowed_access = NET_CONNECT_TCP;
    np.port = port;
    if (::syscall(NR_landlock_add_rule, rs.get(), LANDLOCK_RULE_NET_PORT, &np, 0) != 0)
      return sys_error("landlock_add_rule", "tcp port " + std::to_string(port));
  }
  for (uint16_t port : plan.bind_ports) {
    landlock_net_port_attr np{};
    np.allowed_access = NET_BIND_TCP;
    np.port = port;
    if (::syscall(NR_landlock_add_rule, rs.get(), LANDLOCK_RULE_NET_PORT, &np, 0) != 0)
      return sys_error("landlock_add_rule", "tcp bind port " + std::to_string(port));
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return sys_error("prctl(PR_SET_NO_NEW_PRIVS)");
  if (::syscall(NR_landlock_restrict_self, rs.get(), 0) != 0)
    return sys_error("landlock_restrict_self");
  return ok_status();
}

std::string describe_landlock(const LandlockPlan& plan) {
  std::string out = "  ABI " + std::to_string(plan.abi) + ", handled fs rights 0x";
  char buf[32];
  snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(plan.handled_fs));
  out += buf;
  if (plan.scoped) out += ", scoped: abstract unix sockets, signals";
  if (plan.handled_net) {
    if (plan.bind_ports.empty()) {
      out += ", tcp bind: none";
    } else {
      out += ", tcp bind: only";
      for (uint16_t p : plan.bind_ports) out += " " + std::to_string(p);
    }
    out += ", tcp connect: only";
    for (uint16_t p : plan.connect_ports) out += " " + std::to_string(p);
  }
  out += "\n";
  for (const auto& r : plan.rules) {
    snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(r.access));
    out += "  allow " + std::string(buf) + " beneath " + r.path + "\n";
  }
  return out;
}

}  // namespace paddock
