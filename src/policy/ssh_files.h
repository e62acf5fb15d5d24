#pragma once
// ~/.ssh without its keys. The built-in list hides ~/.ssh as a whole (keys have any name); these
// files in it are re-opened read-only, because ssh inside needs them and they hold no key:
// known_hosts (and known_hosts2), config, and the files config includes from ~/.ssh (Include,
// globs expanded at start-up, nested up to ssh's own depth). A file that an IdentityFile line
// names, or whose name looks like a key (id_*, *.pem, *.key, *_rsa, ...), is never re-opened,
// even when an Include pattern matches it, and neither is one whose text holds a private key
// (holds_private_key). Public keys (*.pub) are re-opened only for
// --ssh-agent: ssh needs the public half to pick the agent's key under IdentitiesOnly.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/host_fs.h"

namespace paddock {

// The Include arguments and IdentityFile/CertificateFile values of ssh_config(5) text, in
// order, unquoted, not expanded.
struct SshConfigRefs {
  std::vector<std::string> includes;
  std::vector<std::string> identity_files;
};
SshConfigRefs parse_ssh_config_refs(std::string_view text);

// Does a file name in ~/.ssh look like a private key (never re-opened)?
bool looks_like_ssh_key(std::string_view name);

// Does a file's text hold a private key (OpenSSH, PEM, PKCS#8, SSH2 or PuTTY armour)? Names
// alone miss a key called `github` that an Include names, a known_hosts that is a symlink to
// it, or a hard link: whatever is re-opened is read first and never re-opened when it is one.
bool holds_private_key(std::string_view text);

// The files of `ssh_dir` (canonical, e.g. /home/u/.ssh) to re-open, regular files or symlinks
// (the caller judges where a symlink leads). `read` returns a config file's text (nullopt when
// unreadable); `with_public_keys` adds ssh_dir/*.pub.
std::vector<std::string> ssh_readable_files(
    const std::string& ssh_dir, const std::string& home, const HostFs& fs,
    const std::function<std::optional<std::string>(const std::string&)>& read,
    bool with_public_keys);

}  // namespace paddock
