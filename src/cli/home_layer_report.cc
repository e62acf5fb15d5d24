#include "cli/home_layer_report.h"

#include <cstdio>

#include "walls/home_store.h"

namespace paddock {

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(bytes);
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(units)) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

nlohmann::json home_layer_json(const Policy& p) {
  const HomeLayer& l = p.fs.home_layer;
  nlohmann::json j;
  j["mode"] = home_layer_mode_name(l.mode);
  j["path"] = l.path;
  j["stateDirectory"] = p.fs.state_dir;
  j["reason"] = l.why.empty() ? nlohmann::json(nullptr) : nlohmann::json(l.why);
  if (l.mode == HomeLayer::Mode::Persistent) {
    j["store"] = l.store;
    j["upper"] = l.store + "/upper";
    auto u = measure_home_store(l.store);
    if (u) {
      j["bytes"] = u->bytes;
      j["entries"] = u->entries;
      j["sizePartial"] = u->partial;
    } else {
      j["bytes"] = nullptr;
      j["sizeError"] = u.error().message();
    }
  }
  return j;
}

std::string home_layer_text(const Policy& p) {
  const HomeLayer& l = p.fs.home_layer;
  switch (l.mode) {
    case HomeLayer::Mode::None:
      return "home layer: none (" + l.why + ")";
    case HomeLayer::Mode::Ephemeral:
      return "home layer: writes beneath " + l.path +
             " are kept in memory and discarded at exit (" + l.why + ")";
    case HomeLayer::Mode::Persistent: {
      auto u = measure_home_store(l.store);
      std::string size =
          u ? (u->partial ? "at least " : "") + human_bytes(u->bytes) : u.error().message();
      return "home layer: writes beneath " + l.path + " land in " + l.store + "/upper (" + size +
             "; `paddock reset` discards it)";
    }
  }
  return {};
}

}  // namespace paddock
