#pragma once
// What a mask made from a recipe looks like, directory by directory, and whether what a
// directory of a kept mask lists is exactly that (walls/mask_cache.h reads the listings).
// Pure.
#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "policy/mask_recipe.h"

namespace paddock {

inline constexpr size_t kNoParent = static_cast<size_t>(-1);

struct MaskDirectory {
  std::string rel;  // beneath the mask's root; "" is the root
  // Where it is: the position of its parent in the list and its name there (the root has none).
  size_t parent = kNoParent;
  std::string name;
  mode_t mode = 0;
  bool opaque = false;
  std::vector<std::pair<std::string, MaskEntry::Kind>> children;  // by name, sorted
};

// Every directory of the mask `recipe` makes, the root first and parents before children (one
// whose parent is not in the recipe, which plan_mask never makes, has kNoParent).
std::vector<MaskDirectory> mask_directories(const MaskRecipe& recipe);

struct ListedEntry {
  std::string name;
  unsigned char type = 0;  // DT_* as getdents reports it
  ino_t ino = 0;
};

// Why the entries `listed` in a directory (without . and ..) are not exactly `children`, or
// nullopt when they are: the same names, whiteouts character devices with the inode
// `whiteout_ino` (links to the template), directories directories and files regular files.
std::optional<std::string> mismatched_listing(
    std::vector<ListedEntry> listed,
    const std::vector<std::pair<std::string, MaskEntry::Kind>>& children, ino_t whiteout_ino);

}  // namespace paddock
