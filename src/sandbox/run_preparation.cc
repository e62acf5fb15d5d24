#include "sandbox/run_preparation.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "policy/paths.h"
#include "walls/home_store.h"

namespace paddock {

namespace {

// mkdir -p, with the modes mkdir gives (the user's umask applies).
Status make_directories(const std::string& path) {
  std::string at;
  for (auto c : path_components(path)) {
    at += '/';
    at += c;
    if (::mkdir(at.c_str(), 0777) != 0 && errno != EEXIST) return sys_error("mkdir", at);
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return sys_error("stat", path);
  if (!S_ISDIR(st.st_mode)) return plain_error("mkdir", "exists and is not a directory", path);
  return ok_status();
}

}  // namespace

std::string new_run_name() {
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  return std::to_string(::getpid()) + "-" + std::to_string(now.tv_sec) + "." +
         std::to_string(now.tv_nsec);
}

Result<PreparedRun> prepare_run(FsPolicy& fs, HeldLayer* held) {
  PreparedRun run;
  for (const auto& w : fs.create_writable) {
    Status made = make_directories(w);
    if (!made.ok()) {
      Error e = made.error();
      e.detail = (e.detail.empty() ? "" : e.detail + "; ") +
                 "an allowWrite path that does not exist is made before the run (exit 125 "
                 "when it cannot be: it would be read-only inside)";
      return e;
    }
    run.notes.push_back("created " + w + " (an allowWrite path that did not exist)");
  }
  HomeLayer& layer = fs.home_layer;
  if (layer.mode != HomeLayer::Mode::Persistent) return run;
  struct stat st;
  if (::stat(layer.path.c_str(), &st) != 0) return sys_error("stat", layer.path);
  const bool adopt = held != nullptr && held->lock.valid() && held->store == layer.store;
  if (adopt) run.layer_lock = std::move(held->lock);
  auto lock =
      open_home_store(fs.state_dir, layer.store, fs.project, st.st_mode & 07777, run.layer_lock);
  if (!lock) {
    Error e = lock.error();
    e.detail = (e.detail.empty() ? "" : e.detail + "; ") +
               "the home layer cannot be kept; --ephemeral-home keeps it in memory instead";
    return e;
  }
  // Made just now, after the policy was built: the state directory is hidden like any path that
  // exists (outside the home layer nothing masks a name that was missing).
  auto absent = std::find(fs.deny_read_absent.begin(), fs.deny_read_absent.end(), fs.state_dir);
  if (absent != fs.deny_read_absent.end()) {
    fs.deny_read_absent.erase(absent);
    fs.deny_read.push_back(fs.state_dir);
  }
  layer.run = adopt && !held->run.empty() ? held->run : new_run_name();
  if (*lock == StoreLock::Busy) {
    layer.mode = HomeLayer::Mode::Ephemeral;
    layer.why = "another paddock run in this project is using its home layer";
    run.notes.push_back(
        "the home layer of this project is in use by another paddock run: this run's writes "
        "to the home are kept in memory and discarded at exit");
  }
  return run;
}

}  // namespace paddock
