#pragma once
// The home layer: writes beneath the home directory (outside the project and the allowWrite
// paths) land in a layer of paddock's own, kept per project in paddock's state directory, and
// never in the host's home. Decided here, without syscalls; walls/home_store does the host side
// (directories, lock, size, reset) and walls/mount_view mounts it (overlayfs in the sandbox's
// user namespace, the host's home as the lower layer).
#include <string>
#include <vector>

namespace paddock {

struct HomeLayer {
  enum class Mode {
    None,        // the home is shown as it is (read-only), for the reason in `why`
    Persistent,  // upper layer in `store` on the host, kept across runs
    Ephemeral,   // upper layer in memory, gone at exit (--ephemeral-home, or the store is busy)
  };
  Mode mode = Mode::None;
  std::string path;   // the home, canonical: where the layer is mounted
  std::string store;  // Persistent: the host directory holding upper/ and work/
  std::string why;    // None: why there is no layer; Ephemeral: why it is not kept
  // Persistent: names this run's work directories (fresh ones: overlayfs would otherwise have
  // to be cleared of the last run's on the way to the mount; old ones go while the command
  // runs).
  std::string run;
  // Filled by the supervisor from the mount plan: the sandbox-view paths of the mounts that make
  // up the layer (one overlay, or more when filesystems are mounted beneath the home). Nothing
  // on them reaches the host: the write mediator treats them as the sandbox's own.
  std::vector<std::string> mounts;

  bool enabled() const { return mode != Mode::None; }
};

const char* home_layer_mode_name(HomeLayer::Mode m);

// paddock's state directory: $XDG_STATE_HOME/paddock when XDG_STATE_HOME is absolute (the XDG
// rule), else HOME/.local/state/paddock. `xdg_state_home` may be null.
std::string paddock_state_dir(const char* xdg_state_home, const std::string& home);

// Where the layers of every project live, and the one of `project` (its canonical path): named by
// SHA-256 of that path, so one project's sandbox cannot reach another's layer by choosing a name.
std::string home_layers_dir(const std::string& state_dir);
std::string home_layer_store(const std::string& state_dir, const std::string& project);

// Inside a store: the upper directory of the overlay at `rel` (relative to the home; empty for
// the home itself) and its work directory for run `run` (none: the overlay's own), both
// relative to the store.
std::string layer_upper_rel(const std::string& rel);
std::string layer_work_rel(const std::string& rel, const std::string& run = {});

// A run's work directory is taken from an empty one made beside it ahead of time (by the run
// before, while its command ran), when there is one: a directory made on the store's
// filesystem at start-up was one of the costlier steps of a start (0.1-0.25 ms on ext4 here,
// mostly its first block and inode-table reads). Its name is never a run's (those begin with a
// digit), and the sweep of earlier runs' work directories keeps it.
inline constexpr const char* kSpareWorkName = "spare";

struct HomeLayerInputs {
  std::string home;  // canonical
  bool home_is_dir = false;
  std::string state_dir;                               // canonical, paddock's
  std::string project;                                 // canonical project root
  bool ephemeral = false;                              // --ephemeral-home
  const std::vector<std::string>* writable = nullptr;  // canonical writable roots
  const std::vector<std::string>* deny_read = nullptr;
};

// The tree of the sandbox's own (its /tmp, /run, /dev, ...) that holds `path`, or null: a home
// there has no layer, since the sandbox's view replaces it.
const char* sandbox_owned_tree(const std::string& path);

// Whether there is a layer, and of which kind. No layer when the home is "/", missing, one of the
// sandbox's own private or system directories, writable already (the project is the home, or
// contains it), or inside a denied path.
HomeLayer decide_home_layer(const HomeLayerInputs& in);

}  // namespace paddock
