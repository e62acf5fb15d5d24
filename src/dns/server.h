#pragma once
// The sandbox's resolver at 127.0.0.1:53, UDP and TCP (RFC 7766: two-byte length prefix, several
// queries per connection), served by one supervisor thread on sockets the sandbox side created
// inside its network namespace (like the proxy's listeners). answer.h decides every answer.
//
//   auto s = DnsServer::start(std::move(udp), std::move(tcp), judge, table);
//   ... the command runs ...
//   s->stop();
//
// At most kMaxTcpClients TCP connections at once (more are closed at once), each closed after
// kTcpIdle without a complete query; a query is at most 65535 bytes by construction.
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "base/result.h"
#include "base/unique_fd.h"
#include "dns/answer.h"

namespace paddock::dns {

inline constexpr std::size_t kMaxTcpClients = 32;
inline constexpr std::chrono::seconds kTcpIdle{10};

class DnsServer {
 public:
  // Either socket may be invalid (that transport is then not served). Both are made
  // non-blocking. `table` must outlive the server.
  static Result<std::unique_ptr<DnsServer>> start(UniqueFd udp, UniqueFd tcp, NameJudge judge,
                                                  std::shared_ptr<FakeIpTable> table);
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;
  void stop();  // idempotent; joins the thread
  // Tells the thread to end without waiting for it (stop() then only joins): several servers
  // asked first end side by side.
  void request_stop();

  uint64_t answered() const { return answered_.load(); }

 private:
  DnsServer() = default;
  void run();

  UniqueFd udp_;
  UniqueFd tcp_;
  UniqueFd wake_;  // eventfd: stop
  NameJudge judge_;
  std::shared_ptr<FakeIpTable> table_;
  std::thread thread_;
  std::atomic<uint64_t> answered_{0};
  bool stopped_ = false;
  bool stop_requested_ = false;
};

}  // namespace paddock::dns
