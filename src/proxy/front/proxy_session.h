#pragma once
// One client connection accepted by the proxy, from accept() to close. The base class carries what
// every front end shares, in the order of decision.h:
//
//   Handshake   the front end reads its request (HTTP head, SOCKS5 greeting + request)   [subclass]
//   begin(v)    denied: record it, the front end answers (403 / 0x02) and closes
//   Asking      (--ask) denied only because no rule matched: parked, holding nothing but the
//               client socket, until the AskBroker's answer is posted back (then as above)
//               allowed: reuse an open upstream (HTTP keep-alive), or
//   Resolving   name -> addresses on a resolver thread, then filter_resolved()
//   Connecting  non-blocking connect to exactly the chosen address
//   Exchange    HTTP: one request and its response relayed [subclass] Sniff       tunnel up; the
//   client's first bytes checked (TLS SNI must name the host) Tunnel      opaque relay both ways,
//   half-close propagated Closing     a final reply flushed, write side shut, unread input drained,
//   then close
//
// Every step is non-blocking; progress happens in advance(), called on any readiness event of the
// session's fds (both registered edge-triggered for in, out and hang-up), after a resolver answer,
// and again soon when a relay used its budget. Timeouts are checked by on_tick() once a second.
#include <chrono>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "proxy/decide/ask_broker.h"
#include "proxy/decide/decision.h"
#include "proxy/io/event_loop.h"
#include "proxy/io/relay.h"
#include "proxy/io/resolver.h"

namespace paddock::proxy {

class Worker;
struct ServerContext;

class ProxySession {
 public:
  ProxySession(Worker& worker, uint64_t id, UniqueFd client, Protocol protocol);
  virtual ~ProxySession();
  ProxySession(const ProxySession&) = delete;
  ProxySession& operator=(const ProxySession&) = delete;

  uint64_t id() const { return id_; }
  bool closed() const { return closed_; }

  // Registers the client fd and starts reading; closes the session if that fails.
  void start();
  void advance();
  void on_tick(Clock::time_point now);
  void on_resolved(const Resolver::Answer& answer);
  // The AskBroker's answer for the question this session is waiting on.
  void on_asked(const AskAnswer& answer);
  // The worker is stopping: close without further I/O (an open request is still audited).
  void shutdown();

 protected:
  enum class Phase { Handshake, Asking, Resolving, Connecting, Exchange, Sniff, Tunnel, Closing };
  enum class ReadResult { Got, Again, Eof, Error };

  // --- the front end's part
  virtual void handshake() = 0;
  virtual void exchange() {}
  // The upstream connection is ready (dialled or reused).
  virtual void on_connected() = 0;
  // Answer a failed dial (resolution or connect) and finish; the outcome is already recorded.
  virtual void on_dial_failed(int err, const std::string& why) = 0;
  // Answer a denial and finish; the denial is already recorded.
  virtual void on_denied(const std::string& rule, const std::string& reason) = 0;
  // The Handshake or Exchange deadline passed.
  virtual void on_phase_timeout() { close_now(); }
  // HTTP keep-alive: an open upstream connection that can take this request. Default: none.
  virtual bool reuse_upstream(const Verdict&) { return false; }
  // The session is ending: an idle upstream connection may be kept for others. Default: closed.
  virtual void release_idle_upstream() {}

  // --- shared steps
  // After decide(): a denial is recorded and answered; an allowed request goes on to resolve and
  // dial. raw_host is what the client sent (for the audit log when it was invalid).
  void begin(Verdict v, std::string_view raw_host);
  // Dial the address again (no lookup): HTTP's retry when a reused connection turned out stale.
  void redial();
  // Take an open upstream connection (from the worker's pool) as this session's upstream.
  bool adopt_upstream(UniqueFd fd, const IpAddress& address);
  // The tunnel is up and the front end has queued its success reply in down_: relay the
  // upstream's bytes to the client, and check the client's first bytes before relaying them.
  void start_sniff();
  // An HTTP exchange became a raw relay (a WebSocket upgrade the upstream accepted): send
  // `to_client` (its 101 head and whatever followed), then relay both ways, client bytes already
  // read included. No SNI check: the bytes after a 101 are not a new TLS session's.
  void start_upgraded_relay(std::string to_client);
  // Send reply (may be empty), then close gracefully.
  void finish_with(std::string_view reply);
  // Close both connections now. reset: make the client see a reset, not an orderly close.
  void close_now(bool reset = false);
  void close_upstream();

  // recv() from the client into in_buf_, up to limit bytes held in total.
  ReadResult read_client(std::size_t limit);
  void set_deadline(std::chrono::milliseconds d) { deadline_ = now() + d; }
  void clear_deadline() { deadline_ = Clock::time_point::max(); }
  Clock::time_point now() const;
  void run_again() { want_again_ = true; }

  // Audit: the allowed request or tunnel in progress ended (error: why it failed, if it did).
  void record_outcome(std::optional<std::string> error);
  // Audit a denial of host:port (also counted for the exit summary). address: what had been
  // dialled already (a tunnel refused after its ClientHello), else nullopt.
  void record_denial(Protocol protocol, std::string host, uint16_t port, std::string rule,
                     std::string reason, std::optional<IpAddress> address);
  // The normalised host (IPv6 without brackets), or the raw one made printable.
  std::string audit_host() const;

  const ServerContext& ctx() const;
  ServerContext& mutable_ctx();

  Worker& worker_;
  const uint64_t id_;
  const Protocol protocol_;
  UniqueFd client_;
  UniqueFd upstream_;
  Phase phase_ = Phase::Handshake;
  std::string in_buf_;  // client bytes read but not yet used
  Channel up_;          // client -> upstream
  Channel down_;        // upstream -> client
  Verdict verdict_;
  std::string raw_host_;
  std::string asker_;  // AskSubject::process, where the front end knows it
  std::optional<IpAddress> dialled_;
  bool request_open_ = false;  // an allowed request/tunnel not yet audited
  std::chrono::system_clock::time_point decided_at_;
  Clock::time_point started_{};
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point last_activity_{};
  Readiness client_ready_;
  Readiness upstream_ready_;

 private:
  class FdWatcher : public Watcher {
   public:
    FdWatcher(ProxySession* s, bool upstream) : s_(s), upstream_(upstream) {}
    void on_events(uint32_t events) override { s_->on_fd_events(upstream_, events); }

   private:
    ProxySession* s_;
    bool upstream_;
  };

  void on_fd_events(bool upstream, uint32_t events);
  // The allowed request's way out: an open upstream, the pinned or literal address, or resolving.
  void proceed();
  void ask();
  void cancel_ask();
  void connect_to(const IpAddress& address);
  void connect_finished(int err);
  // A connect failed: dial the next surviving address of the name, if one is left.
  bool try_next_address();
  void dial_failed(int err, const std::string& why);
  void sniff();
  void refuse_tunnel(std::string rule, std::string reason);
  void start_tunnel();
  void tunnel();
  void closing();
  bool pump_direction(Channel& ch, bool& done, int shut_fd, bool from_client);

  FdWatcher client_watch_{this, false};
  FdWatcher upstream_watch_{this, true};
  bool closed_ = false;
  bool advancing_ = false;
  bool want_again_ = false;
  bool up_done_ = false;    // tunnel: client -> upstream finished (write side shut)
  bool down_done_ = false;  // tunnel: upstream -> client finished
  bool closing_flushed_ = false;
  uint64_t resolve_seq_ = 0;               // tells a late resolver answer from the current one
  uint64_t ask_seq_ = 0;                   // the same for a broker's answer
  uint64_t ask_waiter_ = 0;                // the broker's token while Asking
  std::vector<IpAddress> next_addresses_;  // filter_resolved()'s fallbacks not yet dialled
  Clock::time_point sniff_deadline_ = Clock::time_point::max();
};

}  // namespace paddock::proxy
