#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/env_rules.h"
#include "sandbox/environment.h"

namespace paddock {
namespace {

TEST(EnvRules, SecretsByName) {
  for (const char* n : {"GITHUB_TOKEN",
                        "GH_TOKEN",
                        "NPM_TOKEN",
                        "HF_TOKEN",
                        "AWS_SESSION_TOKEN",
                        "AWS_SECRET_ACCESS_KEY",
                        "AWS_ACCESS_KEY_ID",
                        "ANTHROPIC_API_KEY",
                        "OPENAI_API_KEY",
                        "ANTHROPIC_AUTH_TOKEN",
                        "CLAUDE_CODE_OAUTH_TOKEN",
                        "NGROK_AUTHTOKEN",
                        "TOKEN",
                        "CI_JOB_TOKEN",
                        "GITHUB_TOKEN_FOR_CI",
                        "TOKEN_FILE_CONTENT",
                        "DJANGO_SECRET_KEY",
                        "CLIENT_SECRET",
                        "SECRET",
                        "PGPASSWORD",
                        "DB_PASSWORD",
                        "MYSQL_PWD",
                        "SMTP_PASSWD",
                        "STRIPE_KEY",
                        "ENCRYPTION_KEY",
                        "SSH_PRIVATE_KEY_B64",
                        "GOOGLE_CREDENTIALS",
                        "NPM_CONFIG__AUTH",
                        "GH_PAT",
                        "CI_JOB_JWT",
                        "MAPBOX_APIKEY",
                        "github_token",
                        "npm_config__authToken"})
    EXPECT_EQ(classify_env(n, "v"), EnvClass::kSecret) << n;
}

TEST(EnvRules, OrdinaryNamesPass) {
  // TOKENIZERS_PARALLELISM (Hugging Face) is a setting, not a token; PWD and OLDPWD are the
  // working directory.
  for (const char* n : {"TOKENIZERS_PARALLELISM",
                        "PWD",
                        "OLDPWD",
                        "PATH",
                        "HOME",
                        "TERM",
                        "LANG",
                        "EDITOR",
                        "KEYTIMEOUT",
                        "SSH_TTY",
                        "SSH_CONNECTION",
                        "GPG_TTY",
                        "HISTFILE",
                        "PAGER",
                        "LESSKEY",
                        "GIT_ASKPASS",
                        "PYTHONPATH",
                        "AWS_REGION",
                        "AWS_PROFILE",
                        "KUBECONFIG",
                        "TOKENS_DIR_X"})
    EXPECT_EQ(classify_env(n, "/x"), EnvClass::kPass) << n;
}

TEST(EnvRules, UrlWithPassword) {
  EXPECT_EQ(classify_env("DATABASE_URL", "postgres://app:hunter2@db.internal/app"),
            EnvClass::kSecret);
  EXPECT_EQ(secret_env_rule("REDIS_URL", "redis://:pw@localhost:6379"), "a URL with a password");
  EXPECT_EQ(classify_env("PIP_INDEX_URL", "https://user:tok@pypi.example/simple"),
            EnvClass::kSecret);
  for (const char* v : {"https://example.com/a@b", "postgres://app@db/app", "https://x:@h/",
                        "not a url", "://a:b@c", "mailto:a:b@c", "see https://h/a:b@c"})
    EXPECT_EQ(classify_env("SOME_URL", v), EnvClass::kPass) << v;
}

TEST(EnvRules, SecretsUnderOtherNames) {
  for (const char* n :
       {"DB_PASS", "SMTP_PASS", "GPG_PASSPHRASE", "BORG_PASSPHRASE", "BW_SESSION", "OP_SESSION_my"})
    EXPECT_EQ(classify_env(n, "v"), EnvClass::kSecret) << n;
  for (const char* n : {"GIT_ASKPASS", "SSH_ASKPASS", "DESKTOP_SESSION", "XDG_SESSION_TYPE"})
    EXPECT_EQ(classify_env(n, "/x"), EnvClass::kPass) << n;
}

TEST(EnvRules, TokensInValues) {
  // A token in a value whose name says nothing.
  for (const char* v : {
           "ghp_0123456789abcdefghijABCDEFGHIJ012345",
           "https://ghp_0123456789abcdefghijABCDEF@github.com/o/r.git",
           "--token=glpat-0123456789abcdefghij",
           "sk-ant-api03-0123456789abcdef0123456789",
           "xoxb-1234-5678-abcdefghijklmnop",
           "https://0123456789abcdef0123456789abcdef@github.com/o/r",
       })
    EXPECT_EQ(classify_env("REMOTE", v), EnvClass::kSecret) << v;
  for (const char* v : {"npm_config_cache", "hf_transfer", "https://git@github.com/o/r",
                        "ssh://deploy@host/x", "my_ghp_is_short", "/usr/share/ghp_0123456789abcd",
                        "/opt/npm_global_packages_bin_dir:/usr/bin",
                        "/home/u/.cache/hf_hub_models_and_datasets_cache"})
    EXPECT_EQ(classify_env("REMOTE", v), EnvClass::kPass) << v;
}

TEST(EnvRules, PassEnvTakesNamesOnly) {
  for (const char* n : {"GITHUB_TOKEN", "_X", "a1"}) EXPECT_TRUE(valid_env_name(n)) << n;
  for (const char* n : {"", "*", "AWS_*", "1A", "A-B", "A=B"}) EXPECT_FALSE(valid_env_name(n)) << n;
}

TEST(EnvRules, UrlWithPasswordInsideALongerValue) {
  for (const char* v : {"-Drepo=https://u:hunter2@repo.example/m2",
                        "--index-url https://user:tok@pypi.example/simple -q", "1http://a:b@c",
                        "a,redis://:pw@h:6379"})
    EXPECT_EQ(classify_env("OPTS", v), EnvClass::kSecret) << v;
}

TEST(EnvRules, HostSockets) {
  for (const char* n : {"TMUX", "TMUX_PANE", "DBUS_SESSION_BUS_ADDRESS", "SSH_AUTH_SOCK",
                        "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "DISPLAY", "DOCKER_HOST"})
    EXPECT_EQ(classify_env(n, "x"), EnvClass::kHostSocket) << n;
}

std::vector<std::string> env_of(std::vector<std::string> host, const EnvironmentOptions& o,
                                std::vector<std::string>* withheld = nullptr) {
  std::vector<char*> p;
  for (auto& s : host) p.push_back(s.data());
  p.push_back(nullptr);
  SandboxEnvironment e = sandbox_environment(p.data(), o);
  if (withheld) *withheld = e.withheld_secrets;
  return e.env;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& x : v)
    if (x == s) return true;
  return false;
}

TEST(SandboxEnvironment, WithheldValuesNotCarriedIntoTheProxySettings) {
  // JAVA_TOOL_OPTIONS and GIT_SSH_COMMAND are rebuilt around the user's value: a value that is
  // withheld must not come back inside the rebuilt one.
  EnvironmentOptions o;
  o.proxy.enabled = true;
  o.proxy.paddock_path = "/p";
  std::vector<std::string> withheld;
  auto env = env_of({"JAVA_TOOL_OPTIONS=-Drepo=https://u:hunter2@repo.example/m2",
                     "GIT_SSH_COMMAND=ssh -o SetEnv=T=ghp_0123456789abcdefghijABCDEFGHIJ012345"},
                    o, &withheld);
  EXPECT_EQ(withheld, (std::vector<std::string>{"JAVA_TOOL_OPTIONS", "GIT_SSH_COMMAND"}));
  for (const auto& kv : env) {
    EXPECT_EQ(kv.find("hunter2"), std::string::npos) << kv;
    EXPECT_EQ(kv.find("ghp_"), std::string::npos) << kv;
  }
  auto ok = env_of({"JAVA_TOOL_OPTIONS=-Xmx1g"}, o);
  bool kept = false;
  for (const auto& kv : ok) kept = kept || kv.rfind("JAVA_TOOL_OPTIONS=-Xmx1g ", 0) == 0;
  EXPECT_TRUE(kept);
}

TEST(SandboxEnvironment, WithholdsSecretsAndReportsThem) {
  std::vector<std::string> withheld;
  auto env = env_of({"GITHUB_TOKEN=t", "PATH=/bin", "TMUX=/tmp/tmux-0/default,1,0",
                     "TOKENIZERS_PARALLELISM=false", "AWS_SECRET_ACCESS_KEY=s"},
                    {}, &withheld);
  EXPECT_FALSE(has(env, "GITHUB_TOKEN=t"));
  EXPECT_FALSE(has(env, "AWS_SECRET_ACCESS_KEY=s"));
  EXPECT_FALSE(has(env, "TMUX=/tmp/tmux-0/default,1,0"));
  EXPECT_TRUE(has(env, "PATH=/bin"));
  EXPECT_TRUE(has(env, "TOKENIZERS_PARALLELISM=false"));
  EXPECT_TRUE(has(env, "PADDOCK_SANDBOX=1"));
  // Host sockets are dropped without a note; secrets are named (never their values).
  EXPECT_EQ(withheld, (std::vector<std::string>{"GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY"}));
}

TEST(SandboxEnvironment, PassEnvKeepsOneAndCredentialsEnvVarsStillRemove) {
  EnvironmentOptions o;
  o.pass = {"GITHUB_TOKEN", "PLAIN"};
  o.unset = {"PLAIN"};
  std::vector<std::string> withheld;
  auto env = env_of({"GITHUB_TOKEN=t", "NPM_TOKEN=n", "PLAIN=p"}, o, &withheld);
  EXPECT_TRUE(has(env, "GITHUB_TOKEN=t"));
  EXPECT_FALSE(has(env, "NPM_TOKEN=n"));
  EXPECT_FALSE(has(env, "PLAIN=p"));  // credentials.envVars is the user's explicit removal
  EXPECT_EQ(withheld, (std::vector<std::string>{"NPM_TOKEN"}));
}

TEST(SandboxEnvironment, SshAgentSocketReplacesTheHosts) {
  EnvironmentOptions o;
  o.ssh_auth_sock = "/tmp/paddock-ssh-agent/agent.sock";
  auto env = env_of({"SSH_AUTH_SOCK=/run/user/0/agent"}, o);
  EXPECT_FALSE(has(env, "SSH_AUTH_SOCK=/run/user/0/agent"));
  EXPECT_TRUE(has(env, "SSH_AUTH_SOCK=/tmp/paddock-ssh-agent/agent.sock"));
  // --pass-env cannot smuggle the host's socket in beside ours.
  o.pass = {"SSH_AUTH_SOCK"};
  env = env_of({"SSH_AUTH_SOCK=/run/user/0/agent"}, o);
  EXPECT_FALSE(has(env, "SSH_AUTH_SOCK=/run/user/0/agent"));
}

TEST(SandboxEnvironment, LoaderHooksAndMarkerNeverPass) {
  EnvironmentOptions o;
  o.pass = {"LD_PRELOAD", "PADDOCK_SANDBOX"};
  auto env = env_of({"LD_PRELOAD=/x.so", "PADDOCK_SANDBOX=0"}, o);
  EXPECT_FALSE(has(env, "LD_PRELOAD=/x.so"));
  EXPECT_FALSE(has(env, "PADDOCK_SANDBOX=0"));
}

}  // namespace
}  // namespace paddock

namespace paddock {
namespace {

TEST(EnvRules, ValuesInRuntimeDirectoriesArePointersToHostServices) {
  EXPECT_EQ(classify_env("PULSE_SERVER", "unix:/run/user/1000/pulse/native"),
            EnvClass::kHostSocket);
  EXPECT_EQ(classify_env("MY_BUS", "unix:path=/run/user/1000/bus,guid=abc"), EnvClass::kHostSocket);
  EXPECT_EQ(classify_env("GNUPG_SOCK", "/var/run/gpg/S.agent"), EnvClass::kHostSocket);
  EXPECT_EQ(classify_env("APP_SOCKET", "/xdg/rt/app.sock", "/xdg/rt"), EnvClass::kHostSocket);
  EXPECT_EQ(classify_env("APP_SOCKET", "/xdg/rt/app.sock"), EnvClass::kPass);
  for (const char* v : {"/runner/x", "/home/u/run/x", "run/x", "/usr/bin/vim", "unix:x", ""})
    EXPECT_EQ(classify_env("SOME_PATH", v, "/xdg/rt"), EnvClass::kPass) << v;
}

}  // namespace
}  // namespace paddock
