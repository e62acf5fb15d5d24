#include "policy/host_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace paddock {

namespace {

EntryType from_mode(mode_t m) {
  if (S_ISDIR(m)) return EntryType::Dir;
  if (S_ISREG(m)) return EntryType::File;
  if (S_ISLNK(m)) return EntryType::Symlink;
  if (S_ISSOCK(m)) return EntryType::Socket;
  return EntryType::Other;
}

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
      HostEntry he{n, EntryType::Other};
      struct stat st;
      if (::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        he.type = from_mode(st.st_mode);
      else
        continue;
      out.push_back(std::move(he));
    }
    ::closedir(d);
    std::sort(out.begin(), out.end(),
              [](const HostEntry& a, const HostEntry& b) { return a.name < b.name; });
    return out;
  }
  std::string read_link(const std::string& path) const override {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
};

}  // namespace

const HostFs& real_host_fs() {
  static const RealHostFs fs;
  return fs;
}

}  // namespace paddock
