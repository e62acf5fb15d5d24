// libFuzzer target: the git URL parser and the submodule URL resolver. Seeds:
// tests/fuzz/corpus/git_url/ (one URL per file).
//
// Invariants: no crash; a network URL has a lower-case host of host characters (or an IPv6
// literal) and a port from 1 to 65535; a local URL never starts with '-'; resolving a relative
// URL against a remote never crashes, and an absolute one is returned unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "policy/git_url.h"

namespace {

void check_host(const std::string& host) {
  if (host.empty()) __builtin_trap();
  const bool ipv6 = host.find(':') != std::string::npos;
  for (char c : host) {
    if (c >= 'A' && c <= 'Z') __builtin_trap();
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    (!ipv6 && (c == '-' || c == '_')) || (ipv6 && c == ':');
    if (!ok) __builtin_trap();
  }
  if (host.front() == '-' || host.front() == '.') __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view url(reinterpret_cast<const char*>(data), size);
  paddock::Result<paddock::GitUrl> u = paddock::parse_git_url(url);
  if (u.ok()) {
    if (u->kind == paddock::GitUrl::Kind::kNetwork) {
      check_host(u->host);
      if (u->port && *u->port == 0) __builtin_trap();
      if (!u->user.empty() && u->user.front() == '-') __builtin_trap();
    } else {
      if (u->path.empty() || u->path.front() == '-') __builtin_trap();
    }
    if (url.rfind("ext::", 0) == 0) __builtin_trap();
  }
  for (std::string_view base :
       {"https://example.com/org/app.git", "git@example.com:app.git", "../up", "app", "/srv/app"}) {
    const std::optional<std::string> r = paddock::resolve_submodule_url(base, url);
    if (!paddock::is_superproject_relative(url) && (!r || *r != url)) __builtin_trap();
    if (r) (void)paddock::parse_git_url(*r);
  }
  return 0;
}
