#include "sandbox/spec_speculation.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "base/sha256.h"
#include "policy/paths.h"
#include "sandbox/spec_codec.h"
#include "walls/home_store.h"
#include "walls/mask_cache.h"
#include "walls/overlay_mount.h"

namespace paddock {

namespace {

// Stands for the run name in kept walls (a run name never holds '@').
constexpr const char* kRunMark = "@run@";
// Kept walls are tens of KiB; anything much larger is not ours.
constexpr off_t kMaxWalls = 4 << 20;

// Replaces a trailing "/`from`" of every work directory with "/`to`".
void rename_runs(SandboxSpec& spec, const std::string& from, const std::string& to) {
  const std::string tail = "/" + from;
  for (auto& op : spec.mounts.ops)
    if (op.work.size() > tail.size() && op.work.ends_with(tail))
      op.work = op.work.substr(0, op.work.size() - tail.size()) + "/" + to;
}

std::optional<std::string> read_small_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st;
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_size > kMaxWalls || st.st_uid != ::geteuid())
    return std::nullopt;
  std::string bytes(size_t(st.st_size), '\0');
  if (::pread(fd.get(), bytes.data(), bytes.size(), 0) != st.st_size) return std::nullopt;
  return bytes;
}

// The host paths the sandbox of `walls` may write: its writable binds, and the stores of its
// kept layers (what it writes in the home lands there).
std::vector<std::string> writable_host_paths(const SandboxSpec& walls) {
  std::vector<std::string> out;
  for (const auto& op : walls.mounts.ops) {
    if (!op.writable) continue;
    if (op.kind == MountOp::Kind::Bind) out.push_back(op.source);
    if (op.kind == MountOp::Kind::Overlay && !op.store.empty()) out.push_back(op.store);
  }
  return out;
}

}  // namespace

void forget_kept_walls(const std::string& state_dir) {
  const std::string dir = join_path(state_dir, "specs");
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return;
  for (const auto& n : directory_names(fd.get())) {
    struct stat st;
    if (::fstatat(fd.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
      (void)::unlinkat(fd.get(), n.c_str(), 0);
  }
}

std::string kept_walls_path(const std::string& state_dir, const std::string& invocation) {
  return join_path(join_path(state_dir, "specs"), sha256_hex(invocation).substr(0, 32));
}

std::optional<Speculation> speculate(StartedSandbox& started, const std::string& path) {
  auto bytes = read_small_file(path);
  if (!bytes) return std::nullopt;
  auto walls = decode_walls(*bytes);
  if (!walls || walls->own_terminal.enabled) return std::nullopt;
  Speculation s;
  for (const auto& op : walls->mounts.ops)
    if (op.kind == MountOp::Kind::Overlay && !op.store.empty()) s.layer.store = op.store;
  // The sandbox side mounts the store's layer before the supervisor has planned: it must be
  // ours to mount now, as prepare_run() would make it (which then keeps this lock).
  if (!s.layer.store.empty()) {
    s.layer.lock = try_lock_home_store(s.layer.store);
    if (!s.layer.lock.valid()) return std::nullopt;
    s.layer.run = new_run_name();
    rename_runs(*walls, kRunMark, s.layer.run);
  }
  s.walls = encode_walls(*walls);
  if (!send_speculative_walls(started, s.walls).ok()) return std::nullopt;
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  auto cache =
      MaskCache::open(xdg != nullptr ? xdg : "", walls->mounts, writable_host_paths(*walls));
  make_speculative_masks(started, *walls, cache ? &*cache : nullptr);
  // Made here too while the sandbox side builds its network namespace; one that cannot be made
  // here is made (or reported) by the sandbox side when it mounts the overlay.
  (void)make_layer_work_dirs(walls->mounts);
  return s;
}

void keep_walls(const std::string& path, const SandboxSpec& spec, const std::string& run) {
  if (spec.own_terminal.enabled) return;  // a new pty every run: never the same walls
  SandboxSpec kept = spec;
  if (!run.empty()) rename_runs(kept, run, kRunMark);
  const std::string bytes = encode_walls(kept);
  const std::string dir = parent_path(path);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return;
  const std::string tmp = path + ".new-" + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return;
  bool written = ::write(fd.get(), bytes.data(), bytes.size()) == ssize_t(bytes.size());
  fd.reset();
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) ::unlink(tmp.c_str());
}

}  // namespace paddock
