#pragma once
// Secrets of the system and of other users, absent from the view for every uid: a sandbox run as
// root would otherwise read /etc/shadow and the host's ssh keys, and other users' homes hold
// their own credential stores.
#include <string>
#include <string_view>
#include <vector>

#include "policy/host_fs.h"

namespace paddock {

// Absolute paths to make absent (some may not exist): the password and group shadows with
// their backups, ssh host keys (/etc/ssh/*_key), TLS, Kerberos, VPN and Wi-Fi secrets, root's
// home, and the homes of regular users (uid 1000 and up in `passwd_text`, the contents of
// /etc/passwd) and every directory in /home. The caller keeps whatever holds the user's own
// home, the project or another path the policy names.
std::vector<std::string> system_secret_paths(const HostFs& fs, std::string_view passwd_text);

// The home directories of `passwd_text` (root's, and those of uid 1000..65533).
std::vector<std::string> user_homes_from_passwd(std::string_view passwd_text);

}  // namespace paddock
