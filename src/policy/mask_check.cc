#include "policy/mask_check.h"

#include <dirent.h>

#include <algorithm>
#include <map>

#include "policy/paths.h"

namespace paddock {

namespace {

bool is_dir(MaskEntry::Kind k) {
  return k == MaskEntry::Kind::Dir || k == MaskEntry::Kind::OpaqueDir;
}

// The parent of a path beneath the mask's root ("" for the root's own entries).
std::string parent_rel(const std::string& rel) {
  const size_t slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

}  // namespace

std::vector<MaskDirectory> mask_directories(const MaskRecipe& recipe) {
  std::vector<MaskDirectory> out;
  std::map<std::string, size_t> index;  // rel -> position in out
  out.push_back({"", kNoParent, "", recipe.root_mode, false, {}});
  index[""] = 0;
  for (const MaskEntry& e : recipe.entries) {
    if (!is_dir(e.kind)) continue;
    auto up = index.find(parent_rel(e.rel));
    index[e.rel] = out.size();
    out.push_back({e.rel,
                   up == index.end() ? kNoParent : up->second,
                   base_name(e.rel),
                   e.mode,
                   e.kind == MaskEntry::Kind::OpaqueDir,
                   {}});
  }
  for (const MaskEntry& e : recipe.entries) {
    auto it = index.find(parent_rel(e.rel));
    // plan_mask puts every entry's parent before it; one without is nobody's child here and
    // so can never be listed: the check then fails, as it should for such a recipe.
    if (it == index.end()) continue;
    out[it->second].children.emplace_back(base_name(e.rel), e.kind);
  }
  for (auto& d : out) std::sort(d.children.begin(), d.children.end());
  return out;
}

std::optional<std::string> mismatched_listing(
    std::vector<ListedEntry> listed,
    const std::vector<std::pair<std::string, MaskEntry::Kind>>& children, ino_t whiteout_ino) {
  std::sort(listed.begin(), listed.end(),
            [](const ListedEntry& a, const ListedEntry& b) { return a.name < b.name; });
  size_t i = 0, j = 0;
  while (i < listed.size() || j < children.size()) {
    if (j == children.size() || (i < listed.size() && listed[i].name < children[j].first))
      return "an entry it should not have: " + listed[i].name;
    if (i == listed.size() || children[j].first < listed[i].name)
      return "an entry missing: " + children[j].first;
    const ListedEntry& l = listed[i];
    bool right = false;
    switch (children[j].second) {
      case MaskEntry::Kind::Whiteout:
        right = l.type == DT_CHR && l.ino == whiteout_ino;
        break;
      case MaskEntry::Kind::Dir:
      case MaskEntry::Kind::OpaqueDir:
        right = l.type == DT_DIR;
        break;
      case MaskEntry::Kind::File:
        right = l.type == DT_REG;
        break;
    }
    if (!right) return "an entry of the wrong kind: " + l.name;
    ++i;
    ++j;
  }
  return std::nullopt;
}

}  // namespace paddock
