#include "policy/system_secrets.h"

#include <charconv>

#include "policy/paths.h"

namespace paddock {

namespace {

// Readable only by root on a usual system, and worth having for whoever gets root inside.
constexpr const char* kSystemSecrets[] = {
    "/etc/shadow",           "/etc/shadow-",          "/etc/gshadow",
    "/etc/gshadow-",         "/etc/security/opasswd", "/etc/ssl/private",
    "/etc/krb5.keytab",      "/etc/ipsec.secrets",    "/etc/ipsec.d/private",
    "/etc/ppp/chap-secrets", "/etc/ppp/pap-secrets",  "/etc/NetworkManager/system-connections",
    "/etc/wpa_supplicant",   "/etc/wireguard",        "/etc/letsencrypt",
    "/etc/docker/key.json",  "/etc/rancher",          "/etc/kubernetes",
    "/etc/pki/tls/private",  "/var/lib/sss/secrets",
};

constexpr uid_t kFirstRegularUid = 1000;
constexpr uid_t kNobody = 65534;

}  // namespace

std::vector<std::string> user_homes_from_passwd(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    // name:password:uid:gid:gecos:home:shell
    std::string_view f[7];
    size_t n = 0;
    while (n < 7) {
      size_t colon = line.find(':');
      f[n++] = line.substr(0, colon);
      if (colon == std::string_view::npos) break;
      line.remove_prefix(colon + 1);
    }
    if (n < 6) continue;
    unsigned long uid = 0;
    auto [end, ec] = std::from_chars(f[2].data(), f[2].data() + f[2].size(), uid);
    if (ec != std::errc() || end != f[2].data() + f[2].size()) continue;
    if (uid != 0 && (uid < kFirstRegularUid || uid >= kNobody)) continue;
    std::string home(f[5]);
    if (home.empty() || home[0] != '/') continue;
    home = normalize_path(home);
    if (home != "/") out.push_back(std::move(home));
  }
  return out;
}

std::vector<std::string> system_secret_paths(const HostFs& fs, std::string_view passwd_text) {
  std::vector<std::string> out(std::begin(kSystemSecrets), std::end(kSystemSecrets));
  // Private host keys; the .pub halves stay (known_hosts checks need nothing else).
  for (const auto& e : fs.list("/etc/ssh")) {
    const std::string& n = e.name;
    if (n.size() > 4 && n.compare(n.size() - 4, 4, "_key") == 0) out.push_back("/etc/ssh/" + n);
  }
  for (auto& h : user_homes_from_passwd(passwd_text)) out.push_back(std::move(h));
  for (const auto& e : fs.list("/home"))
    if (e.type == EntryType::Dir) out.push_back("/home/" + e.name);
  return out;
}

}  // namespace paddock
