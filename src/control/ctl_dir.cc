#include "control/ctl_dir.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "policy/paths.h"

namespace paddock::control {

namespace {

constexpr const char* kTmp = "/tmp";

std::string tmp_root_name(uid_t uid) {
  return "paddock-" + std::to_string(uid);
}

Error refused(std::string path, std::string why) {
  return plain_error("control directory", std::move(why), std::move(path));
}

// $XDG_RUNTIME_DIR when it may hold ours; errors say why not.
Result<UniqueFd> open_runtime_dir(const std::string& xdg) {
  if (xdg.empty()) return plain_error("$XDG_RUNTIME_DIR", "not set");
  if (xdg[0] != '/') return refused(xdg, "$XDG_RUNTIME_DIR is not an absolute path");
  UniqueFd fd(::open(xdg.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return sys_error("open", xdg);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return sys_error("fstat", xdg);
  if (auto why = unsafe_directory(st, ::geteuid())) return refused(xdg, *why);
  return fd;
}

// `name` in the directory `parent`, made 0700 first when `make`, opened without following a
// symlink and checked. ENOENT when it is missing and not to be made.
Result<UniqueFd> sub_dir(int parent, const std::string& name, const std::string& path, bool make) {
  constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  UniqueFd fd(::openat(parent, name.c_str(), kFlags));
  // Made only when missing (the usual case is that it is there: every run looks).
  if (!fd.valid() && errno == ENOENT && make) {
    if (::mkdirat(parent, name.c_str(), 0700) != 0 && errno != EEXIST)
      return sys_error("mkdir", path);
    fd.reset(::openat(parent, name.c_str(), kFlags));
  }
  if (!fd.valid()) {
    if (errno == ELOOP || errno == ENOTDIR) return refused(path, "not a directory (a symlink?)");
    return sys_error("open", path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return sys_error("fstat", path);
  if (auto why = unsafe_directory(st, ::geteuid())) return refused(path, *why);
  return fd;
}

// base/root/leaf.
Result<CtlDir> dir_under(int base, const std::string& base_path, const std::string& root,
                         const std::string& leaf, bool make) {
  const std::string root_path = base_path + "/" + root;
  auto r = sub_dir(base, root, root_path, make);
  if (!r) return r.error();
  CtlDir d;
  d.path = root_path + "/" + leaf;
  auto c = sub_dir(r->get(), leaf, d.path, make);
  if (!c) return c.error();
  d.fd = std::move(*c);
  return d;
}

Result<CtlDir> ctl_under(int base, const std::string& base_path, const std::string& root,
                         bool make) {
  return dir_under(base, base_path, root, "ctl", make);
}

Result<UniqueFd> open_tmp() {
  UniqueFd fd(::open(kTmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return sys_error("open", kTmp);
  return fd;
}

}  // namespace

std::vector<std::string> control_roots(const char* xdg_runtime_dir, uid_t uid) {
  std::vector<std::string> out;
  if (xdg_runtime_dir != nullptr && xdg_runtime_dir[0] == '/') {
    std::string base = xdg_runtime_dir;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    out.push_back((base == "/" ? "" : base) + "/paddock");
  }
  out.push_back(std::string(kTmp) + "/" + tmp_root_name(uid));
  return out;
}

std::optional<std::string> unsafe_directory(const struct stat& st, uid_t euid) {
  if (!S_ISDIR(st.st_mode)) return "not a directory";
  if (st.st_uid != euid)
    return "owned by uid " + std::to_string(st.st_uid) + ", not by uid " + std::to_string(euid);
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    return std::string("mode ") + mode + " lets others in (0700 expected)";
  }
  return std::nullopt;
}

Result<CtlDir> make_control_dir(const std::string& xdg_runtime_dir,
                                const std::vector<std::string>& sandbox_writable) {
  return make_runtime_dir(xdg_runtime_dir, "ctl", sandbox_writable);
}

Result<CtlDir> make_runtime_dir(const std::string& xdg_runtime_dir, const std::string& leaf,
                                const std::vector<std::string>& sandbox_writable,
                                const std::vector<std::string>& layered) {
  std::string base_path = xdg_runtime_dir;
  std::string root = "paddock";
  auto base = open_runtime_dir(xdg_runtime_dir);
  if (!base) {
    base = open_tmp();
    if (!base) return base.error();
    base_path = kTmp;
    root = tmp_root_name(::geteuid());
  }
  // Checked before anything is made there. Where the base really is (its path may lead through
  // symlinks); the two levels below are never symlinks (ctl_under refuses them).
  char real[4096];
  const std::string self = "/proc/self/fd/" + std::to_string(base->get());
  const ssize_t n = ::readlink(self.c_str(), real, sizeof real - 1);
  if (n <= 0) return sys_error("readlink", self);
  const std::string target = std::string(real, size_t(n)) + "/" + root + "/" + leaf;
  const std::string shown = base_path + "/" + root + "/" + leaf;
  for (const auto& w : sandbox_writable)
    if (path_within(target, w))
      return refused(shown, "lies in " + w + ", which the sandbox may write");
  for (const auto& l : layered)
    if (path_within(target, l))
      return refused(shown, "lies in " + l + ", a lower layer of one of the sandbox's overlays");
  auto d = dir_under(base->get(), base_path, root, leaf, /*make=*/true);
  if (d) d->real = target;
  return d;
}

std::vector<CtlDir> find_control_dirs(const std::string& xdg_runtime_dir,
                                      std::vector<std::string>& refused_dirs) {
  std::vector<CtlDir> out;
  auto add = [&](Result<CtlDir> d) {
    if (d)
      out.push_back(std::move(*d));
    else if (d.error().err != ENOENT)
      refused_dirs.push_back(d.error().message());
  };
  if (auto rt = open_runtime_dir(xdg_runtime_dir))
    add(ctl_under(rt->get(), xdg_runtime_dir, "paddock", /*make=*/false));
  if (auto tmp = open_tmp()) add(ctl_under(tmp->get(), kTmp, tmp_root_name(::geteuid()), false));
  return out;
}

bool valid_id(std::string_view id) {
  if (id.size() != kIdHexDigits) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::optional<std::string> id_of_socket_name(std::string_view name) {
  constexpr std::string_view kSuffix = ".sock";
  if (!name.ends_with(kSuffix)) return std::nullopt;
  name.remove_suffix(kSuffix.size());
  if (!valid_id(name)) return std::nullopt;
  return std::string(name);
}

std::string socket_name(std::string_view id) {
  return std::string(id) + ".sock";
}

Result<std::string> new_id() {
  unsigned char b[kIdHexDigits / 2];
  size_t got = 0;
  while (got < sizeof b) {
    const ssize_t n = ::getrandom(b + got, sizeof b - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sys_error("getrandom", "control socket id");
    got += size_t(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char c : b) {
    id += kHex[c >> 4];
    id += kHex[c & 15];
  }
  return id;
}

}  // namespace paddock::control
