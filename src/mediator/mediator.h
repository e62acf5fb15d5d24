#pragma once
// The supervisor's half of write mediation. The seccomp filter hands every call that can create
// a name, open for writing, change a mode or an extended attribute, or address a socket to these
// threads; they read their own copy of the arguments, resolve paths in the sandbox's root, judge
// the landing place (protected names, writable roots), and perform the call themselves, through
// descriptors pinned during the judgement. The kernel never continues a call whose arguments we
// checked, so a second thread rewriting them after the check changes nothing.
//
// Liveness: nothing a sandboxed process sends may end or wedge the supervisor. Decoding never
// throws; calls that may wait (FIFOs, blocking connects, full sockets, leases) are finished by
// workers (mediator/workers.h); stop() never waits for them.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "mediator/context.h"
#include "policy/fs_policy.h"

namespace paddock::mediator {

class Mediator {
 public:
  Mediator(UniqueFd notify_fd, const FsPolicy& policy, SocketRules sockets);
  ~Mediator();
  Mediator(const Mediator&) = delete;
  Mediator& operator=(const Mediator&) = delete;

  // `root` is the sandbox's root directory (O_PATH), where every path is resolved. Returns once
  // the threads are started, without waiting for them: see failure().
  Status start(UniqueFd root);
  // Why a thread could not act for the sandbox (and so served nothing), if one could not.
  std::optional<Error> failure() const;
  // Called on the failing thread when failure() is set: the caller ends the sandbox there, so
  // that nothing waits for a call no thread will serve (before start()).
  void set_on_failure(std::function<void()> f);
  // Stops serving. Returns promptly even when a call performed for the sandbox still waits.
  void stop();
  // For a process about to end: no call is taken from here on. True when none is being served:
  // the threads may then be left to end with the process (stopping them wakes them, ~0.05-0.3
  // ms). False: the caller must stop() (a call cut off half done would leave its file half
  // made). Nothing may use this mediator afterwards but stop(), denials() and failure().
  bool stop_when_idle();

  // Refused calls, deduplicated: "what path (reason)" -> count. Names in them were chosen by
  // the sandbox: print them through printable() (base/printable.h).
  std::map<std::string, unsigned> denials() const;

  // The judge of content installed at git control paths (before start()).
  void set_git_judge(GitContentJudge judge);
  // Told of each refusal as it happens (before start(); see Records::Sink).
  void set_refusal_sink(Records::Sink sink);

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::vector<std::thread> threads_;
};

}  // namespace paddock::mediator
