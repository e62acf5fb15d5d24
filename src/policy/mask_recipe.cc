#include "policy/mask_recipe.h"

#include <unordered_map>

#include "base/sha256.h"
#include "policy/paths.h"

namespace paddock {

namespace {

// The relative path of view path `p` beneath view directory `base`.
std::string relative_to(const std::string& base, const std::string& p) {
  if (p == base) return {};
  return base == "/" ? p.substr(1) : p.substr(base.size() + 1);
}

bool is_dir(MaskEntry::Kind k) {
  return k == MaskEntry::Kind::Dir || k == MaskEntry::Kind::OpaqueDir;
}

}  // namespace

Result<MaskRecipe> plan_mask(const std::string& overlay_path, const std::vector<MountOp>& steps,
                             const LowerDirMode& lower_mode) {
  std::vector<const MountOp*> p;
  p.reserve(steps.size());
  for (const MountOp& m : steps) p.push_back(&m);
  return plan_mask(overlay_path, p, lower_mode);
}

Result<MaskRecipe> plan_mask(const std::string& overlay_path,
                             const std::vector<const MountOp*>& steps,
                             const LowerDirMode& lower_mode) {
  MaskRecipe r;
  mode_t root = lower_mode("");
  r.root_mode = root ? root : 0755;
  std::unordered_map<std::string, size_t> made;  // rel -> index in r.entries
  auto add = [&](MaskEntry::Kind k, const std::string& rel, mode_t mode) {
    made.emplace(rel, r.entries.size());
    r.entries.push_back({k, rel, mode});
  };
  for (const MountOp* step : steps) {
    const MountOp& m = *step;
    std::string rel = relative_to(overlay_path, m.path);
    if (rel.empty()) continue;
    const std::string abs = "/" + rel;  // path_components returns views into it
    auto comps = path_components(abs);
    std::string walked;
    bool skip = false;
    for (size_t i = 0; i + 1 < comps.size() && !skip; ++i) {
      if (!walked.empty()) walked += '/';
      walked += comps[i];
      if (auto it = made.find(walked); it != made.end()) {
        skip = !is_dir(r.entries[it->second].kind);  // beneath a whiteout: hidden already
        continue;
      }
      mode_t mode = lower_mode(walked);
      if (mode == 0 && m.kind == MountOp::Kind::Whiteout) {
        skip = true;  // nothing of the host's there to hide yet
        break;
      }
      add(MaskEntry::Kind::Dir, walked, mode ? mode : 0755);
    }
    if (skip) continue;
    auto it = made.find(rel);
    MaskEntry* existing = it == made.end() ? nullptr : &r.entries[it->second];
    auto not_a_dir = [&] {
      return plain_error("mask", "an entry of the mask is not a directory", m.path);
    };
    switch (m.kind) {
      case MountOp::Kind::Whiteout:
        if (existing == nullptr) add(MaskEntry::Kind::Whiteout, rel, 0);
        break;
      case MountOp::Kind::OpaqueDir:
      case MountOp::Kind::MaskDir: {
        if (existing != nullptr && !is_dir(existing->kind)) return not_a_dir();
        if (existing == nullptr) {
          mode_t mode = lower_mode(rel);
          add(MaskEntry::Kind::Dir, rel, mode ? mode : 0755);
          existing = &r.entries.back();
        }
        if (m.kind == MountOp::Kind::OpaqueDir) existing->kind = MaskEntry::Kind::OpaqueDir;
        break;
      }
      case MountOp::Kind::MaskFile:
        if (existing != nullptr && is_dir(existing->kind))
          return plain_error("mask", "a mount point of the mask is a directory", m.path);
        if (existing == nullptr) add(MaskEntry::Kind::File, rel, 0644);
        break;
      default:
        break;
    }
  }
  return r;
}

std::string mask_key(const MaskRecipe& recipe) {
  // Versioned: a mask laid out differently by a later paddock gets other names.
  std::string b = "paddock mask v1\n";
  auto put = [&b](const std::string& field) {
    b += std::to_string(field.size());
    b += ':';
    b += field;
  };
  put(std::to_string(recipe.root_mode));
  for (const MaskEntry& e : recipe.entries) {
    put(std::to_string(static_cast<int>(e.kind)));
    put(std::to_string(e.mode));
    put(e.rel);
  }
  return sha256_hex(b).substr(0, 32);
}

}  // namespace paddock
