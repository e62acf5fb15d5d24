#include "policy/home_layer.h"

#include "base/sha256.h"
#include "policy/paths.h"

namespace paddock {

const char* home_layer_mode_name(HomeLayer::Mode m) {
  switch (m) {
    case HomeLayer::Mode::None:
      return "none";
    case HomeLayer::Mode::Persistent:
      return "persistent";
    case HomeLayer::Mode::Ephemeral:
      return "ephemeral";
  }
  return "?";
}

std::string paddock_state_dir(const char* xdg_state_home, const std::string& home) {
  if (xdg_state_home != nullptr && xdg_state_home[0] == '/')
    return join_path(normalize_path(xdg_state_home), "paddock");
  return join_path(home, ".local/state/paddock");
}

std::string home_layers_dir(const std::string& state_dir) {
  return join_path(state_dir, "homes");
}

std::string home_layer_store(const std::string& state_dir, const std::string& project) {
  // 128 bits of the digest: a name, not a key, but no project may guess its way into another's.
  return join_path(home_layers_dir(state_dir), sha256_hex(project).substr(0, 32));
}

std::string layer_upper_rel(const std::string& rel) {
  return rel.empty() ? "upper" : "upper/" + rel;
}

std::string layer_work_rel(const std::string& rel, const std::string& run) {
  // One work directory per overlay, never inside an upper one.
  std::string w = "work/" + sha256_hex(rel).substr(0, 16);
  return run.empty() ? w : w + "/" + run;
}

const char* sandbox_owned_tree(const std::string& path) {
  for (const char* own : {"/tmp", "/var/tmp", "/dev", "/proc", "/sys", "/run", "/var/run"})
    if (path_within(path, own)) return own;
  return nullptr;
}

HomeLayer decide_home_layer(const HomeLayerInputs& in) {
  HomeLayer l;
  l.path = in.home;
  auto none = [&l](std::string why) {
    l.mode = HomeLayer::Mode::None;
    l.why = std::move(why);
    return l;
  };
  if (in.home.empty() || in.home == "/") return none("the home directory is /");
  if (!in.home_is_dir) return none("the home directory " + in.home + " does not exist");
  if (const char* own = sandbox_owned_tree(in.home))
    return none(std::string("the home directory is under ") + own +
                ", which the sandbox replaces with its own");
  if (in.writable != nullptr)
    for (const auto& w : *in.writable)
      if (path_within(in.home, w)) return none("the home directory is writable (" + w + ")");
  if (in.deny_read != nullptr)
    for (const auto& d : *in.deny_read)
      if (path_within(in.home, d)) return none("the home directory is inside the denied path " + d);
  if (in.ephemeral) {
    l.mode = HomeLayer::Mode::Ephemeral;
    l.why = "--ephemeral-home";
    return l;
  }
  l.mode = HomeLayer::Mode::Persistent;
  l.store = home_layer_store(in.state_dir, in.project);
  return l;
}

}  // namespace paddock
