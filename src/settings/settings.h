#pragma once
// The srt-compatible settings file (DESIGN section 6) as plain structs, and the strict loader.
// Nothing here touches the kernel; the policy layer turns these into a plan.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "settings/git_key_pattern.h"
#include "settings/port_spec.h"

namespace paddock {

inline constexpr unsigned kDefaultAskTimeoutSeconds = 60;
inline constexpr unsigned kMaxAskTimeoutSeconds = 3600;

struct NetworkSettings {
  std::vector<std::string> allowed_domains;                  // network.allowedDomains
  std::vector<std::string> denied_domains;                   // network.deniedDomains
  std::vector<std::string> allow_unix_sockets;               // network.allowUnixSockets
  bool allow_all_unix_sockets = false;                       // network.allowAllUnixSockets
  bool allow_local_binding = false;                          // network.allowLocalBinding
  std::vector<std::string> denied_resolved_addresses;        // network.deniedResolvedAddresses
  std::vector<std::pair<std::string, std::string>> resolve;  // network.resolve {NAME: ADDR[,ADDR]}
  // network.allowPrivateAddresses (paddock's own): names resolving into RFC 1918, 100.64/10,
  // fc00::/7 and fec0::/10 are dialled instead of refused.
  bool allow_private_addresses = false;
  // network.publishPorts (paddock's own): ports the sandbox listens on, served on the host's
  // 127.0.0.1 ("3000" or "8080:3000", or a number). Binding them inside needs no
  // allowLocalBinding.
  std::vector<PublishedPort> publish_ports;
  // network.allowHostPorts (paddock's own): the host's loopback services the sandbox reaches as
  // localhost:PORT; nothing else of the host's loopback.
  std::vector<uint16_t> allow_host_ports;
  // network.ask (paddock's own, --ask): a destination that matches no rule waits while paddock
  // asks (the agent channel), instead of being refused. network.askTimeout: seconds to wait for
  // the answer before refusing (--ask-timeout).
  bool ask = false;
  unsigned ask_timeout_seconds = kDefaultAskTimeoutSeconds;
};

struct FilesystemSettings {
  std::vector<std::string> deny_read;    // filesystem.denyRead
  std::vector<std::string> allow_read;   // filesystem.allowRead
  std::vector<std::string> allow_write;  // filesystem.allowWrite
  std::vector<std::string> deny_write;   // filesystem.denyWrite
  // filesystem.protectedNames (paddock's own): names or relative paths read-only at any depth,
  // added to the built-in list (validated by the policy layer).
  std::vector<std::string> protected_names;
};

struct GitSettings {
  // git.allowConfigKeys: keys the sandbox may write into a repository's config beyond paddock's
  // list of inert keys (policy/git_config_judge.h warns about each risky one).
  std::vector<GitKeyPattern> allow_config_keys;
};

// The "paddock" section: keys of paddock's own that fit no srt section.
struct PaddockSettings {
  // paddock.passEnv: variables passed in although their names look like secrets.
  std::vector<std::string> pass_env;
  // paddock.sshAgent: serve the user's ssh agent inside through paddock's filter.
  bool ssh_agent = false;
  // paddock.sshAgentKeys: the keys the filtered agent offers ("SHA256:..." fingerprints or
  // public key files); empty: every key the agent holds. Implies sshAgent.
  std::vector<std::string> ssh_agent_keys;
};

struct Settings {
  NetworkSettings network;
  FilesystemSettings filesystem;
  GitSettings git;
  PaddockSettings paddock;
  // One-line notes for srt keys paddock accepts but does not act on ("ignoreViolations: ...").
  std::vector<std::string> notes;
  // The file these came from (absolute), empty for built-in defaults.
  std::string source_path;
  // srt's credentials.envVars names: variables the command's environment must not contain
  // (srt's "mask" mode is treated as "deny"). srt's credentials.files paths are merged into
  // filesystem.deny_read.
  std::vector<std::string> unset_env;
};

// Settings files larger than this are refused.
inline constexpr std::size_t kMaxSettingsFileBytes = std::size_t{4} << 20;

// Parses settings text. `name` is used in error messages (the file's path).
// Errors name the file, the JSON key path (e.g. "filesystem.denyREAD") and, for syntax errors,
// the line and column.
Result<Settings> parse_settings(std::string_view text, const std::string& name);

// Reads and parses a file (size-limited; a directory, fifo or device is refused).
Result<Settings> load_settings_file(const std::string& path);

// DESIGN section 6 lookup: explicit path, else $XDG_CONFIG_HOME/paddock/settings.json
// (or ~/.config/paddock/settings.json), else ~/.srt-settings.json, else built-in defaults (empty
// Settings, no source_path).
// Where find_and_load_settings looks when no file is given; empty without a home directory.
// It stays write-protected in every sandbox, so a command cannot plant a policy for the next run.
std::string default_settings_path();

// srt's own file, ~/.srt-settings.json: read (with a note) when default_settings_path() does
// not exist, so an srt user's rules apply unchanged. Write-protected in every sandbox too.
std::string srt_settings_path();

Result<Settings> find_and_load_settings(const std::optional<std::string>& explicit_path);

}  // namespace paddock
