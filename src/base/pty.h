#pragma once
// UNIX98 pty slaves: majors 136-143, 256 minors each; a pty's number is what /dev/pts/N names.
#include <optional>

namespace paddock {

inline constexpr unsigned kPtySlaveMajorFirst = 136;
inline constexpr unsigned kPtySlaveMajorLast = 143;

// The number of the pty slave with device numbers `major`:`minor`; none for any other device.
inline std::optional<unsigned> pty_number(unsigned major, unsigned minor) {
  if (major < kPtySlaveMajorFirst || major > kPtySlaveMajorLast) return std::nullopt;
  return (major - kPtySlaveMajorFirst) * 256 + minor;
}

}  // namespace paddock
