#pragma once
// SHA-256 (FIPS 180-4), for ssh key fingerprints ("SHA256:..." as ssh-keygen -l prints them):
// one small function rather than a crypto library loaded at every start.
#include <array>
#include <cstdint>
#include <string_view>

namespace paddock {

std::array<uint8_t, 32> sha256(std::string_view data);

}  // namespace paddock
