#include "cli/effective_policy.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "cli/host_inputs.h"
#include "policy/host_services.h"
#include "proxy/decide/resolve_pins.h"
#include "sandbox/network_rules.h"
#include "settings/settings.h"
#include "walls/proxy_listeners.h"

namespace paddock {

namespace {

std::string home_dir() {
  const char* h = std::getenv("HOME");
  if (h != nullptr && h[0] == '/') return h;
  if (passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr)
    return pw->pw_dir;
  return "/";
}

void append(std::vector<std::string>& to, const std::vector<std::string>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

}  // namespace

Result<EffectivePolicy> effective_policy(const CommonFlags& f) {
  auto settings = find_and_load_settings(f.settings);
  if (!settings) return settings.error();
  Settings s = std::move(*settings);
  // The flags fill the same structure the settings file does.
  append(s.filesystem.allow_write, f.allow_write);
  append(s.filesystem.deny_read, f.deny_read);
  append(s.filesystem.allow_read, f.allow_read);
  append(s.filesystem.deny_write, f.deny_write);
  // Both files paddock may read next time stay read-only, whether they exist or not.
  if (std::string d = default_settings_path(); !d.empty()) s.filesystem.deny_write.push_back(d);
  if (std::string d = srt_settings_path(); !d.empty()) s.filesystem.deny_write.push_back(d);
  // The audit log is evidence: the command must not forge or truncate it.
  if (f.audit_log) s.filesystem.deny_write.push_back(*f.audit_log);
  append(s.paddock.pass_env, f.pass_env);
  s.paddock.ssh_agent = s.paddock.ssh_agent || f.ssh_agent;
  append(s.paddock.ssh_agent_keys, f.ssh_agent_key);
  append(s.network.allowed_domains, f.allow_domain);
  append(s.network.denied_domains, f.deny_domain);
  for (const auto& r : f.resolve) {
    auto pin = proxy::parse_resolve_flag(r);
    if (!pin) {
      Error e = pin.error();
      e.op = "--resolve";
      return e;
    }
    s.network.resolve.push_back(std::move(*pin));
  }
  s.network.allow_local_binding = s.network.allow_local_binding || f.allow_local_binding;
  s.network.ask = s.network.ask || f.ask;
  if (f.ask_timeout) s.network.ask_timeout_seconds = *f.ask_timeout;
  for (const auto& p : f.publish) {
    auto pub = parse_published_port(p, "--publish");
    if (!pub) return pub.error();
    s.network.publish_ports.push_back(*pub);
  }
  for (const auto& p : f.allow_host_port) {
    auto port = parse_port(p, "--allow-host-port");
    if (!port) return port.error();
    s.network.allow_host_ports.push_back(*port);
  }
  dedupe_host_services(s.network);
  PADDOCK_TRY(
      check_host_services(s.network, {kHttpProxyPort, kSocksProxyPort, kCapturePort, kDnsPort}));
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return sys_error("getcwd");
  const char* path = std::getenv("PATH");
  const std::string home = home_dir();
  auto policy = build_policy(s, home, cwd, path ? path : "", host_inputs(home, f.ephemeral_home),
                             f.project.value_or(""));
  if (!policy) return policy.error();
  // Bad domain patterns are settings errors, found before anything runs.
  auto rules = compile_network_rules(*policy);
  if (!rules) return rules.error();
  return EffectivePolicy{std::move(*policy), std::move(*rules)};
}

}  // namespace paddock
