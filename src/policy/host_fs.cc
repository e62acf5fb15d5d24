#include "policy/host_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <unordered_map>

#include "base/unique_fd.h"

namespace paddock {

namespace {

EntryType from_mode(mode_t m) {
  if (S_ISDIR(m)) return EntryType::Dir;
  if (S_ISREG(m)) return EntryType::File;
  if (S_ISLNK(m)) return EntryType::Symlink;
  if (S_ISSOCK(m)) return EntryType::Socket;
  return EntryType::Other;
}

EntryType from_dirent(unsigned char t) {
  switch (t) {
    case DT_DIR:
      return EntryType::Dir;
    case DT_REG:
      return EntryType::File;
    case DT_LNK:
      return EntryType::Symlink;
    case DT_SOCK:
      return EntryType::Socket;
    case DT_UNKNOWN:
      return EntryType::Missing;  // the filesystem does not say: ask with fstatat
    default:
      return EntryType::Other;
  }
}

// The record getdents64 fills (glibc does not declare it).
struct LinuxDirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

// Past this size, reading the whole directory costs more than a lookup per name.
constexpr off_t kSmallDirectory = off_t{32} * 1024;

class RealHostFs final : public HostFs {
 public:
  EntryType type(const std::string& path) const override {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return EntryType::Missing;
    return from_mode(st.st_mode);
  }
  std::vector<HostEntry> list(const std::string& dir) const override {
    std::vector<HostEntry> out;
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return out;
    DIR* d = ::fdopendir(fd);
    if (d == nullptr) {
      ::close(fd);
      return out;
    }
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      // The entry's type as the directory records it; a lookup only where it does not say.
      HostEntry he{n, from_dirent(e->d_type)};
      if (he.type == EntryType::Missing) {
        struct stat st;
        if (::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        he.type = from_mode(st.st_mode);
      }
      out.push_back(std::move(he));
    }
    ::closedir(d);
    std::sort(out.begin(), out.end(),
              [](const HostEntry& a, const HostEntry& b) { return a.name < b.name; });
    return out;
  }
  std::vector<EntryType> types_in(const std::string& dir,
                                  const std::vector<std::string>& names) const override {
    std::vector<EntryType> out(names.size(), EntryType::Missing);
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return HostFs::types_in(dir, names);  // e.g. search-only permission
    auto stat_at = [&fd](const std::string& name) {
      struct stat st;
      return ::fstatat(fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0
                 ? from_mode(st.st_mode)
                 : EntryType::Missing;
    };
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || st.st_size > kSmallDirectory) {
      for (size_t i = 0; i < names.size(); ++i) out[i] = stat_at(names[i]);
      return out;
    }
    // Raw getdents64 on the descriptor already open: no second descriptor for a DIR stream.
    std::unordered_map<std::string, unsigned char> present;
    alignas(8) char buf[16384];
    for (;;) {
      long n = ::syscall(SYS_getdents64, fd.get(), buf, sizeof buf);
      if (n < 0) {
        for (size_t i = 0; i < names.size(); ++i) out[i] = stat_at(names[i]);
        return out;
      }
      if (n == 0) break;
      for (long off = 0; off < n;) {
        auto* e = reinterpret_cast<const LinuxDirent64*>(buf + off);
        if (e->d_reclen == 0) break;
        present.emplace(e->d_name, e->d_type);
        off += e->d_reclen;
      }
    }
    for (size_t i = 0; i < names.size(); ++i) {
      const std::string& n = names[i];
      size_t slash = n.find('/');
      auto it = present.find(slash == std::string::npos ? n : n.substr(0, slash));
      if (it == present.end()) continue;  // Missing, and so is anything beneath it
      EntryType t = from_dirent(it->second);
      out[i] = (slash != std::string::npos || t == EntryType::Missing) ? stat_at(n) : t;
    }
    return out;
  }
  std::string read_link(const std::string& path) const override {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  std::vector<std::string> mount_points() const override {
    UniqueFd fd(::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return {};
    std::string text;
    char buf[16384];
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      text.append(buf, size_t(n));
    }
    return parse_mount_points(text);
  }
};

}  // namespace

std::vector<std::string> parse_mount_points(std::string_view mountinfo) {
  std::vector<std::string> out;
  while (!mountinfo.empty()) {
    size_t nl = mountinfo.find('\n');
    std::string_view line = mountinfo.substr(0, nl);
    mountinfo.remove_prefix(nl == std::string_view::npos ? mountinfo.size() : nl + 1);
    // id parent major:minor root MOUNT-POINT options ...; spaces in paths are written \040.
    for (int field = 0; field < 4; ++field) {
      size_t sp = line.find(' ');
      line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    }
    std::string_view raw = line.substr(0, line.find(' '));
    if (raw.empty() || raw[0] != '/') continue;
    std::string path;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 3 < raw.size() && raw[i + 1] >= '0' && raw[i + 1] <= '3' &&
          raw[i + 2] >= '0' && raw[i + 2] <= '7' && raw[i + 3] >= '0' && raw[i + 3] <= '7') {
        path += char((raw[i + 1] - '0') * 64 + (raw[i + 2] - '0') * 8 + (raw[i + 3] - '0'));
        i += 3;
      } else {
        path += raw[i];
      }
    }
    out.push_back(std::move(path));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<EntryType> HostFs::types_in(const std::string& dir,
                                        const std::vector<std::string>& names) const {
  std::vector<EntryType> out;
  out.reserve(names.size());
  for (const auto& n : names) {
    std::string path = dir == "/" ? std::string() : dir;
    (path += '/') += n;
    out.push_back(type(path));
  }
  return out;
}

const HostFs& real_host_fs() {
  static const RealHostFs fs;
  return fs;
}

}  // namespace paddock

namespace paddock {

std::optional<std::string> read_small_host_file(const std::string& path, size_t max) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return std::nullopt;
  struct stat st;
  std::optional<std::string> out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && size_t(st.st_size) <= max) {
    std::string buf(size_t(st.st_size), '\0');
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n >= 0) {
      buf.resize(size_t(n));
      out = std::move(buf);
    }
  }
  ::close(fd);
  return out;
}

}  // namespace paddock
