// Host services and proxy follow-ups of issue 11: port specs, the start-up checks, settings keys,
// Landlock's bind ports, the spec carrying them, WebSocket upgrade heads and the dial fallback.
#include "policy/host_services.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/decide/decision.h"
#include "proxy/parse/upgrade.h"
#include "sandbox/spec_codec.h"
#include "settings/port_spec.h"
#include "settings/settings.h"
#include "walls/landlock.h"

namespace paddock {
namespace {

TEST(PortSpec, PublishedForms) {
  auto p = parse_published_port("3000", "--publish");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (PublishedPort{3000, 3000}));
  p = parse_published_port("8080:3000", "--publish");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (PublishedPort{8080, 3000}));
  p = parse_published_port("65535:1", "--publish");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (PublishedPort{65535, 1}));
  for (const char* bad : {"", "0", "65536", "x", "80:", ":80", "1:2:3", "-1", "+80", " 80", "080",
                          "127.0.0.1:80:80", "8080:0", "99999:80"}) {
    auto r = parse_published_port(bad, "--publish");
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().op, "--publish");
      EXPECT_NE(r.error().detail.find("HOST_PORT:PORT"), std::string::npos);
    }
  }
}

TEST(PortSpec, SinglePort) {
  EXPECT_EQ(*parse_port("5432", "x"), 5432);
  EXPECT_EQ(*parse_port("1", "x"), 1);
  for (const char* bad : {"", "0", "65536", "5432 ", "0x10", "1e3", "01"})
    EXPECT_FALSE(parse_port(bad, "--allow-host-port").ok()) << bad;
}

TEST(PortSpec, LoopbackDestinations) {
  for (const char* d : {"localhost",
                        "LOCALHOST.",
                        "api.localhost",
                        "*.localhost",
                        "127.0.0.1",
                        "127.1",
                        "127.255.0.9",
                        "0x7f.1",
                        "2130706433",
                        "0177.0.0.1",
                        "::1",
                        "[::1]",
                        "[::1]:8080",
                        "0:0:0:0:0:0:0:1",
                        "::ffff:127.0.0.1",
                        "0.0.0.0",
                        "::",
                        "localhost:3000",
                        "127.0.0.1:5432",
                        "ip6-localhost",
                        "localhost.localdomain"})
    EXPECT_TRUE(is_loopback_destination(d)) << d;
  for (const char* d : {"example.com", "localhost.example.com", "mylocalhost", "10.0.0.1",
                        "128.0.0.1", "2001:db8::1", "[2001:db8::1]:443", "*.example.com", ""})
    EXPECT_FALSE(is_loopback_destination(d)) << d;
}

NetworkSettings net(std::vector<PublishedPort> pub, std::vector<uint16_t> host,
                    std::vector<std::string> allowed = {}) {
  NetworkSettings n;
  n.publish_ports = std::move(pub);
  n.allow_host_ports = std::move(host);
  n.allowed_domains = std::move(allowed);
  return n;
}

TEST(HostServicesCheck, RefusesLoopbackInAllowedDomains) {
  for (const char* d : {"localhost", "127.0.0.1", "::1", "[::1]"}) {
    Status s = check_host_services(net({}, {}, {"example.com", d}), {3128, 1080});
    ASSERT_FALSE(s.ok()) << d;
    EXPECT_EQ(s.error().exit_code, 125);
    EXPECT_EQ(s.error().op, "network.allowedDomains");
    EXPECT_NE(s.error().detail.find("--allow-host-port"), std::string::npos);
  }
  EXPECT_TRUE(check_host_services(net({}, {}, {"example.com", "*.npmjs.org"}), {3128}).ok());
}

TEST(HostServicesCheck, PortConflicts) {
  EXPECT_TRUE(check_host_services(net({{8080, 3000}, {3001, 3001}}, {5432}), {3128, 1080}).ok());
  // The proxy's own ports inside.
  EXPECT_FALSE(check_host_services(net({{8080, 3128}}, {}), {3128, 1080}).ok());
  EXPECT_FALSE(check_host_services(net({}, {1080}), {3128, 1080}).ok());
  // Inside, 127.0.0.1:5432 is either the sandbox's server or the host's relay.
  EXPECT_FALSE(check_host_services(net({{5432, 5432}}, {5432}), {3128}).ok());
  // One host port, two inside ports.
  EXPECT_FALSE(check_host_services(net({{8080, 3000}, {8080, 3001}}, {}), {3128}).ok());
  // Two host ports to one inside port is fine (a second browser profile, a proxy in front).
  EXPECT_TRUE(check_host_services(net({{8080, 3000}, {8081, 3000}}, {}), {3128}).ok());
  std::vector<uint16_t> many;
  for (uint16_t p = 20000; p < 20040; ++p) many.push_back(p);
  EXPECT_FALSE(check_host_services(net({}, many), {3128}).ok());
}

TEST(HostServicesCheck, DedupeKeepsFirst) {
  NetworkSettings n = net({{3000, 3000}, {8080, 3000}, {3000, 3000}}, {5432, 6379, 5432});
  dedupe_host_services(n);
  EXPECT_EQ(n.publish_ports, (std::vector<PublishedPort>{{3000, 3000}, {8080, 3000}}));
  EXPECT_EQ(n.allow_host_ports, (std::vector<uint16_t>{5432, 6379}));
}

TEST(HostServicesSettings, Keys) {
  auto s = parse_settings(
      R"({"network": {"publishPorts": [3000, "8080:5173"], "allowHostPorts": [5432, "6379"]}})",
      "/x/s.json");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->network.publish_ports, (std::vector<PublishedPort>{{3000, 3000}, {8080, 5173}}));
  EXPECT_EQ(s->network.allow_host_ports, (std::vector<uint16_t>{5432, 6379}));
  for (const char* bad :
       {R"({"network": {"publishPorts": ["8080:"]}})", R"({"network": {"publishPorts": [0]}})",
        R"({"network": {"publishPorts": 3000}})", R"({"network": {"allowHostPorts": [70000]}})",
        R"({"network": {"allowHostPorts": [true]}})",
        R"({"network": {"allowHostPorts": ["5432:5432"]}})",
        R"({"network": {"allowHostPorts": [54.5]}})"}) {
    auto r = parse_settings(bad, "/x/s.json");
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().message().find("network."), std::string::npos);
    }
  }
  auto typo = parse_settings(R"({"network": {"publishPort": [3000]}})", "/x/s.json");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message().find("publishPorts"), std::string::npos);
}

TEST(HostServicesLandlock, PublishedPortsMayBeBound) {
  LandlockPlan p = plan_landlock(4, {"/w"}, false, {3128, 1080, 3000}, {3000});
  EXPECT_EQ(p.bind_ports, (std::vector<uint16_t>{3000}));
  EXPECT_NE(describe_landlock(p).find("tcp bind: only 3000"), std::string::npos);
  p = plan_landlock(4, {"/w"}, true, {3128}, {3000});
  EXPECT_TRUE(p.bind_ports.empty());
  EXPECT_EQ(p.handled_net, 0u);
  EXPECT_NE(describe_landlock(plan_landlock(4, {"/w"}, false, {3128})).find("tcp bind: none"),
            std::string::npos);
}

TEST(HostServicesSpec, RoundTrip) {
  SandboxSpec s;
  s.argv = {"true"};
  s.landlock.abi = 4;
  s.landlock.connect_ports = {3128, 1080, 5432};
  s.landlock.bind_ports = {3000};
  s.host_ports = {5432, 6379};
  s.socket_factory = true;
  auto out = decode_spec(encode_spec(s));
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(out->landlock.bind_ports, (std::vector<uint16_t>{3000}));
  EXPECT_EQ(out->host_ports, (std::vector<uint16_t>{5432, 6379}));
  EXPECT_TRUE(out->socket_factory);
  s.socket_factory = false;
  s.host_ports.clear();
  out = decode_spec(encode_spec(s));
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->socket_factory);
  EXPECT_TRUE(out->host_ports.empty());
}

proxy::RequestHead request(const std::string& text) {
  proxy::RequestHead h;
  proxy::ParseStatus st = proxy::parse_request_head(text, h);
  EXPECT_TRUE(st.done()) << st.reason;
  return h;
}

TEST(ProxyUpgrade, WebSocketRequestKeepsItsUpgradeHeaders) {
  proxy::RequestHead h = request(
      "GET http://ws.example.com/chat HTTP/1.1\r\nHost: ws.example.com\r\n"
      "Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      "Proxy-Authorization: x\r\n\r\n");
  ASSERT_TRUE(proxy::is_websocket_upgrade(h));
  std::string out = proxy::serialize_upgrade_request_head(h);
  EXPECT_EQ(out,
            "GET /chat HTTP/1.1\r\nHost: ws.example.com\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
}

TEST(ProxyUpgrade, OnlyWebSocketGetsUpgraded) {
  const std::string base = "GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\n";
  EXPECT_FALSE(proxy::is_websocket_upgrade(request(base + "\r\n")));
  // Upgrade without Connection: upgrade, h2c, a POST, HTTP/1.0: ordinary requests.
  EXPECT_FALSE(proxy::is_websocket_upgrade(request(base + "Upgrade: websocket\r\n\r\n")));
  EXPECT_FALSE(
      proxy::is_websocket_upgrade(request(base + "Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n")));
  EXPECT_FALSE(proxy::is_websocket_upgrade(
      request("POST http://a.example/ HTTP/1.1\r\nHost: a.example\r\nContent-Length: 0\r\n"
              "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n")));
  EXPECT_FALSE(
      proxy::is_websocket_upgrade(request("GET http://a.example/ HTTP/1.0\r\nHost: a.example\r\n"
                                          "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n")));
}

TEST(ProxyUpgrade, UpstreamAcceptance) {
  auto response = [](const std::string& text) {
    proxy::ResponseHead r;
    proxy::ParseStatus st = proxy::parse_response_head(text, "GET", r);
    EXPECT_TRUE(st.done()) << st.reason;
    return r;
  };
  EXPECT_TRUE(proxy::accepts_websocket_upgrade(
      response("HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n")));
  EXPECT_FALSE(proxy::accepts_websocket_upgrade(
      response("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")));
  EXPECT_FALSE(proxy::accepts_websocket_upgrade(
      response("HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Content-Length: 0\r\n\r\n")));
}

TEST(ProxyDialFallback, EverySurvivorInOrder) {
  auto rules = proxy::NetworkRules::compile({"example.com"}, {}, {"203.0.113.0/24"}, {}, {});
  ASSERT_TRUE(rules.ok());
  auto ip = [](std::string_view s) { return *proxy::parse_ip_literal(s); };
  proxy::AddressChoice c =
      proxy::filter_resolved(*rules, {ip("127.0.0.1"), ip("198.51.100.7"), ip("203.0.113.5"),
                                      ip("2001:db8::7"), ip("::1"), ip("198.51.100.8")});
  ASSERT_TRUE(c.allowed) << c.reason;
  EXPECT_EQ(c.address, ip("198.51.100.7"));
  // The refused ones (loopback, the denied range) are never among the fallbacks.
  EXPECT_EQ(c.fallbacks, (std::vector<proxy::IpAddress>{ip("2001:db8::7"), ip("198.51.100.8")}));
  std::vector<proxy::IpAddress> lots;
  for (int i = 1; i <= 20; ++i) lots.push_back(ip("198.51.100." + std::to_string(i)));
  c = proxy::filter_resolved(*rules, lots);
  EXPECT_EQ(c.fallbacks.size(), proxy::kMaxFallbacks);
  c = proxy::filter_resolved(*rules, {ip("198.51.100.1")});
  EXPECT_TRUE(c.fallbacks.empty());
}

}  // namespace
}  // namespace paddock
