#include "sandbox/host_services.h"

#include <sys/socket.h>

#include <cerrno>

#include "sandbox/socket_factory.h"

namespace paddock {

Result<std::vector<UniqueFd>> bind_published_ports(const std::vector<PublishedPort>& published) {
  std::vector<UniqueFd> out;
  for (const auto& p : published) {
    auto l = listen_on_host_loopback(p.host_port);
    if (!l) return l.error();
    out.push_back(std::move(*l));
  }
  return out;
}

Result<std::unique_ptr<PortRelay>> start_host_services(const NetworkSettings& network,
                                                       HostServiceFds fds) {
  if (fds.published.empty() && fds.host_ports.empty()) return std::unique_ptr<PortRelay>();
  if (fds.published.size() != network.publish_ports.size() ||
      fds.host_ports.size() != network.allow_host_ports.size() ||
      (!fds.published.empty() && !fds.socket_factory.valid()))
    return plain_error("host services", "the listeners do not match the policy");
  std::vector<RelayRoute> routes;
  auto factory = std::make_shared<SocketFactory>(std::move(fds.socket_factory));
  for (size_t i = 0; i < fds.published.size(); ++i) {
    const uint16_t port = network.publish_ports[i].port;
    // Servers inside listen on 127.0.0.1, 0.0.0.0, :: or (Node's "localhost") only ::1.
    routes.push_back({std::move(fds.published[i]), [factory, port]() -> Result<UniqueFd> {
                        Error last;
                        for (int family : {AF_INET, AF_INET6}) {
                          auto s = factory->make(family);
                          if (!s) return s.error();
                          Status c = connect_loopback(s->get(), port, family == AF_INET6);
                          if (c.ok()) return std::move(*s);
                          last = c.error();
                        }
                        return last;
                      }});
  }
  for (size_t i = 0; i < fds.host_ports.size(); ++i) {
    const uint16_t port = network.allow_host_ports[i];
    routes.push_back({std::move(fds.host_ports[i]), [port]() -> Result<UniqueFd> {
                        UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
                        if (!s.valid()) return sys_error("socket", "host port relay");
                        Status c = connect_loopback(s.get(), port, false);
                        if (!c.ok()) return c.error();
                        return s;
                      }});
  }
  return PortRelay::start(std::move(routes));
}

}  // namespace paddock
