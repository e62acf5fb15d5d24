#include "sandbox/environment.h"

#include <string_view>

#include "policy/paths.h"
#include "policy/write_judge.h"

namespace paddock {

namespace {

bool is_proxy_variable(std::string_view k) {
  static const std::string_view kNames[] = {
      "HTTP_PROXY", "HTTPS_PROXY", "http_proxy",         "https_proxy",
      "ALL_PROXY",  "all_proxy",   "NO_PROXY",           "no_proxy",
      "GRPC_PROXY", "grpc_proxy",  "NODE_USE_ENV_PROXY", "FTP_PROXY",
      "ftp_proxy",  "RSYNC_PROXY", "npm_config_proxy",   "npm_config_https_proxy"};
  for (auto n : kNames)
    if (k == n) return true;
  return false;
}

}  // namespace

std::vector<std::string> sandbox_environment(char** host_env,
                                             const std::vector<std::string>& writable,
                                             const ProxyEnvironment& proxy,
                                             const std::vector<std::string>& unset) {
  static const std::string_view kDropped[] = {
      "SSH_AUTH_SOCK",   "SSH_AGENT_PID", "GPG_AGENT_INFO",  "DBUS_SESSION_BUS_ADDRESS",
      "XDG_RUNTIME_DIR", "DOCKER_HOST",   "PADDOCK_SANDBOX", "LD_PRELOAD",
      "LD_AUDIT",
  };
  std::vector<std::string> out;
  std::string java_opts;
  std::string user_ssh;
  for (char** e = host_env; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = kv.substr(0, eq);
    bool drop = false;
    for (auto d : kDropped)
      if (k == d) drop = true;
    for (const auto& u : unset)
      if (k == u) drop = true;  // credentials.envVars
    if (k == "TMPDIR") {
      std::string_view v = kv.substr(eq + 1);
      bool ok = in_private_tmp(v);
      for (const auto& w : writable)
        if (path_within(v, w)) ok = true;
      if (!ok) drop = true;  // a host temp dir outside the writable paths would fail every write
    }
    if (proxy.enabled &&
        (is_proxy_variable(k) || k == "JAVA_TOOL_OPTIONS" || k == "GIT_SSH_COMMAND")) {
      if (k == "JAVA_TOOL_OPTIONS") java_opts = std::string(kv.substr(eq + 1));
      if (k == "GIT_SSH_COMMAND") user_ssh = std::string(kv.substr(eq + 1));
      drop = true;  // replaced below: the proxy is the only way out
    }
    if (!drop) out.emplace_back(kv);
  }
  if (proxy.enabled) {
    const std::string http = "http://127.0.0.1:3128";
    const std::string socks = "socks5h://127.0.0.1:1080";
    const std::string no_proxy = "localhost,127.0.0.1,::1";
    for (const char* k : {"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
                          "npm_config_proxy", "npm_config_https_proxy"})
      out.push_back(std::string(k) + "=" + http);
    for (const char* k : {"ALL_PROXY", "all_proxy"}) out.push_back(std::string(k) + "=" + socks);
    for (const char* k : {"NO_PROXY", "no_proxy"}) out.push_back(std::string(k) + "=" + no_proxy);
    out.push_back("GRPC_PROXY=" + http);
    out.push_back("grpc_proxy=" + http);
    // Node's built-in fetch ignores the variables above without this.
    out.push_back("NODE_USE_ENV_PROXY=1");
    std::string jvm =
        "-Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=3128 -Dhttps.proxyHost=127.0.0.1 "
        "-Dhttps.proxyPort=3128 -Dhttp.nonProxyHosts=localhost|127.0.0.1";
    out.push_back("JAVA_TOOL_OPTIONS=" + (java_opts.empty() ? jvm : java_opts + " " + jvm));
    // git@host: remotes go through paddock's own SOCKS client.
    std::string base = user_ssh.empty() ? "ssh" : user_ssh;
    out.push_back("GIT_SSH_COMMAND=" + base + " -o ProxyCommand='" + proxy.paddock_path +
                  " connect %h %p'");
  }
  out.emplace_back("PADDOCK_SANDBOX=1");
  return out;
}

}  // namespace paddock
