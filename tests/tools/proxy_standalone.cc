// proxy_standalone: runs paddock's ProxyServer on 127.0.0.1 without a sandbox, for the proxy
// benchmark (bench/proxy_bench.py) and for poking at the proxy with curl by hand. Test tool only.
//
//   proxy_standalone [--http PORT] [--socks PORT] [--allow PATTERN]... [--deny PATTERN]...
//                    [--resolve NAME=ADDR]... [--audit-log FILE] [--threads N] [--no-host-filter]
//
// Ports default to 3128 and 1080 (0 picks a free one); the ports in use are printed as
// "http=PORT socks=PORT" on the first line of stdout. Runs until SIGINT or SIGTERM, then prints
// the denial summary to stderr.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "proxy/decide/address_filter.h"
#include "proxy/proxy_server.h"

namespace {

paddock::UniqueFd listen_on(uint16_t port, uint16_t* bound) {
  paddock::UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fd;
  const int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      listen(fd.get(), 4096) != 0 ||
      getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    std::fprintf(stderr, "proxy_standalone: listen on 127.0.0.1:%u: %s\n", port,
                 std::strerror(errno));
    std::exit(2);
  }
  *bound = ntohs(sa.sin_port);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  uint16_t http_port = 3128, socks_port = 1080;
  std::vector<std::string> allow, deny;
  std::vector<std::pair<std::string, std::string>> pins;
  paddock::proxy::ProxyOptions opts;
  bool host_filter = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "proxy_standalone: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--http") {
      http_port = static_cast<uint16_t>(std::stoi(next()));
    } else if (a == "--socks") {
      socks_port = static_cast<uint16_t>(std::stoi(next()));
    } else if (a == "--allow") {
      allow.push_back(next());
    } else if (a == "--deny") {
      deny.push_back(next());
    } else if (a == "--resolve") {
      auto p = paddock::proxy::parse_resolve_flag(next());
      if (!p) {
        std::fprintf(stderr, "proxy_standalone: %s\n", p.error().message().c_str());
        return 2;
      }
      pins.push_back(*p);
    } else if (a == "--audit-log") {
      opts.audit_log_path = next();
    } else if (a == "--threads") {
      opts.threads = static_cast<unsigned>(std::stoi(next()));
    } else if (a == "--no-host-filter") {
      host_filter = false;
    } else {
      std::fprintf(stderr, "proxy_standalone: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  std::vector<paddock::proxy::IpAddress> host_addresses;
  if (host_filter) {
    auto h = paddock::proxy::enumerate_host_addresses();
    if (h) host_addresses = *h;
  }
  auto rules = paddock::proxy::NetworkRules::compile(allow, deny, {}, pins, host_addresses);
  if (!rules) {
    std::fprintf(stderr, "proxy_standalone: %s\n", rules.error().message().c_str());
    return 2;
  }
  opts.rules = std::move(*rules);

  // Block the stop signals before any thread starts, then wait for them here.
  sigset_t stop_set;
  sigemptyset(&stop_set);
  sigaddset(&stop_set, SIGINT);
  sigaddset(&stop_set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  uint16_t http_bound = 0, socks_bound = 0;
  paddock::UniqueFd http = listen_on(http_port, &http_bound);
  paddock::UniqueFd socks = listen_on(socks_port, &socks_bound);
  auto server =
      paddock::proxy::ProxyServer::start(std::move(http), std::move(socks), std::move(opts));
  if (!server) {
    std::fprintf(stderr, "proxy_standalone: %s\n", server.error().message().c_str());
    return 1;
  }
  std::printf("http=%u socks=%u\n", http_bound, socks_bound);
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_set, &sig);
  (*server)->stop();
  for (const auto& d : (*server)->denials()) {
    std::fprintf(stderr, "denied %s %s:%u (%s) x%llu: %s\n", d.protocol.c_str(), d.host.c_str(),
                 d.port, d.rule.c_str(), static_cast<unsigned long long>(d.count),
                 d.reason.c_str());
  }
  return 0;
}
