#pragma once
// The planner's read-only window on the host filesystem. The real one calls lstat/readdir; unit
// tests pass a fake, so the mount plan is tested without privileges or a real tree.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace paddock {

enum class EntryType { Missing, Dir, File, Symlink, Socket, Other };

struct HostEntry {
  std::string name;
  EntryType type = EntryType::Missing;
};

class HostFs {
 public:
  virtual ~HostFs() = default;
  virtual EntryType type(const std::string& path) const = 0;  // lstat, no follow
  virtual std::vector<HostEntry> list(const std::string& dir) const = 0;
  virtual std::string read_link(const std::string& path) const = 0;
  // The type of each of `names` in `dir` (Missing when absent). The real filesystem answers from
  // one directory read when the directory is small: checking ~30 protected names in each of
  // hundreds of writable roots must not cost a path lookup per name.
  virtual std::vector<EntryType> types_in(const std::string& dir,
                                          const std::vector<std::string>& names) const;
  // Every mount point of the host (/proc/self/mountinfo), sorted. An overlay cannot take a
  // directory with a filesystem mounted beneath it as its lower layer in a user namespace (the
  // kernel will not reveal what such a mount covers), so the planner must know them.
  virtual std::vector<std::string> mount_points() const { return {}; }
};

// The mount points listed in a /proc/PID/mountinfo text, unescaped, sorted, each once.
std::vector<std::string> parse_mount_points(std::string_view mountinfo);

// The real host filesystem.
const HostFs& real_host_fs();

// A small regular file's content (a gitfile, a commondir), read without following a final
// symlink; nullopt when it is not one or larger than `max`.
std::optional<std::string> read_small_host_file(const std::string& path, size_t max = 4096);

}  // namespace paddock
