#include "policy/host_services.h"

#include <algorithm>
#include <string>

#include "base/printable.h"

namespace paddock {

namespace {

constexpr size_t kMaxHostPortCount = 32;  // sandbox_spec.h kMaxHostPorts

template <typename T>
void dedupe(std::vector<T>& v) {
  std::vector<T> out;
  for (const auto& x : v)
    if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
  v = std::move(out);
}

bool contains(const std::vector<uint16_t>& v, uint16_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

void dedupe_host_services(NetworkSettings& n) {
  dedupe(n.publish_ports);
  dedupe(n.allow_host_ports);
}

Status check_host_services(const NetworkSettings& n, const std::vector<uint16_t>& reserved) {
  for (const auto& d : n.allowed_domains)
    if (is_loopback_destination(d))
      return plain_error(
          "network.allowedDomains",
          "the sandbox's loopback is its own, so this would reach nothing of the host's; to "
          "reach a service on the host's loopback use --allow-host-port PORT "
          "(network.allowHostPorts), to open a server of the sandbox from the host --publish "
          "PORT (network.publishPorts)",
          printable(d));
  if (n.allow_host_ports.size() > kMaxHostPortCount)
    return plain_error("network.allowHostPorts",
                       "at most " + std::to_string(kMaxHostPortCount) + " ports");
  for (uint16_t p : n.allow_host_ports)
    if (contains(reserved, p))
      return plain_error("--allow-host-port",
                         "paddock's proxy listens on this port inside the sandbox",
                         std::to_string(p));
  std::vector<uint16_t> host_side;
  for (const auto& p : n.publish_ports) {
    const std::string spec = std::to_string(p.host_port) + ":" + std::to_string(p.port);
    if (contains(reserved, p.port))
      return plain_error("--publish", "paddock's proxy listens on this port inside the sandbox",
                         spec);
    if (contains(n.allow_host_ports, p.port))
      return plain_error("--publish",
                         "the port is also an --allow-host-port: inside, 127.0.0.1:" +
                             std::to_string(p.port) + " can be only one of them",
                         spec);
    if (contains(host_side, p.host_port))
      return plain_error("--publish",
                         "host port " + std::to_string(p.host_port) + " is published twice", spec);
    host_side.push_back(p.host_port);
  }
  return ok_status();
}

}  // namespace paddock
