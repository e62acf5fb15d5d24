#pragma once
// What the policy needs from the host beyond the settings: paddock's state directory (from
// XDG_STATE_HOME) and /etc/passwd (other users' homes are absent inside).
#include <string>

#include "policy/policy.h"

namespace paddock {

HostInputs host_inputs(const std::string& home, bool ephemeral_home);

// The invoking user's home: $HOME when absolute, else the passwd entry's, else "/".
std::string invoking_user_home();

}  // namespace paddock
