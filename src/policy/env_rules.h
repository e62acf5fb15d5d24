#pragma once
// Which of the user's environment variables stay outside the sandbox, decided by name (and, for
// URLs, by value) alone. Two reasons: the variable carries a secret (a token, a password, an API
// key: the threat model's "tokens"), or it points at a host service the sandbox cannot reach (a
// tmux server, a session bus, an agent socket), so a program that follows it fails instead of
// falling back. The lists are data, documented in README.md ("Environment").
#include <string>
#include <string_view>
#include <vector>

namespace paddock {

enum class EnvClass {
  kPass,        // passed in unchanged
  kSecret,      // withheld: looks like a credential (--pass-env NAME keeps it)
  kHostSocket,  // withheld: names a host socket or session that is absent inside
};

// The class of one variable. Names are compared upper-cased, so `github_token` is a secret too.
// A value that is a path (or a `unix:` address) in /run, /var/run or `runtime_dir` (the host's
// $XDG_RUNTIME_DIR) points where the sandbox has nothing: a host socket too.
EnvClass classify_env(std::string_view name, std::string_view value,
                      std::string_view runtime_dir = {});

// The rule that makes `name`/`value` a secret ("*_TOKEN", "a URL with a password"), or "".
std::string secret_env_rule(std::string_view name, std::string_view value);

// Letters, digits and _, not starting with a digit. --pass-env takes names only: a pattern
// (`AWS_*`) would match nothing and keep nothing, silently, so it is refused instead.
bool valid_env_name(std::string_view name);

// The patterns and names of the built-in secret list, for `paddock policy`.
const std::vector<std::string_view>& secret_env_patterns();
// The host-socket variables withheld, for `paddock policy`.
const std::vector<std::string_view>& host_socket_env_names();

}  // namespace paddock
