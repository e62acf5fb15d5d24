#pragma once
// SHA-256 (FIPS 180-4): ssh key fingerprints ("SHA256:..." as ssh-keygen -l prints them) and
// naming by content (a home layer is named by the hash of its project's canonical path, so two
// projects can only share one if SHA-256 collides). One small function rather than a crypto
// library loaded at every start.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace paddock {

std::array<uint8_t, 32> sha256(std::string_view data);

// The digest in lower-case hex (64 characters).
std::string sha256_hex(std::string_view data);

}  // namespace paddock
