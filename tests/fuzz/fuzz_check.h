#pragma once
// The fuzz targets' invariant check: a failed one is a crash libFuzzer reports and keeps.

namespace paddock::fuzz {

inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace paddock::fuzz
