#include <cstdio>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>

#include "cli/commands.h"
#include "cli/effective_policy.h"
#include "cli/home_layer_report.h"
#include "policy/env_rules.h"
#include "policy/protected_names.h"
#include "proxy/decide/address_filter.h"
#include "sandbox/supervisor.h"

namespace paddock {

namespace {

void print_list(const char* label, const std::vector<std::string>& items, const char* none) {
  std::printf("  %s:", label);
  for (const auto& i : items) std::printf(" %s", i.c_str());
  std::printf("%s\n", items.empty() ? none : "");
}

// The names as the write judge enforces them (ProtectedPaths::names()), grouped by the tool
// that reads them; names from filesystem.protectedNames under their own heading.
void print_protected_names(const Policy& p) {
  std::printf("read-only by name at any depth (and whatever lies beneath):\n");
  std::printf(
      "  git repositories: .git/hooks .git/config .git/config.worktree .git/commondir, and "
      "the hooks and config of worktrees (.git/worktrees/*/) and submodules (.git/modules/)\n");
  std::map<std::string_view, const ProtectedNameGroup*> group_of;
  for (const ProtectedNameGroup& g : builtin_protected_name_groups())
    for (std::string_view n : g.names) group_of.emplace(n, &g);
  std::vector<const ProtectedNameGroup*> order;
  std::map<const ProtectedNameGroup*, std::vector<std::string>> names;
  std::vector<std::string> extra;
  for (const std::string& n : p.fs.protect.names()) {
    auto it = group_of.find(n);
    if (it == group_of.end()) {
      extra.push_back(n);
      continue;
    }
    if (names.find(it->second) == names.end()) order.push_back(it->second);
    names[it->second].push_back(n);
  }
  for (const ProtectedNameGroup* g : order) {
    std::printf("  %.*s:", int(g->tool.size()), g->tool.data());
    for (const auto& n : names[g]) std::printf(" %s", n.c_str());
    std::printf("\n");
  }
  if (!extra.empty()) print_list("filesystem.protectedNames", extra, "");
}

void print_network(const Policy& p) {
  const NetworkSettings& n = p.network;
  std::printf(
      "network: only through paddock's proxy (HTTP 127.0.0.1:3128, SOCKS5 127.0.0.1:1080)\n");
  print_list("allowedDomains", n.allowed_domains, " (none: every name is refused)");
  print_list("deniedDomains", n.denied_domains, " (none)");
  std::printf("  pinned names (resolve):");
  for (const auto& [name, addr] : n.resolve) std::printf(" %s=%s", name.c_str(), addr.c_str());
  std::printf("%s\n", n.resolve.empty() ? " (none)" : "");
  std::printf(
      "  deniedResolvedAddresses: built-in (loopback, link-local, multicast, cloud "
      "metadata, this host's addresses)");
  for (const auto& a : n.denied_resolved_addresses) std::printf(" %s", a.c_str());
  std::printf("\n");
  std::printf("  private addresses (");
  for (size_t i = 0; i < std::size(proxy::kPrivateRanges); ++i)
    std::printf("%s%s", i ? ", " : "", proxy::kPrivateRanges[i].cidr);
  std::printf("): %s\n", n.allow_private_addresses
                             ? "dialled (network.allowPrivateAddresses is true)"
                             : "refused (network.allowPrivateAddresses is false)");
  if (n.ask)
    std::printf("  unmatched destinations: asked (network.ask; refused after %u s without an "
                "answer)\n",
                n.ask_timeout_seconds);
  else
    std::printf("  unmatched destinations: refused (network.ask is false)\n");
  std::printf("  local binding (listen on the sandbox's own loopback): %s\n",
              n.allow_local_binding ? "allowed (network.allowLocalBinding)"
                                    : "refused (network.allowLocalBinding is false)");
  std::printf("  published ports (--publish, network.publishPorts):");
  for (const auto& pub : n.publish_ports)
    std::printf(" host 127.0.0.1:%u -> 127.0.0.1:%u inside;", unsigned(pub.host_port),
                unsigned(pub.port));
  std::printf("%s\n", n.publish_ports.empty() ? " (none)" : "");
  std::printf("  host ports (--allow-host-port, network.allowHostPorts):");
  for (uint16_t port : n.allow_host_ports)
    std::printf(" 127.0.0.1:%u inside -> the host's 127.0.0.1:%u;", unsigned(port), unsigned(port));
  std::printf("%s\n", n.allow_host_ports.empty()
                          ? " (none: nothing of the host's loopback is reachable)"
                          : "");
  print_list("host unix sockets reachable (allowUnixSockets)", p.fs.unix_sockets,
             " (none: every host socket is unreachable)");
}

void print_environment(const Policy& p) {
  std::printf("environment:\n");
  std::printf("  withheld as secrets (names, upper-cased):");
  for (std::string_view s : secret_env_patterns()) std::printf(" %.*s", int(s.size()), s.data());
  std::printf(" and any URL with a password\n");
  print_list("passed in anyway (--pass-env, paddock.passEnv)", p.pass_env, " (none)");
  print_list("removed (credentials.envVars)", p.unset_env, " (none)");
  std::printf("  withheld as host sockets:");
  for (std::string_view s : host_socket_env_names()) std::printf(" %.*s", int(s.size()), s.data());
  std::printf(" and any value in /run, /var/run or $XDG_RUNTIME_DIR\n");
  if (p.ssh_agent.enabled) {
    std::printf(
        "  ssh agent: served inside (SSH_AUTH_SOCK) through paddock's filter: list and "
        "sign only");
    if (p.ssh_agent.keys.empty())
      std::printf(", every key\n");
    else
      print_list(", keys", p.ssh_agent.keys, "");
  } else {
    std::printf("  ssh agent: absent (--ssh-agent serves it through a filter)\n");
  }
}

}  // namespace

Result<int> policy_command(const CommonFlags& flags, bool json) {
  auto effective = effective_policy(flags);
  if (!effective) return effective.error();
  const Policy* p = &effective->policy;
  if (json) {
    nlohmann::json j;
    j["settings"] =
        p->settings_source.empty() ? nlohmann::json(nullptr) : nlohmann::json(p->settings_source);
    j["cwd"] = p->fs.cwd;
    j["project"] = p->fs.project;
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
    j["network"]["allowLocalBinding"] = p->network.allow_local_binding;
    j["network"]["ask"] = p->network.ask;
    j["network"]["askTimeout"] = p->network.ask_timeout_seconds;
    nlohmann::json published = nlohmann::json::array();
    for (const auto& pub : p->network.publish_ports)
      published.push_back({{"hostPort", pub.host_port}, {"port", pub.port}});
    j["network"]["publishPorts"] = std::move(published);
    j["network"]["allowHostPorts"] = p->network.allow_host_ports;
    j["network"]["deniedResolvedAddresses"] = p->network.denied_resolved_addresses;
    j["network"]["resolve"] = nlohmann::json::object();
    for (const auto& [name, addr] : p->network.resolve) j["network"]["resolve"][name] = addr;
    nlohmann::json secret_patterns = nlohmann::json::array();
    for (std::string_view s : secret_env_patterns()) secret_patterns.push_back(std::string(s));
    j["environment"]["secretPatterns"] = std::move(secret_patterns);
    nlohmann::json socket_names = nlohmann::json::array();
    for (std::string_view s : host_socket_env_names()) socket_names.push_back(std::string(s));
    j["environment"]["hostSocketVariables"] = std::move(socket_names);
    j["environment"]["passEnv"] = p->pass_env;
    j["environment"]["unsetEnv"] = p->unset_env;
    j["sshAgent"]["enabled"] = p->ssh_agent.enabled;
    j["sshAgent"]["keys"] = p->ssh_agent.keys;
    // --- home layer: j["homeLayer"] is added here by the home-layer change ---
    j["notes"] = p->notes;
    j["warnings"] = p->warnings;
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("settings: %s\n",
              p->settings_source.empty() ? "(built-in defaults)" : p->settings_source.c_str());
  std::printf("cwd: %s\n", p->fs.cwd.c_str());
  std::printf("project: %s\n", p->fs.project.c_str());
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
  print_protected_names(*p);
  print_network(*p);
  print_environment(*p);
  for (const auto& n : p->notes) std::printf("note: %s\n", n.c_str());
  for (const auto& w : p->warnings) std::printf("warning: %s\n", w.c_str());
  return 0;
}

}  // namespace paddock
