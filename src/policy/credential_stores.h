#pragma once
// The built-in list of credential stores that are absent from every sandbox's view.
#include <string>
#include <vector>

namespace paddock {

// Paths relative to the user's home directory.
const std::vector<std::string>& builtin_credential_stores();

}  // namespace paddock
