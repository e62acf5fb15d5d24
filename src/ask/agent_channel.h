#pragma once
// --agent-channel FD: the agent harness's end of the conversation (docs/AGENT_CHANNEL.md). FD is
// one connected stream socket (a socketpair's end, or a unix socket the harness connected), read
// and written both ways; it is made close-on-exec at once and the sandbox side closes its copy
// right after the clone, so nothing inside can reach it.
//
// One thread: poll() on the socket and an eventfd. Lines from the agent are parsed
// (agent_messages.h) and handed to the AskBroker; a malformed one is ignored with a note on
// stderr. Lines to the agent are queued by any thread (send() never blocks, so a proxy thread
// or the mediator never waits for a slow agent) and written as the socket takes them; past
// kMaxQueuedBytes, "blocked" notices are dropped (counted, noted once) while questions never
// are (there are at most AskBrokerOptions::max_waiting of them). End of file or an error on the
// socket closes the channel: every open and later question is denied (AskBroker::close), unless
// someone else can still answer (the terminal, `sole_answerer` false).
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "base/unique_fd.h"
#include "proxy/decide/ask_broker.h"

namespace paddock::ask {

inline constexpr std::size_t kMaxQueuedBytes = std::size_t{1} << 20;

// Checks FD before anything runs: open, a stream socket; made close-on-exec. Errors name the
// flag and the descriptor (exit 125).
Result<UniqueFd> adopt_agent_channel_fd(int fd);

class AgentChannel {
 public:
  // broker: null when nothing is asked (--agent-channel without --ask: notices only).
  static Result<std::unique_ptr<AgentChannel>> start(UniqueFd fd,
                                                     std::shared_ptr<proxy::AskBroker> broker,
                                                     bool sole_answerer = true);
  ~AgentChannel();
  AgentChannel(const AgentChannel&) = delete;
  AgentChannel& operator=(const AgentChannel&) = delete;

  // Any thread; never blocks. droppable: a notice that may be lost when the agent lags.
  void send(std::string line, bool droppable);
  // Writes what is queued (for at most a second), stops reading and joins the thread; the
  // broker is not called after it returns. The socket is closed: the agent reads end of file.
  void stop();

 private:
  AgentChannel() = default;
  void run();
  void read_lines();
  void handle_line(std::string_view line);
  bool write_some();  // false: the socket failed
  void closed(const std::string& why);
  void wake();

  UniqueFd fd_;
  UniqueFd wake_fd_;
  std::shared_ptr<proxy::AskBroker> broker_;
  bool sole_answerer_ = true;
  std::thread thread_;
  std::mutex mu_;
  std::string out_;          // guarded by mu_
  std::size_t dropped_ = 0;  // guarded by mu_
  bool dropped_noted_ = false;
  bool open_ = true;  // guarded by mu_: false once the socket failed or hung up
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;
  std::string in_;
  bool skipping_ = false;  // inside an over-long line
  unsigned notes_ = 0;
};

}  // namespace paddock::ask
