#include <cstdio>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/effective_policy.h"
#include "cli/home_layer_report.h"
#include "policy/protected_names.h"
#include "proxy/address_filter.h"
#include "sandbox/supervisor.h"

namespace paddock {

Result<int> policy_command(const CommonFlags& flags, bool json) {
  auto effective = effective_policy(flags);
  if (!effective) return effective.error();
  const Policy* p = &effective->policy;
  if (json) {
    nlohmann::json j;
    j["settings"] =
        p->settings_source.empty() ? nlohmann::json(nullptr) : nlohmann::json(p->settings_source);
    j["cwd"] = p->fs.cwd;
    j["home"] = p->fs.home;
    j["filesystem"]["denyRead"] = p->fs.deny_read;
    j["filesystem"]["allowRead"] = p->fs.allow_read;
    j["filesystem"]["writable"] = p->fs.writable;
    j["filesystem"]["writableCreatedOnRun"] = p->fs.create_writable;
    j["filesystem"]["homeLayer"] = home_layer_json(*p);
    j["filesystem"]["denyWrite"] = p->fs.protect.exact();
    j["filesystem"]["denyWriteAliases"] = p->fs.protect.aliases();
    j["filesystem"]["protectedNames"] = p->fs.protect.names();
    nlohmann::json groups = nlohmann::json::array();
    for (const ProtectedNameGroup& g : builtin_protected_name_groups()) {
      nlohmann::json names = nlohmann::json::array();
      for (std::string_view n : g.names) names.push_back(std::string(n));
      groups.push_back(
          {{"tool", std::string(g.tool)}, {"why", std::string(g.why)}, {"names", names}});
    }
    j["filesystem"]["protectedNameGroups"] = std::move(groups);
    j["filesystem"]["protectedNamesFromSettings"] = p->fs.protect.extra_names();
    j["network"]["allowedDomains"] = p->network.allowed_domains;
    j["network"]["deniedDomains"] = p->network.denied_domains;
    j["network"]["allowPrivateAddresses"] = p->network.allow_private_addresses;
    j["network"]["allowUnixSockets"] = p->fs.unix_sockets;
    j["notes"] = p->notes;
    j["warnings"] = p->warnings;
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("settings: %s\n",
              p->settings_source.empty() ? "(built-in defaults)" : p->settings_source.c_str());
  std::printf("cwd: %s\n", p->fs.cwd.c_str());
  std::printf("writable:\n");
  for (const auto& w : p->fs.writable) std::printf("  %s\n", w.c_str());
  std::printf("  /tmp, /var/tmp, /dev/shm (private to the sandbox)\n");
  std::printf("%s\n", home_layer_text(*p).c_str());
  std::printf("absent (denyRead):\n");
  for (const auto& d : p->fs.deny_read) std::printf("  %s\n", d.c_str());
  if (!p->fs.allow_read.empty()) {
    std::printf("re-opened (allowRead):\n");
    for (const auto& a : p->fs.allow_read) std::printf("  %s\n", a.c_str());
  }
  std::printf("read-only even when writable above (denyWrite and settings):\n");
  for (const auto& e : p->fs.protect.exact()) std::printf("  %s\n", e.c_str());
  for (const auto& a : p->fs.protect.aliases())
    std::printf("  %s (a spelling that leads to one above)\n", a.c_str());
  std::printf("read-only by name at any depth (and whatever lies beneath):\n");
  std::printf(
      "  git repositories: .git/hooks .git/config .git/config.worktree (also of worktrees and "
      "submodules)\n");
  for (const ProtectedNameGroup& g : builtin_protected_name_groups()) {
    std::printf("  %.*s:", int(g.tool.size()), g.tool.data());
    for (std::string_view n : g.names) std::printf(" %.*s", int(n.size()), n.data());
    std::printf("\n");
  }
  if (!p->fs.protect.extra_names().empty()) {
    std::printf("  filesystem.protectedNames:");
    for (const auto& n : p->fs.protect.extra_names()) std::printf(" %s", n.c_str());
    std::printf("\n");
  }
  std::printf("network: only through paddock's proxy\n");
  std::printf("  allowedDomains:");
  for (const auto& d : p->network.allowed_domains) std::printf(" %s", d.c_str());
  std::printf("%s\n", p->network.allowed_domains.empty() ? " (none: every name is refused)" : "");
  if (!p->network.denied_domains.empty()) {
    std::printf("  deniedDomains:");
    for (const auto& d : p->network.denied_domains) std::printf(" %s", d.c_str());
    std::printf("\n");
  }
  std::printf("  private addresses (");
  for (size_t i = 0; i < std::size(proxy::kPrivateRanges); ++i)
    std::printf("%s%s", i ? ", " : "", proxy::kPrivateRanges[i].cidr);
  std::printf("): %s\n", p->network.allow_private_addresses
                             ? "dialled (network.allowPrivateAddresses is true)"
                             : "refused (network.allowPrivateAddresses is false)");
  for (const auto& n : p->notes) std::printf("note: %s\n", n.c_str());
  for (const auto& w : p->warnings) std::printf("warning: %s\n", w.c_str());
  return 0;
}

}  // namespace paddock
