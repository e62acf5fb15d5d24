#include "sandbox/agent_setup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "base/unique_fd.h"
#include "policy/paths.h"

namespace paddock {

Result<AgentSetup> agent_setup(const Policy& policy) {
  AgentSetup a;
  const char* sock = std::getenv("SSH_AUTH_SOCK");
  if (sock == nullptr || sock[0] != '/')
    return plain_error("--ssh-agent",
                       "SSH_AUTH_SOCK is not set (or not an absolute path): there is no agent to "
                       "serve; start one (eval $(ssh-agent); ssh-add) or drop --ssh-agent");
  struct stat st;
  if (::stat(sock, &st) != 0) return sys_error("--ssh-agent: stat", sock);
  if (!S_ISSOCK(st.st_mode))
    return plain_error("--ssh-agent", "SSH_AUTH_SOCK does not name a socket", sock);
  a.agent_path = sock;
  for (const auto& k : policy.ssh_agent.keys) {
    if (k.rfind("SHA256:", 0) == 0) {
      if (!a.allow.add_fingerprint(k))
        return plain_error("--ssh-agent-key",
                           "not a SHA256 fingerprint (as ssh-add -l prints: SHA256: and 43 "
                           "base64 characters)",
                           k);
      continue;
    }
    // Otherwise a public key file (~/.ssh/id_ed25519.pub).
    auto path = expand_path(k, policy.fs.home, policy.fs.cwd);
    if (!path) return path.error();
    UniqueFd fd(::open(path->c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd.valid()) return sys_error("--ssh-agent-key: open", *path);
    std::string text(64 * 1024, '\0');
    ssize_t n = ::read(fd.get(), text.data(), text.size());
    if (n < 0) return sys_error("--ssh-agent-key: read", *path);
    text.resize(size_t(n));
    if (a.allow.add_public_keys(text) == 0)
      return plain_error("--ssh-agent-key",
                         "holds no public key (a line \"ssh-ed25519 AAAA... comment\"); give "
                         "the .pub file or the key's SHA256 fingerprint",
                         *path);
  }
  return a;
}

}  // namespace paddock
