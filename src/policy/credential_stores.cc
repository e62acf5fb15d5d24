#include "policy/credential_stores.h"

namespace paddock {

const std::vector<std::string>& builtin_credential_stores() {
  // Grouped by what they unlock. Each entry is absent from the view (not an empty directory).
  static const std::vector<std::string> stores = {
      // ssh and gpg keys, agents' sockets
      ".ssh",
      ".gnupg",
      ".pki",
      // cloud providers
      ".aws",
      ".config/gcloud",
      ".azure",
      ".oci",
      ".config/doctl",
      ".config/hcloud",
      ".config/linode-cli",
      ".aliyun",
      ".ibmcloud",
      ".s3cfg",
      ".boto",
      ".databrickscfg",
      ".snowflake",
      ".config/rclone",
      // containers and clusters
      ".kube",
      ".docker",
      ".config/containers/auth.json",
      ".minikube",
      ".config/helm",
      // forges and tokens
      ".config/gh",
      ".config/hub",
      ".config/glab-cli",
      ".netrc",
      ".git-credentials",
      ".config/git/credentials",
      ".tea",
      ".config/tea",
      // package registries
      ".npmrc",
      ".yarnrc",
      ".config/yarn",
      ".pypirc",
      ".config/pip/pip.conf",
      ".cargo/credentials",
      ".cargo/credentials.toml",
      ".gem/credentials",
      ".m2/settings.xml",
      ".m2/settings-security.xml",
      ".gradle/gradle.properties",
      ".nuget/NuGet",
      ".composer/auth.json",
      ".config/composer/auth.json",
      ".pub-cache/credentials.json",
      ".config/dart/pub-credentials.json",
      // infrastructure tools
      ".terraform.d/credentials.tfrc.json",
      ".vault-token",
      ".config/op",
      ".ansible/vault",
      ".pgpass",
      ".my.cnf",
      ".mylogin.cnf",
      ".config/heroku",
      ".netlify",
      ".config/netlify",
      ".fly",
      ".config/vercel",
      ".local/share/com.vercel.cli",
      // password managers and keyrings
      ".password-store",
      ".local/share/keyrings",
      ".config/Bitwarden CLI",
      ".config/Bitwarden",
      ".kwallet",
      ".local/share/kwalletd",
      // browser profiles (cookies, saved passwords)
      ".mozilla",
      ".config/google-chrome",
      ".config/chromium",
      ".config/BraveSoftware",
      ".config/microsoft-edge",
      ".config/vivaldi",
      ".config/opera",
      ".thunderbird",
      // shell histories (tokens typed on command lines)
      ".bash_history",
      ".zsh_history",
      ".local/share/fish/fish_history",
      ".python_history",
      ".psql_history",
      ".mysql_history",
      ".node_repl_history",
      // AI agents' own credentials
      ".claude/.credentials.json",
      ".config/anthropic",
      ".config/openai",
      ".codex/auth.json",
  };
  return stores;
}

}  // namespace paddock
