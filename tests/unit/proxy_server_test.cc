// ProxyServer in-process, asserted from outside with raw sockets: a tiny threaded HTTP server and
// an echo server play the upstreams on 127.0.0.1; "allowed.test" is pinned to them; everything
// else is denied. Every read has a timeout, so a broken proxy fails the test instead of hanging it.
#include "proxy/proxy_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.h"

namespace paddock::proxy {
namespace {

using namespace std::chrono_literals;

constexpr int kTimeoutMs = 5000;

UniqueFd listen_loopback(uint16_t* port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  EXPECT_EQ(listen(fd.get(), 1024), 0);
  EXPECT_EQ(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len), 0);
  *port = ntohs(sa.sin_port);
  return fd;
}

UniqueFd dial(uint16_t port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << strerror(errno);
  return fd;
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// One read with a timeout: the bytes, "" on EOF/reset, nullopt on timeout.
std::optional<std::string> recv_some(int fd, int timeout_ms = kTimeoutMs) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return std::nullopt;
  char buf[65536];
  const ssize_t n = recv(fd, buf, sizeof buf, 0);
  if (n <= 0) return std::string();
  return std::string(buf, static_cast<size_t>(n));
}

// Reads into buf until it holds `n` bytes; false on EOF or timeout.
bool read_exactly(int fd, std::string& buf, size_t n) {
  while (buf.size() < n) {
    auto got = recv_some(fd);
    if (!got || got->empty()) return false;
    buf += *got;
  }
  return true;
}

bool read_until(int fd, std::string& buf, std::string_view delim) {
  while (buf.find(delim) == std::string::npos) {
    auto got = recv_some(fd);
    if (!got || got->empty()) return false;
    buf += *got;
  }
  return true;
}

// Waits for EOF or a reset, discarding data. false on timeout.
bool wait_closed(int fd) {
  for (;;) {
    auto got = recv_some(fd);
    if (!got) return false;
    if (got->empty()) return true;
  }
}

struct HttpResponse {
  int status = 0;
  std::string head;
  std::string body;
  bool ok = false;
  bool has_header(std::string_view line) const {
    return head.find(std::string("\r\n") + std::string(line) + "\r\n") != std::string::npos;
  }
};

// Reads one response with a Content-Length body from fd; buf keeps bytes past it.
HttpResponse read_response(int fd, std::string& buf) {
  HttpResponse r;
  if (!read_until(fd, buf, "\r\n\r\n")) return r;
  const size_t end = buf.find("\r\n\r\n") + 4;
  r.head = buf.substr(0, end);
  buf.erase(0, end);
  r.status = std::atoi(r.head.c_str() + 9);
  size_t len = 0;
  const size_t cl = r.head.find("Content-Length: ");
  if (cl != std::string::npos) len = std::strtoul(r.head.c_str() + cl + 16, nullptr, 10);
  if (!read_exactly(fd, buf, len)) return r;
  r.body = buf.substr(0, len);
  buf.erase(0, len);
  r.ok = true;
  return r;
}

// A listener with a thread per connection. The handler owns nothing: the server shuts every
// connection down when it is destroyed, so blocked handlers return.
class TestServer {
 public:
  using Handler = std::function<void(int fd)>;
  explicit TestServer(Handler h) : handler_(std::move(h)) {
    listener_ = listen_loopback(&port_);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~TestServer() {
    stopping_ = true;
    shutdown(listener_.get(), SHUT_RDWR);
    accept_thread_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : open_) shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : threads_) t.join();
  }
  uint16_t port() const { return port_; }

 private:
  void accept_loop() {
    while (!stopping_) {
      const int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (stopping_) return;
        continue;
      }
      timeval tv{10, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::lock_guard<std::mutex> lock(mu_);
      open_.push_back(fd);
      threads_.emplace_back([this, fd] {
        handler_(fd);
        std::lock_guard<std::mutex> l(mu_);
        std::erase(open_, fd);
        close(fd);
      });
    }
  }

  Handler handler_;
  UniqueFd listener_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<int> open_;
  std::vector<std::thread> threads_;
};

// Upstream HTTP/1.1: answers "hello <path>" (or echoes a POST body), keeps the connection open
// unless asked to close, and records every request head it received.
class HttpUpstream {
 public:
  HttpUpstream() : server_([this](int fd) { serve(fd); }) {}
  uint16_t port() const { return server_.port(); }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  int connections() const { return connections_.load(); }

 private:
  void serve(int fd) {
    ++connections_;
    std::string buf;
    while (true) {
      if (!read_until_blocking(fd, buf, "\r\n\r\n")) return;
      const size_t end = buf.find("\r\n\r\n") + 4;
      const std::string head = buf.substr(0, end);
      buf.erase(0, end);
      std::string body;
      if (head.find("Transfer-Encoding: chunked") != std::string::npos) {
        while (true) {  // good enough for the tests' bodies
          if (!read_until_blocking(fd, buf, "\r\n")) return;
          const size_t size = std::strtoul(buf.c_str(), nullptr, 16);
          buf.erase(0, buf.find("\r\n") + 2);
          if (size == 0) {
            if (!read_until_blocking(fd, buf, "\r\n")) return;
            buf.erase(0, buf.find("\r\n") + 2);
            break;
          }
          while (buf.size() < size + 2) {
            if (!more(fd, buf)) return;
          }
          body += buf.substr(0, size);
          buf.erase(0, size + 2);
        }
      } else if (const size_t cl = head.find("Content-Length: "); cl != std::string::npos) {
        const size_t n = std::strtoul(head.c_str() + cl + 16, nullptr, 10);
        while (buf.size() < n) {
          if (!more(fd, buf)) return;
        }
        body = buf.substr(0, n);
        buf.erase(0, n);
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(head);
        bodies_.push_back(body);
      }
      const size_t sp = head.find(' ');
      const std::string path = head.substr(sp + 1, head.find(' ', sp + 1) - sp - 1);
      const std::string reply = body.empty() ? "hello " + path : body;
      const bool close_after = head.find("Connection: close") != std::string::npos;
      send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(reply.size()) +
                       (close_after ? "\r\nConnection: close" : "") + "\r\n\r\n" + reply);
      if (close_after) return;
    }
  }
  static bool more(int fd, std::string& buf) {
    char tmp[65536];
    const ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
    return true;
  }
  static bool read_until_blocking(int fd, std::string& buf, std::string_view delim) {
    while (buf.find(delim) == std::string::npos) {
      if (!more(fd, buf)) return false;
    }
    return true;
  }

  std::mutex mu_;
  std::vector<std::string> requests_;
  std::vector<std::string> bodies_;
  std::atomic<int> connections_{0};
  TestServer server_;
};

// Upstream echo: sends back what it reads; at EOF shuts its write side. Counts bytes and
// connections (opened and finished).
class EchoUpstream {
 public:
  EchoUpstream() : server_([this](int fd) { serve(fd); }) {}
  uint16_t port() const { return server_.port(); }
  long bytes() const { return bytes_.load(); }
  int opened() const { return opened_.load(); }
  int finished() const { return finished_.load(); }
  bool wait_finished(int n) const {
    for (int i = 0; i < 500 && finished_.load() < n; ++i) std::this_thread::sleep_for(10ms);
    return finished_.load() >= n;
  }

 private:
  void serve(int fd) {
    ++opened_;
    char buf[65536];
    while (true) {
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      bytes_ += n;
      send_all(fd, std::string_view(buf, static_cast<size_t>(n)));
    }
    shutdown(fd, SHUT_WR);
    ++finished_;
  }
  std::atomic<long> bytes_{0};
  std::atomic<int> opened_{0};
  std::atomic<int> finished_{0};
  TestServer server_;
};

// --- a TLS ClientHello with a given SNI (enough for the proxy's parser)
void put8(std::string& s, unsigned v) {
  s.push_back(static_cast<char>(v & 0xff));
}
void put16(std::string& s, unsigned v) {
  put8(s, v >> 8);
  put8(s, v);
}
std::string client_hello(const std::string& sni) {
  std::string body;
  put16(body, 0x0303);
  body += std::string(32, '\x11');
  put8(body, 0);  // session id
  put16(body, 2);
  put16(body, 0x1301);
  put8(body, 1);
  put8(body, 0);
  std::string list;
  put8(list, 0);
  put16(list, static_cast<unsigned>(sni.size()));
  list += sni;
  std::string ext_data;
  put16(ext_data, static_cast<unsigned>(list.size()));
  ext_data += list;
  std::string exts;
  put16(exts, 0);  // server_name
  put16(exts, static_cast<unsigned>(ext_data.size()));
  exts += ext_data;
  put16(body, static_cast<unsigned>(exts.size()));
  body += exts;
  std::string hs;
  put8(hs, 1);
  put8(hs, 0);
  put16(hs, static_cast<unsigned>(body.size()));
  hs += body;
  std::string rec;
  put8(rec, 0x16);
  put16(rec, 0x0301);
  put16(rec, static_cast<unsigned>(hs.size()));
  return rec + hs;
}

std::string socks_connect_domain(const std::string& host, uint16_t port) {
  std::string r = {5, 1, 0, 3, static_cast<char>(host.size())};
  r += host;
  put16(r, port);
  return r;
}

class ProxyServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    dir_ = std::filesystem::temp_directory_path() /
           ("paddock_proxy_test_" + std::to_string(getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    audit_path_ = (dir_ / "audit.jsonl").string();
    uint16_t closed_port = 0;
    {
      UniqueFd gone = listen_loopback(&closed_port);  // closed at once: connections refused
    }
    closed_port_ = closed_port;
    start({});
  }

  void start(ProxyTimeouts timeouts, unsigned max_connections = 0) {
    auto rules =
        NetworkRules::compile({"allowed.test", "localhost", "down.test"}, {"evil.allowed.test"}, {},
                              {{"allowed.test", "127.0.0.1"}, {"down.test", "127.0.0.1"}}, {});
    ASSERT_TRUE(rules.ok()) << rules.error().message();
    ProxyOptions opts;
    opts.rules = std::move(*rules);
    opts.audit_log_path = audit_path_;
    opts.threads = 2;
    opts.timeouts = timeouts;
    opts.max_connections = max_connections;
    UniqueFd http = listen_loopback(&http_port_);
    UniqueFd socks = listen_loopback(&socks_port_);
    auto s = ProxyServer::start(std::move(http), std::move(socks), std::move(opts));
    ASSERT_TRUE(s.ok()) << s.error().message();
    server_ = std::move(*s);
  }

  void TearDown() override {
    if (server_) server_->stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::vector<nlohmann::json> audit_lines() {
    std::vector<nlohmann::json> out;
    std::ifstream in(audit_path_);
    std::string line;
    while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
    return out;
  }

  // Audit lines are written when a connection finishes; give the proxy a moment.
  std::vector<nlohmann::json> wait_audit(size_t n) {
    std::vector<nlohmann::json> lines;
    for (int i = 0; i < 300; ++i) {
      lines = audit_lines();
      if (lines.size() >= n) break;
      std::this_thread::sleep_for(10ms);
    }
    return lines;
  }

  std::string get(const std::string& host_port, const std::string& path,
                  const std::string& extra = "") {
    return "GET http://" + host_port + path + " HTTP/1.1\r\nHost: " + host_port + "\r\n" + extra +
           "\r\n";
  }

  // SOCKS5 greeting + request; returns the reply (10 bytes for IPv4-bound replies).
  std::string socks_request(int fd, const std::string& request) {
    send_all(fd, std::string("\x05\x01\x00", 3));
    std::string buf;
    EXPECT_TRUE(read_exactly(fd, buf, 2));
    EXPECT_EQ(buf, std::string("\x05\x00", 2));
    buf.clear();
    send_all(fd, request);
    EXPECT_TRUE(read_exactly(fd, buf, 10));
    return buf;
  }

  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::string audit_path_;
  HttpUpstream http_up_;
  EchoUpstream echo_;
  uint16_t http_port_ = 0;
  uint16_t socks_port_ = 0;
  uint16_t closed_port_ = 0;
  std::unique_ptr<ProxyServer> server_;
};

TEST_F(ProxyServerTest, AllowedAbsoluteFormGet) {
  UniqueFd c = dial(http_port_);
  const std::string hp = "allowed.test:" + std::to_string(http_up_.port());
  send_all(c.get(), get(hp, "/a?b=1", "Proxy-Connection: keep-alive\r\nX-Custom: yes\r\n"));
  std::string buf;
  const HttpResponse r = read_response(c.get(), buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello /a?b=1");
  const auto reqs = http_up_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].rfind("GET /a?b=1 HTTP/1.1\r\nHost: " + hp + "\r\n", 0), 0u) << reqs[0];
  EXPECT_NE(reqs[0].find("X-Custom: yes"), std::string::npos);
  EXPECT_EQ(reqs[0].find("Proxy-Connection"), std::string::npos);
}

TEST_F(ProxyServerTest, KeepAliveRequestsAreDecidedEachOnTheirOwn) {
  UniqueFd c = dial(http_port_);
  const std::string hp = "allowed.test:" + std::to_string(http_up_.port());
  std::string buf;
  send_all(c.get(), get(hp, "/one"));
  HttpResponse r = read_response(c.get(), buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "hello /one");
  EXPECT_TRUE(r.has_header("Connection: keep-alive"));

  send_all(c.get(), get(hp, "/two"));
  r = read_response(c.get(), buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "hello /two");
  EXPECT_EQ(http_up_.connections(), 1);  // the upstream connection was reused

  send_all(c.get(), get("denied.test", "/three"));
  r = read_response(c.get(), buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(r.has_header("X-Proxy-Error: blocked-by-paddock"));
  EXPECT_TRUE(r.has_header("X-Paddock-Rule: default-deny"));
  EXPECT_NE(r.body.find("denied.test"), std::string::npos);
  EXPECT_NE(r.body.find("default-deny"), std::string::npos);
  EXPECT_TRUE(wait_closed(c.get()));
  EXPECT_EQ(http_up_.requests().size(), 2u);
}

TEST_F(ProxyServerTest, DeniedSubdomainOfAllowedPin) {
  UniqueFd c = dial(http_port_);
  send_all(c.get(), get("evil.allowed.test:" + std::to_string(http_up_.port()), "/"));
  std::string buf;
  const HttpResponse r = read_response(c.get(), buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(r.has_header("X-Paddock-Rule: evil.allowed.test"));
  EXPECT_TRUE(http_up_.requests().empty());
}

TEST_F(ProxyServerTest, UpstreamConnectionPooledAcrossClientConnections) {
  const std::string hp = "allowed.test:" + std::to_string(http_up_.port());
  for (int i = 0; i < 3; ++i) {
    UniqueFd c = dial(http_port_);
    send_all(c.get(), get(hp, "/c" + std::to_string(i), "Connection: close\r\n"));
    std::string buf;
    const HttpResponse r = read_response(c.get(), buf);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.body, "hello /c" + std::to_string(i));
    EXPECT_TRUE(r.has_header("Connection: close"));
    EXPECT_TRUE(wait_closed(c.get()));
  }
  EXPECT_EQ(http_up_.requests().size(), 3u);
  EXPECT_LE(http_up_.connections(), 2);  // two proxy threads: at most one connection each
}

TEST_F(ProxyServerTest, PipelinedRequestsAnsweredInOrder) {
  UniqueFd c = dial(http_port_);
  const std::string hp = "allowed.test:" + std::to_string(http_up_.port());
  send_all(c.get(), get(hp, "/p1") + get(hp, "/p2") + get(hp, "/p3", "Connection: close\r\n"));
  std::string buf;
  for (const char* want : {"hello /p1", "hello /p2", "hello /p3"}) {
    const HttpResponse r = read_response(c.get(), buf);
    ASSERT_TRUE(r.ok) << want;
    EXPECT_EQ(r.body, want);
  }
  EXPECT_TRUE(wait_closed(c.get()));
}

TEST_F(ProxyServerTest, KeptConnectionClosedByTheServerIsNotReused) {
  // Answers one request, then closes without having said so: the proxy keeps the connection, and
  // must notice the close (its hang-up event) before the next request. The requests carry bodies,
  // which are never sent twice: a request sent on the closed connection would fail with 502.
  std::atomic<int> connections{0};
  TestServer once([&](int fd) {
    ++connections;
    std::string buf;
    if (!read_until(fd, buf, "\r\n\r\n")) return;
    const size_t body = buf.size() - (buf.find("\r\n\r\n") + 4);
    if (body < 4 && !read_exactly(fd, buf, buf.size() + 4 - body)) return;
    send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  UniqueFd c = dial(http_port_);
  const std::string hp = "allowed.test:" + std::to_string(once.port());
  std::string buf;
  for (int i = 0; i < 3; ++i) {
    send_all(c.get(), "POST http://" + hp + "/" + std::to_string(i) + " HTTP/1.1\r\nHost: " + hp +
                          "\r\nContent-Length: 4\r\n\r\nbody");
    const HttpResponse r = read_response(c.get(), buf);
    ASSERT_TRUE(r.ok) << i;
    EXPECT_EQ(r.body, "ok");
    std::this_thread::sleep_for(50ms);  // the close arrives while the connection is idle
  }
  EXPECT_EQ(connections.load(), 3);
}

TEST_F(ProxyServerTest, BulkBodiesRelayedByteForByte) {
  std::string body(6 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 131 + i / 4099) & 0xff);
  {  // a request body and its echo, both Content-Length
    UniqueFd c = dial(http_port_);
    const std::string hp = "allowed.test:" + std::to_string(http_up_.port());
    const std::string head = "POST http://" + hp + "/echo HTTP/1.1\r\nHost: " + hp +
                             "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    std::thread sender([&] { send_all(c.get(), head + body); });
    std::string buf;
    const HttpResponse r = read_response(c.get(), buf);
    sender.join();
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.body.size(), body.size());
    EXPECT_TRUE(r.body == body);
  }
  {  // a CONNECT tunnel, both ways at once
    UniqueFd c = dial(http_port_);
    const std::string hp = "allowed.test:" + std::to_string(echo_.port());
    send_all(c.get(), "CONNECT " + hp + " HTTP/1.1\r\nHost: " + hp + "\r\n\r\n");
    std::string buf;
    ASSERT_TRUE(read_until(c.get(), buf, "\r\n\r\n"));
    ASSERT_EQ(buf.rfind("HTTP/1.1 200", 0), 0u);
    buf.clear();
    std::thread sender([&] { send_all(c.get(), body); });
    const bool got = read_exactly(c.get(), buf, body.size());
    sender.join();
    ASSERT_TRUE(got);
    EXPECT_TRUE(buf == body);
  }
}

TEST_F(ProxyServerTest, HostHeaderMismatchIs400AndNothingGoesUpstream) {
  UniqueFd c = dial(http_port_);
  const std::string hp = "allowed.test:" + std::to_string(http_up_.port());
  send_all(c.get(), "GET http://" + hp + "/ HTTP/1.1\r\nHost: evil.test\r\n\r\n");
  std::string buf;
  const HttpResponse r = read_response(c.get(), buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.has_header("Connection: close"));
  EXPECT_TRUE(wait_closed(c.get()));
  EXPECT_TRUE(http_up_.requests().empty());
  EXPECT_EQ(http_up_.connections(), 0);
}

TEST_F(ProxyServerTest, ContentLengthWithTransferEncodingIs400) {
  UniqueFd c = dial(http_port_);
  const std::string hp = "allowed.test:" + std::to_string(http_up_.port());
  send_all(c.get(), "POST http://" + hp + "/ HTTP/1.1\r\nHost: " + hp +
                        "\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  std::string buf;
  const HttpResponse r = read_response(c.get(), buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(wait_closed(c.get()));
  EXPECT_TRUE(http_up_.requests().empty());
}

TEST_F(ProxyServerTest, RequestBodiesRelayedByTheirFraming) {
  UniqueFd c = dial(http_port_);
  const std::string hp = "allowed.test:" + std::to_string(http_up_.port());
  const std::string big(300000, 'b');
  send_all(c.get(), "POST http://" + hp + "/cl HTTP/1.1\r\nHost: " + hp +
                        "\r\nContent-Length: " + std::to_string(big.size()) + "\r\n\r\n" + big);
  std::string buf;
  HttpResponse r = read_response(c.get(), buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body.size(), big.size());
  EXPECT_EQ(r.body, big);

  send_all(c.get(),
           "POST http://" + hp + "/ch HTTP/1.1\r\nHost: " + hp +
               "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" +
               get(hp, "/after"));
  r = read_response(c.get(), buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "hello world");
  r = read_response(c.get(), buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "hello /after");
  const auto reqs = http_up_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_NE(reqs[1].find("Transfer-Encoding: chunked"), std::string::npos);
}

TEST_F(ProxyServerTest, MalformedChunkedBodyIs400) {
  UniqueFd c = dial(http_port_);
  const std::string hp = "allowed.test:" + std::to_string(http_up_.port());
  send_all(c.get(), "POST http://" + hp + "/ch HTTP/1.1\r\nHost: " + hp +
                        "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
  std::string buf;
  const HttpResponse r = read_response(c.get(), buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(wait_closed(c.get()));
}

TEST_F(ProxyServerTest, UpstreamRefusedIs502) {
  UniqueFd c = dial(http_port_);
  send_all(c.get(), get("down.test:" + std::to_string(closed_port_), "/"));
  std::string buf;
  const HttpResponse r = read_response(c.get(), buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 502);
  EXPECT_TRUE(r.has_header("X-Proxy-Error: upstream-failed"));

  UniqueFd s = dial(socks_port_);
  const std::string reply = socks_request(s.get(), socks_connect_domain("down.test", closed_port_));
  ASSERT_EQ(reply.size(), 10u);
  EXPECT_EQ(reply[1], 0x05);  // connection refused
}

TEST_F(ProxyServerTest, ConnectTunnelEchoesAndHalfCloses) {
  UniqueFd c = dial(http_port_);
  const std::string hp = "allowed.test:" + std::to_string(echo_.port());
  send_all(c.get(), "CONNECT " + hp + " HTTP/1.1\r\nHost: " + hp + "\r\n\r\n");
  std::string buf;
  ASSERT_TRUE(read_until(c.get(), buf, "\r\n\r\n"));
  EXPECT_EQ(buf, "HTTP/1.1 200 Connection established\r\n\r\n");
  buf.clear();
  send_all(c.get(), "ping");
  ASSERT_TRUE(read_exactly(c.get(), buf, 4));
  EXPECT_EQ(buf, "ping");
  buf.clear();
  send_all(c.get(), "pong");
  shutdown(c.get(), SHUT_WR);  // the echo server sees EOF, answers, then closes
  ASSERT_TRUE(read_exactly(c.get(), buf, 4));
  EXPECT_EQ(buf, "pong");
  EXPECT_TRUE(wait_closed(c.get()));
}

TEST_F(ProxyServerTest, ConnectWithMatchingSniIsRelayed) {
  UniqueFd c = dial(http_port_);
  const std::string hp = "allowed.test:" + std::to_string(echo_.port());
  const std::string hello = client_hello("Allowed.Test");
  // The ClientHello sent right behind the CONNECT, without waiting for the 200.
  send_all(c.get(), "CONNECT " + hp + " HTTP/1.1\r\nHost: " + hp + "\r\n\r\n" + hello);
  std::string buf;
  const std::string established = "HTTP/1.1 200 Connection established\r\n\r\n";
  ASSERT_TRUE(read_exactly(c.get(), buf, established.size() + hello.size()));
  EXPECT_EQ(buf, established + hello);
}

TEST_F(ProxyServerTest, ConnectWithOtherSniIsClosedBeforeAnyByteGoesUpstream) {
  UniqueFd c = dial(http_port_);
  const std::string hp = "allowed.test:" + std::to_string(echo_.port());
  send_all(c.get(), "CONNECT " + hp + " HTTP/1.1\r\nHost: " + hp + "\r\n\r\n");
  std::string buf;
  ASSERT_TRUE(read_until(c.get(), buf, "\r\n\r\n"));
  EXPECT_EQ(buf.rfind("HTTP/1.1 200", 0), 0u);
  send_all(c.get(), client_hello("evil.test"));
  EXPECT_TRUE(wait_closed(c.get()));
  ASSERT_TRUE(echo_.wait_finished(1));
  EXPECT_EQ(echo_.bytes(), 0);
  bool found = false;
  for (const auto& j : wait_audit(1)) {
    if (j["rule"] == "sni-mismatch") {
      found = true;
      EXPECT_EQ(j["decision"], "deny");
      EXPECT_EQ(j["protocol"], "connect");
      EXPECT_NE(j["reason"].get<std::string>().find("SNI mismatch"), std::string::npos);
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ProxyServerTest, ConnectDeniedIs403) {
  UniqueFd c = dial(http_port_);
  send_all(c.get(), "CONNECT denied.test:443 HTTP/1.1\r\nHost: denied.test:443\r\n\r\n");
  std::string buf;
  const HttpResponse r = read_response(c.get(), buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(r.has_header("X-Proxy-Error: blocked-by-paddock"));
}

TEST_F(ProxyServerTest, Socks5DomainConnect) {
  UniqueFd c = dial(socks_port_);
  const std::string reply =
      socks_request(c.get(), socks_connect_domain("allowed.test", echo_.port()));
  ASSERT_EQ(reply.size(), 10u);
  EXPECT_EQ(reply[0], 0x05);
  EXPECT_EQ(reply[1], 0x00);
  send_all(c.get(), "socks-ping");
  std::string buf;
  ASSERT_TRUE(read_exactly(c.get(), buf, 10));
  EXPECT_EQ(buf, "socks-ping");
}

TEST_F(ProxyServerTest, Socks5GreetingRequestAndDataInOneWrite) {
  UniqueFd c = dial(socks_port_);
  send_all(c.get(), std::string("\x05\x01\x00", 3) +
                        socks_connect_domain("allowed.test", echo_.port()) + "early");
  std::string buf;
  ASSERT_TRUE(read_exactly(c.get(), buf, 2 + 10 + 5));
  EXPECT_EQ(buf.substr(0, 2), std::string("\x05\x00", 2));
  EXPECT_EQ(buf[3], 0x00);
  EXPECT_EQ(buf.substr(12), "early");
}

TEST_F(ProxyServerTest, Socks5SniMismatchIsRefusedToo) {
  UniqueFd c = dial(socks_port_);
  const std::string reply =
      socks_request(c.get(), socks_connect_domain("allowed.test", echo_.port()));
  ASSERT_EQ(reply[1], 0x00);
  send_all(c.get(), client_hello("evil.test"));
  EXPECT_TRUE(wait_closed(c.get()));
  ASSERT_TRUE(echo_.wait_finished(1));
  EXPECT_EQ(echo_.bytes(), 0);
}

TEST_F(ProxyServerTest, Socks5IpLiteralNotInRulesIsNotAllowed) {
  UniqueFd c = dial(socks_port_);
  std::string req = {5, 1, 0, 1, 127, 0, 0, 1};
  put16(req, echo_.port());
  const std::string reply = socks_request(c.get(), req);
  ASSERT_EQ(reply.size(), 10u);
  EXPECT_EQ(reply[1], 0x02);
  EXPECT_TRUE(wait_closed(c.get()));
  EXPECT_EQ(echo_.opened(), 0);

  UniqueFd c6 = dial(socks_port_);
  std::string req6 = {5, 1, 0, 4};
  req6 += std::string(15, '\0') + std::string(1, '\x01');  // ::1
  put16(req6, echo_.port());
  const std::string reply6 = socks_request(c6.get(), req6);
  EXPECT_EQ(reply6[1], 0x02);
}

TEST_F(ProxyServerTest, Socks5UdpAssociateAndBindAreNotSupported) {
  for (char cmd : {'\x03', '\x02'}) {
    UniqueFd c = dial(socks_port_);
    std::string req = {5, cmd, 0, 1, 0, 0, 0, 0, 0, 0};
    const std::string reply = socks_request(c.get(), req);
    ASSERT_EQ(reply.size(), 10u);
    EXPECT_EQ(reply[1], 0x07);
    EXPECT_TRUE(wait_closed(c.get()));
  }
}

TEST_F(ProxyServerTest, Socks4IsRejectedInSocks4) {
  UniqueFd c = dial(socks_port_);
  std::string req = {4, 1};
  put16(req, echo_.port());
  req += std::string("\x7f\x00\x00\x01", 4) + "user" + std::string(1, '\0');
  send_all(c.get(), req);
  std::string buf;
  ASSERT_TRUE(read_exactly(c.get(), buf, 8));
  EXPECT_EQ(buf[0], 0);
  EXPECT_EQ(static_cast<unsigned char>(buf[1]), 91);
  EXPECT_TRUE(wait_closed(c.get()));
  EXPECT_EQ(echo_.opened(), 0);
}

TEST_F(ProxyServerTest, Socks5WithoutNoAuthIsRefused) {
  UniqueFd c = dial(socks_port_);
  send_all(c.get(), std::string("\x05\x01\x02", 3));  // username/password only
  std::string buf;
  ASSERT_TRUE(read_exactly(c.get(), buf, 2));
  EXPECT_EQ(buf, std::string("\x05\xff", 2));
  EXPECT_TRUE(wait_closed(c.get()));
}

TEST_F(ProxyServerTest, NameThatResolvesToLoopbackIsRefused) {
  // "localhost" is allowed by a rule but not pinned: it is resolved, and loopback is filtered.
  UniqueFd c = dial(http_port_);
  send_all(c.get(), get("localhost:" + std::to_string(http_up_.port()), "/"));
  std::string buf;
  const HttpResponse r = read_response(c.get(), buf);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(r.has_header("X-Paddock-Rule: resolved-address"));
  EXPECT_EQ(http_up_.connections(), 0);

  UniqueFd s = dial(socks_port_);
  const std::string reply = socks_request(s.get(), socks_connect_domain("localhost", echo_.port()));
  EXPECT_EQ(reply[1], 0x02);
  EXPECT_EQ(echo_.opened(), 0);
}

TEST_F(ProxyServerTest, AuditLinesAndDenialSummary) {
  {
    UniqueFd c = dial(http_port_);
    std::string buf;
    send_all(c.get(), get("allowed.test:" + std::to_string(http_up_.port()), "/x"));
    ASSERT_TRUE(read_response(c.get(), buf).ok);
    send_all(c.get(), get("denied.test", "/y"));
    ASSERT_EQ(read_response(c.get(), buf).status, 403);
  }
  {
    UniqueFd c = dial(http_port_);
    std::string buf;
    send_all(c.get(), get("denied.test", "/z"));
    ASSERT_EQ(read_response(c.get(), buf).status, 403);
  }
  const auto lines = wait_audit(3);
  ASSERT_GE(lines.size(), 3u);
  int allows = 0, denies = 0;
  for (const auto& j : lines) {
    for (const char* key : {"time", "protocol", "host", "port", "address", "decision", "rule",
                            "reason", "bytes_up", "bytes_down", "duration_ms"}) {
      EXPECT_TRUE(j.contains(key)) << key << " in " << j.dump();
    }
    const std::string t = j["time"];
    EXPECT_EQ(t.size(), 24u);
    EXPECT_EQ(t.back(), 'Z');
    if (j["decision"] == "allow") {
      ++allows;
      EXPECT_EQ(j["host"], "allowed.test");
      EXPECT_EQ(j["address"], "127.0.0.1");
      EXPECT_GT(j["bytes_up"].get<long>(), 0);
      EXPECT_GT(j["bytes_down"].get<long>(), 0);
    } else {
      ++denies;
      EXPECT_EQ(j["host"], "denied.test");
      EXPECT_EQ(j["port"], 80);
      EXPECT_EQ(j["rule"], "default-deny");
      EXPECT_TRUE(j["address"].is_null());
    }
  }
  EXPECT_EQ(allows, 1);
  EXPECT_EQ(denies, 2);
  const auto d = server_->denials();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].host, "denied.test");
  EXPECT_EQ(d[0].port, 80);
  EXPECT_EQ(d[0].protocol, "http");
  EXPECT_EQ(d[0].rule, "default-deny");
  EXPECT_EQ(d[0].count, 2u);
}

TEST_F(ProxyServerTest, ManyConcurrentTunnels) {
  constexpr int kTunnels = 200;
  std::vector<UniqueFd> clients;
  const std::string hp = "allowed.test:" + std::to_string(echo_.port());
  for (int i = 0; i < kTunnels; ++i) {
    clients.push_back(dial(http_port_));
    send_all(clients.back().get(), "CONNECT " + hp + " HTTP/1.1\r\nHost: " + hp + "\r\n\r\n");
  }
  for (int i = 0; i < kTunnels; ++i) {
    std::string buf;
    ASSERT_TRUE(read_until(clients[i].get(), buf, "\r\n\r\n")) << i;
    ASSERT_EQ(buf.rfind("HTTP/1.1 200", 0), 0u);
  }
  EXPECT_EQ(server_->active_connections(), static_cast<unsigned>(kTunnels));
  for (int i = 0; i < kTunnels; ++i) send_all(clients[i].get(), "t" + std::to_string(i));
  for (int i = 0; i < kTunnels; ++i) {
    const std::string want = "t" + std::to_string(i);
    std::string buf;
    ASSERT_TRUE(read_exactly(clients[i].get(), buf, want.size())) << i;
    EXPECT_EQ(buf, want);
  }
}

TEST_F(ProxyServerTest, SilentClientTimesOut) {
  server_->stop();
  ProxyTimeouts t;
  t.request_head = 1s;
  start(t);
  UniqueFd c = dial(http_port_);
  const auto begin = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_closed(c.get()));
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 4s);
}

TEST_F(ProxyServerTest, ConnectionsOverTheLimitAreReset) {
  server_->stop();
  start({}, 2);
  UniqueFd a = dial(socks_port_);
  UniqueFd b = dial(socks_port_);
  send_all(a.get(), std::string("\x05\x01\x00", 3));
  send_all(b.get(), std::string("\x05\x01\x00", 3));
  std::string buf;
  ASSERT_TRUE(read_exactly(a.get(), buf, 2));
  buf.clear();
  ASSERT_TRUE(read_exactly(b.get(), buf, 2));
  UniqueFd c = dial(socks_port_);
  send_all(c.get(), std::string("\x05\x01\x00", 3));
  EXPECT_TRUE(wait_closed(c.get()));
  EXPECT_EQ(server_->active_connections(), 2u);
  a.reset();
  for (int i = 0; i < 200 && server_->active_connections() > 1; ++i)
    std::this_thread::sleep_for(10ms);
  UniqueFd d = dial(socks_port_);
  send_all(d.get(), std::string("\x05\x01\x00", 3));
  buf.clear();
  ASSERT_TRUE(read_exactly(d.get(), buf, 2));
  EXPECT_EQ(buf, std::string("\x05\x00", 2));
}

TEST_F(ProxyServerTest, StopClosesOpenTunnelsAndAuditsThem) {
  UniqueFd c = dial(socks_port_);
  const std::string reply =
      socks_request(c.get(), socks_connect_domain("allowed.test", echo_.port()));
  ASSERT_EQ(reply[1], 0x00);
  server_->stop();
  EXPECT_TRUE(wait_closed(c.get()));
  const auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["protocol"], "socks5");
  EXPECT_EQ(lines[0]["decision"], "allow");
  EXPECT_EQ(lines[0]["error"], "the proxy stopped");
}

}  // namespace
}  // namespace paddock::proxy
