#pragma once
// Where a git URL points, as git 2.39 reads it (transport.c: transport_get, connect.c:
// parse_connect_url, urls.txt). Used to judge remote.*.url and submodule.*.url before git on
// the host can push there.
//
// Forms understood:
//   http[s]://[user@]host[:port]/path   ftp[s]://...   (git-remote-http, through curl)
//   ssh://[user@]host[:port]/path       git+ssh://, ssh+git://, git://host[:port]/path
//   [user@]host:path                    (scp-like: a ':' before any '/')
//   file:///path, /path, ./rel, rel     (local: no ':' before the first '/')
// Refused: `<transport>::<address>` (a remote helper program decides where it connects, and
// ext:: runs a command), any other scheme (git runs git-remote-<scheme>), option-like hosts,
// users or paths ("-oProxyCommand=..."), control characters, and shapes where git and curl
// could disagree about the host (several '@', '%' or '\' in an http authority, brackets around
// anything but an IPv6 literal).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace paddock {

struct GitUrl {
  enum class Kind {
    kNetwork,  // git connects to host (and port)
    kLocal,    // git opens a repository on this machine at path
  };
  Kind kind = Kind::kLocal;
  // kNetwork: "http", "https", "ftp", "ftps", "ssh" (also for scp-like and git+ssh://) or "git".
  // kLocal: "file" for file:// URLs, "" for plain paths.
  std::string scheme;
  std::string user;                   // kNetwork, may be empty
  std::string host;                   // kNetwork: lower-case; an IPv6 literal without brackets
  std::optional<std::uint16_t> port;  // kNetwork, when given
  // kNetwork: the path on the server. kLocal: the path, absolute or relative (to the current
  // directory for a remote, to the superproject for a submodule; see relative_to_superproject).
  std::string path;
  // A submodule URL git resolves against the superproject's remote: see resolve_submodule_url.
  bool relative_to_superproject = false;
};

// Parses a remote URL. The error's detail says why it is refused.
Result<GitUrl> parse_git_url(std::string_view url);

// True when git reads `url` as a local path, not as a URL or scp-like address
// (connect.c: url_is_local_not_ssh).
bool git_url_is_local(std::string_view url);

// True when git resolves a submodule's `url` against the superproject's remote URL: a local
// path that is not absolute ("../lib.git", "./x", "x").
bool is_superproject_relative(std::string_view url);

// The URL git uses for a submodule configured with relative `url` when the superproject's
// remote URL is `remote_url` (remote.c: relative_url). Each leading "../" removes one component
// of remote_url, and can reach into its host: "https://a.example/x" with "../../b.example/y"
// resolves to "https://b.example/y", so the result must be judged again. nullopt where git
// refuses (more "../" than the remote has components). An absolute `url` is returned as is.
std::optional<std::string> resolve_submodule_url(std::string_view remote_url, std::string_view url);

}  // namespace paddock
