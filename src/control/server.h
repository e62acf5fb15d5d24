#pragma once
// A running sandbox's control socket (ctl_dir.h): one supervisor thread that makes the socket,
// then serves `paddock ctl` requests (protocol.h) from it with RunControl, and removes it when
// the run ends.
//
//   auto s = ControlServer::start(control, id, options);   // returns at once
//   ... the command runs ...
//   s->stop();                                              // the socket is gone when it returns
//
// The socket is made on the thread as soon as it starts, which the supervisor does kSocketDelay
// into the run (off the start-up's critical path, and not at all for a run over by then): in a
// fs struct of its own
// (unshare CLONE_FS: umask 077 and the directory as cwd concern no other thread), bound under a
// temporary name, made 0600, listening, then renamed to <ID>.sock, so `paddock ctl list` never
// finds it before it answers. Every accepted connection's peer credentials are checked: only our
// effective uid is served (root included: another user's sandbox is not root's to steer;
// `runuser -u USER paddock ctl` is). Bounds: kMaxClients at once (more are closed at once), a
// request line of kMaxRequestBytes, kIdle without a complete request closes a connection.
// A failure to make the socket is a warning (the run goes on without one), never an error.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "control/run_control.h"

namespace paddock::control {

inline constexpr std::size_t kMaxClients = 8;
// The server is started this long after the run starts: a run that ends sooner (most of an
// agent's commands) never makes a socket, and one that goes on has it before anyone can ask.
inline constexpr std::chrono::milliseconds kSocketDelay{50};
inline constexpr std::chrono::seconds kIdle{10};

struct ServerOptions {
  std::string xdg_runtime_dir;  // $XDG_RUNTIME_DIR, empty when unset
  bool quiet = false;           // no warning when the socket cannot be made
  bool debug = false;           // say where the socket is
  // The run's writable roots: a control directory beneath one is refused (ctl_dir.h).
  std::vector<std::string> sandbox_writable;
};

// "paddock: warning: no control socket for this run ...: why" on stderr, unless quiet.
void warn_no_control_socket(const std::string& why, bool quiet);

class ControlServer {
 public:
  static Result<std::unique_ptr<ControlServer>> start(std::shared_ptr<RunControl> control,
                                                      std::string id, ServerOptions opts);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;
  void stop();  // idempotent; joins the thread, which removes the socket
  // Tells the thread to end without waiting for it (stop() then only joins).
  void request_stop();

 private:
  ControlServer() = default;
  void run();
  // Makes the directory and the listening socket; false (after warning) when it cannot.
  bool listen_on_socket();
  void serve();
  void remove_socket();

  std::shared_ptr<RunControl> control_;
  std::string id_;
  ServerOptions opts_;
  UniqueFd wake_;  // eventfd: stop
  UniqueFd dir_;
  UniqueFd listener_;
  dev_t sock_dev_ = 0;
  ino_t sock_ino_ = 0;
  std::thread thread_;
  bool stopped_ = false;
  bool stop_requested_ = false;
};

}  // namespace paddock::control
