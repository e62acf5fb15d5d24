#include "sandbox/environment.h"

#include <algorithm>
#include <string_view>

#include "policy/env_rules.h"
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

bool listed(const std::vector<std::string>& names, std::string_view k) {
  return std::find(names.begin(), names.end(), k) != names.end();
}

}  // namespace

SandboxEnvironment sandbox_environment(char** host_env, const EnvironmentOptions& o) {
  // paddock's own marker and the loader's injection hooks never come from outside.
  static const std::string_view kAlwaysDropped[] = {"PADDOCK_SANDBOX", "LD_PRELOAD", "LD_AUDIT"};
  SandboxEnvironment out;
  std::string_view runtime_dir;
  for (char** e = host_env; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.substr(0, 16) == "XDG_RUNTIME_DIR=") runtime_dir = kv.substr(16);
  }
  std::string java_opts;
  std::string user_ssh;
  for (char** e = host_env; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = kv.substr(0, eq);
    std::string_view v = kv.substr(eq + 1);
    bool drop = false;
    bool secret = false;
    for (auto d : kAlwaysDropped)
      if (k == d) drop = true;
    if (listed(o.unset, k)) drop = true;  // credentials.envVars
    if (!drop && !listed(o.pass, k)) {
      switch (classify_env(k, v, runtime_dir)) {
        case EnvClass::kPass:
          break;
        case EnvClass::kSecret:
          out.withheld_secrets.emplace_back(k);
          drop = secret = true;
          break;
        case EnvClass::kHostSocket:
          drop = true;
          break;
      }
    }
    if (k == "SSH_AUTH_SOCK" && !o.ssh_auth_sock.empty()) drop = true;  // replaced below
    if (k == "TMPDIR") {
      bool ok = in_private_tmp(v);
      for (const auto& w : o.writable)
        if (path_within(v, w)) ok = true;
      if (!ok) drop = true;  // a host temp dir outside the writable paths would fail every write
    }
    if (o.proxy.enabled &&
        (is_proxy_variable(k) || k == "JAVA_TOOL_OPTIONS" || k == "GIT_SSH_COMMAND")) {
      // A withheld value is not carried into the replacement either.
      if (k == "JAVA_TOOL_OPTIONS" && !secret) java_opts = std::string(v);
      if (k == "GIT_SSH_COMMAND" && !secret) user_ssh = std::string(v);
      drop = true;  // replaced below: the proxy is the only way out
    }
    if (!drop) out.env.emplace_back(kv);
  }
  std::vector<std::string>& env = out.env;
  if (o.proxy.enabled) {
    const std::string http = "http://127.0.0.1:3128";
    const std::string socks = "socks5h://127.0.0.1:1080";
    const std::string no_proxy = "localhost,127.0.0.1,::1";
    for (const char* k : {"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
                          "npm_config_proxy", "npm_config_https_proxy"})
      env.push_back(std::string(k) + "=" + http);
    for (const char* k : {"ALL_PROXY", "all_proxy"}) env.push_back(std::string(k) + "=" + socks);
    for (const char* k : {"NO_PROXY", "no_proxy"}) env.push_back(std::string(k) + "=" + no_proxy);
    env.push_back("GRPC_PROXY=" + http);
    env.push_back("grpc_proxy=" + http);
    // Node's built-in fetch ignores the variables above without this.
    env.push_back("NODE_USE_ENV_PROXY=1");
    std::string jvm =
        "-Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=3128 -Dhttps.proxyHost=127.0.0.1 "
        "-Dhttps.proxyPort=3128 -Dhttp.nonProxyHosts=localhost|127.0.0.1";
    env.push_back("JAVA_TOOL_OPTIONS=" + (java_opts.empty() ? jvm : java_opts + " " + jvm));
    // git@host: remotes go through paddock's own SOCKS client.
    std::string base = user_ssh.empty() ? "ssh" : user_ssh;
    env.push_back("GIT_SSH_COMMAND=" + base + " -o ProxyCommand='" + o.proxy.paddock_path +
                  " connect %h %p'");
  }
  if (!o.ssh_auth_sock.empty()) env.push_back("SSH_AUTH_SOCK=" + o.ssh_auth_sock);
  env.emplace_back("PADDOCK_SANDBOX=1");
  return out;
}

}  // namespace paddock
