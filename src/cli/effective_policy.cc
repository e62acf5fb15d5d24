#include "cli/effective_policy.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "settings/settings.h"

namespace paddock {

namespace {

std::string home_dir() {
  const char* h = std::getenv("HOME");
  if (h != nullptr && h[0] == '/') return h;
  if (passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) return pw->pw_dir;
  return "/";
}

void append(std::vector<std::string>& to, const std::vector<std::string>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

}  // namespace

Result<Policy> effective_policy(const CommonFlags& f) {
  if (!f.allow_domain.empty() || !f.deny_domain.empty() || !f.resolve.empty() || f.audit_log)
    return plain_error("run", "--allow-domain, --deny-domain, --resolve and --audit-log arrive "
                              "with the network wall; until then the sandbox has no network at all");
  auto settings = find_and_load_settings(f.settings);
  if (!settings) return settings.error();
  Settings s = std::move(*settings);
  // The flags fill the same structure the settings file does.
  append(s.filesystem.allow_write, f.allow_write);
  append(s.filesystem.deny_read, f.deny_read);
  append(s.filesystem.allow_read, f.allow_read);
  append(s.filesystem.deny_write, f.deny_write);
  if (std::string d = default_settings_path(); !d.empty()) s.filesystem.deny_write.push_back(d);
  if (!s.network.allowed_domains.empty())
    s.notes.push_back("network.allowedDomains: not in effect yet; the sandbox has no network "
                      "until paddock's proxy lands");
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return sys_error("getcwd");
  const char* path = std::getenv("PATH");
  return build_policy(s, home_dir(), cwd, path ? path : "");
}

}  // namespace paddock
