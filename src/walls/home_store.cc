#include "walls/home_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "policy/home_layer.h"
#include "policy/paths.h"
#include "walls/layer_tenant.h"

namespace paddock {

namespace {

// Deeper than this, a walk stops descending (measure) or moves the subtree up (discard): a
// sandbox may build a chain of directories as deep as it likes, descriptors are finite.
constexpr int kMaxDepth = 64;
// `paddock policy` measures the layer on every call: a layer of millions of cached files is
// reported as "at least" after this many entries rather than walked for minutes.
constexpr uint64_t kMaxMeasuredEntries = 1'000'000;

// Every component of `dir` that is missing is made, mode 0700 (the XDG rule for the base
// directories, and paddock's own).
Status make_private_dirs(const std::string& dir) {
  std::string at;
  for (auto c : path_components(dir)) {
    at += '/';
    at += c;
    if (::mkdir(at.c_str(), 0700) != 0 && errno != EEXIST) return sys_error("mkdir", at);
  }
  return ok_status();
}

// A directory of paddock's: the user's own and nobody else's to change.
Status check_ours(const std::string& dir) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) return sys_error("stat", dir);
  if (!S_ISDIR(st.st_mode)) return plain_error("home layer", "is not a directory", dir);
  if (st.st_uid != ::geteuid())
    return plain_error("home layer", "belongs to another user; paddock keeps its state in it", dir);
  if (st.st_mode & 022)
    return plain_error("home layer", "is writable by others; chmod go-w it", dir);
  return ok_status();
}

Result<UniqueFd> lock_store(const std::string& store, bool& busy) {
  std::string path = store + ".lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return sys_error("open", path, errno, "the home layer's lock");
  busy = false;
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return sys_error("flock", path);
    busy = true;
  }
  // The last run's sandbox may still be going (layer_tenant.h): normally long gone, else a
  // fraction of a millisecond. One that does not go is treated as a run in progress.
  if (!busy && !wait_for_layer_tenant(fd.get(), std::chrono::seconds(2))) busy = true;
  return fd;
}

// A work directory of an earlier run: neither `run`'s nor the spare one made for the next.
bool is_stale_work(const std::string& name, const std::string& run) {
  return name != run && name != kSpareWorkName;
}

// Names in a directory open for reading (not . and ..).
std::vector<std::string> names_in(int dir) {
  std::vector<std::string> out;
  int copy = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (copy < 0) return out;
  DIR* d = ::fdopendir(copy);
  if (d == nullptr) {
    ::close(copy);
    return out;
  }
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    out.emplace_back(e->d_name);
  }
  ::closedir(d);
  return out;
}

void measure_dir(int dir, int depth, StoreUsage& u) {
  for (const auto& name : names_in(dir)) {
    if (u.entries >= kMaxMeasuredEntries) {
      u.partial = true;
      return;
    }
    struct stat st;
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    u.bytes += uint64_t(st.st_blocks) * 512;
    ++u.entries;
    if (!S_ISDIR(st.st_mode)) continue;
    if (depth >= kMaxDepth) {
      u.partial = true;
      continue;
    }
    UniqueFd child(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!child.valid()) {
      u.partial = true;  // a directory a sandbox made unreadable
      continue;
    }
    measure_dir(child.get(), depth + 1, u);
  }
}

struct Remover {
  int top;  // where subtrees too deep to walk are moved, to be removed from there
  std::string top_path;
  std::vector<std::string> deferred;
  StoreUsage& freed;
  unsigned seq = 0;

  Status remove(int parent, const std::string& name, int depth, const std::string& shown) {
    struct stat st;
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return ok_status();
      return sys_error("stat", shown);
    }
    freed.bytes += uint64_t(st.st_blocks) * 512;
    ++freed.entries;
    if (!S_ISDIR(st.st_mode)) {
      if (::unlinkat(parent, name.c_str(), 0) != 0 && errno != ENOENT)
        return sys_error("unlink", shown);
      return ok_status();
    }
    // A sandbox may have left its directories without write or search permission.
    // Never through a symlink that took the directory's place since the fstatat.
    if ((st.st_mode & 0700) != 0700 &&
        ::fchmodat(parent, name.c_str(), 0700, AT_SYMLINK_NOFOLLOW) != 0)
      return sys_error("chmod", shown);
    if (depth >= kMaxDepth) {
      std::string moved =
          ".discard-deep-" + std::to_string(::getpid()) + "-" + std::to_string(++seq);
      if (::renameat(parent, name.c_str(), top, moved.c_str()) != 0)
        return sys_error("rename", shown);
      deferred.push_back(moved);
      return ok_status();
    }
    UniqueFd dir(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) return sys_error("open", shown);
    for (const auto& n : names_in(dir.get())) PADDOCK_TRY(remove(dir.get(), n, depth + 1, shown));
    dir.reset();
    if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
      return sys_error("rmdir", shown);
    return ok_status();
  }

  Status remove_all(const std::string& name) {
    PADDOCK_TRY(remove(top, name, 0, join_path(top_path, name)));
    while (!deferred.empty()) {
      std::string next = deferred.back();
      deferred.pop_back();
      PADDOCK_TRY(remove(top, next, 0, join_path(top_path, next)));
    }
    return ok_status();
  }
};

}  // namespace

Result<StoreLock> open_home_store(const std::string& state_dir, const std::string& store,
                                  const std::string& project, mode_t upper_mode, UniqueFd& lock) {
  const std::string homes = parent_path(store);
  bool busy = false;
  // Taken already (try_lock_home_store) by a supervisor that speculated on this store.
  Result<UniqueFd> fd = lock.valid() ? Result<UniqueFd>(std::move(lock)) : lock_store(store, busy);
  if (!fd && fd.error().err == ENOENT) {  // the first run: nothing of paddock's yet
    PADDOCK_TRY(make_private_dirs(homes));
    fd = lock_store(store, busy);
  }
  if (!fd) return fd.error();
  PADDOCK_TRY(check_ours(state_dir));
  PADDOCK_TRY(check_ours(homes));
  if (busy) return StoreLock::Busy;
  if (::mkdir(store.c_str(), 0700) != 0) {
    if (errno != EEXIST) return sys_error("mkdir", store);
    PADDOCK_TRY(check_ours(store));
    lock = std::move(*fd);
    return StoreLock::Held;  // made by an earlier run, with what follows
  }
  std::string upper = store + "/upper";
  if (::mkdir(upper.c_str(), upper_mode) != 0 || ::chmod(upper.c_str(), upper_mode) != 0)
    return sys_error("mkdir", upper);
  std::string work = store + "/work";
  if (::mkdir(work.c_str(), 0700) != 0) return sys_error("mkdir", work);
  // Which project this is, for `paddock reset --all` and for whoever looks.
  std::string record = store + "/project";
  UniqueFd f(::open(record.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!f.valid()) return sys_error("create", record);
  std::string line = project + "\n";
  if (::write(f.get(), line.data(), line.size()) != ssize_t(line.size()))
    return sys_error("write", record);
  lock = std::move(*fd);
  return StoreLock::Held;
}

Result<StoreUsage> measure_home_store(const std::string& store) {
  StoreUsage u;
  std::string upper = store + "/upper";
  UniqueFd fd(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return u;
    return sys_error("open", upper);
  }
  measure_dir(fd.get(), 0, u);
  return u;
}

std::string store_project(const std::string& store) {
  std::string path = store + "/project";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return {};
  char buf[8192];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n <= 0) return {};
  std::string s(buf, size_t(n));
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

std::vector<StoreInfo> list_home_stores(const std::string& state_dir) {
  std::vector<StoreInfo> out;
  std::string homes = home_layers_dir(state_dir);
  UniqueFd fd(::open(homes.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return out;
  for (const auto& n : names_in(fd.get())) {
    struct stat st;
    if (::fstatat(fd.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
      continue;
    std::string store = join_path(homes, n);
    out.push_back({store, store_project(store)});
  }
  return out;
}

Status discard_stale_work(const std::string& store, const std::string& run) {
  std::string work = store + "/work";
  UniqueFd top(::open(work.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!top.valid()) return errno == ENOENT ? ok_status() : sys_error("open", work);
  StoreUsage freed;
  for (const auto& overlay : names_in(top.get())) {
    UniqueFd dir(
        ::openat(top.get(), overlay.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) continue;  // a work directory of an older paddock, in use or not: kept
    Remover r{dir.get(), join_path(work, overlay), {}, freed};
    for (const auto& n : names_in(dir.get()))
      if (is_stale_work(n, run)) PADDOCK_TRY(r.remove_all(n));
  }
  return ok_status();
}

UniqueFd try_lock_home_store(const std::string& store) {
  bool busy = false;
  auto fd = lock_store(store, busy);
  if (!fd || busy) return UniqueFd();
  return std::move(*fd);
}

std::vector<std::string> directory_names(int dir) {
  return names_in(dir);
}

Status remove_entry(int dir, const std::string& dir_path, const std::string& name) {
  StoreUsage freed;
  Remover r{dir, dir_path, {}, freed};
  return r.remove_all(name);
}

size_t count_stale_work(const std::string& store, const std::string& run) {
  std::string work = store + "/work";
  UniqueFd top(::open(work.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!top.valid()) return 0;
  size_t n = 0;
  for (const auto& overlay : names_in(top.get())) {
    UniqueFd dir(
        ::openat(top.get(), overlay.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) continue;
    for (const auto& name : names_in(dir.get())) n += is_stale_work(name, run);
  }
  return n;
}

Result<StoreLock> discard_home_store(const std::string& store, StoreUsage& freed) {
  const std::string homes = parent_path(store);
  struct stat st;
  if (::lstat(homes.c_str(), &st) != 0) {
    if (errno == ENOENT) return StoreLock::Held;  // nothing was ever kept
    return sys_error("stat", homes);
  }
  UniqueFd top(::open(homes.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!top.valid()) return sys_error("open", homes);
  const std::string name = base_name(store);
  // Leftovers of an interrupted discard are not stores: no lock, nobody mounts them.
  const bool leftover = name.rfind(".discard-", 0) == 0;
  UniqueFd lock;
  if (!leftover) {
    bool busy = false;
    auto fd = lock_store(store, busy);
    if (!fd) return fd.error();
    if (busy) return StoreLock::Busy;
    lock = std::move(*fd);
  }
  if (::fstatat(top.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return StoreLock::Held;
    return sys_error("stat", store);
  }
  // Out of the way first, under the lock: the next run starts from an empty layer even if the
  // removal is interrupted. (The lock file itself stays: a run that opened it must not lock a
  // file that is no longer the one others lock.)
  std::string moved = name;
  if (!leftover) {
    moved = ".discard-" + name + "-" + std::to_string(::getpid());
    if (::renameat(top.get(), name.c_str(), top.get(), moved.c_str()) != 0)
      return sys_error("rename", store);
  }
  lock.reset();
  Remover r{top.get(), homes, {}, freed};
  PADDOCK_TRY(r.remove_all(moved));
  return StoreLock::Held;
}

}  // namespace paddock
