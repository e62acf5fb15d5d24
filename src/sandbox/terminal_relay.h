#pragma once
// --ask on the user's terminal (issue 13 item 2; docs/ARCHITECTURE.md, "Asking on the terminal").
//
// A question cannot share a terminal with the sandbox. Whatever holds a descriptor of the user's
// terminal can read the keystrokes meant for the prompt, change its modes, and (in the user's
// session, ignoring SIGTTOU) make itself the foreground group again; a look-alike prompt printed
// by the command would then collect the answer. So with --ask, when paddock has a controlling
// terminal and is in its foreground, the command runs on a pty of paddock's own: its stdin,
// stdout and stderr that were the user's terminal become the slave (shown inside at its own
// /dev/pts/N), the slave is its controlling terminal, and nothing inside is left in the user's
// session (sandbox/launcher.cc, init.cc). The supervisor relays between the two terminals on one
// thread, the way ssh and script do:
//
//   - stdin was the user's terminal: the terminal is in raw mode for the whole run and every
//     keystroke goes to the pty (whose line discipline, with the user's own modes, makes Ctrl-C a
//     SIGINT of the command's foreground group). Otherwise nothing is read from the terminal
//     outside a question, and the terminal keeps its modes.
//   - the pty's output goes to the terminal, except while a question is on the screen: then
//     nothing is read from the pty (the command blocks once its buffer is full) and what it
//     wrote is shown after the answer.
//   - while a question is on the screen, keystrokes are read by the prompt and never reach the
//     pty (ask/terminal_prompt.h); the command's own reads get only what is typed after.
//   - SIGWINCH: the terminal's size is copied to the pty (the kernel signals the command).
//     SIGCONT (paddock stopped and continued): raw mode is set again.
//
// The terminal's modes are saved before anything changes them and set back exactly when the run
// ends, on error paths too (the destructor); a question taken down early (answered on the agent
// channel, timed out) leaves one line saying how it ended.
#include <sys/types.h>
#include <termios.h>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "ask/terminal_keys.h"
#include "ask/terminal_prompt.h"
#include "base/result.h"
#include "base/unique_fd.h"
#include "proxy/decide/ask_broker.h"

namespace paddock {

// The controlling terminal, opened afresh (read-write, close-on-exec, not made controlling),
// when there is one and paddock's process group is its foreground group; invalid otherwise (no
// terminal, a background job, a harness that runs paddock beside its own screen): a question
// could not be read there.
UniqueFd open_user_terminal();

class TerminalRelay {
 public:
  // Opens paddock's pty (the host's /dev/ptmx) and gives the slave the terminal's modes and size.
  static Result<std::unique_ptr<TerminalRelay>> create(UniqueFd user_terminal);
  ~TerminalRelay();
  TerminalRelay(const TerminalRelay&) = delete;
  TerminalRelay& operator=(const TerminalRelay&) = delete;

  // For the spec: the slave (the supervisor keeps this copy open for the run, so that the
  // pty never reads as hung up while the command has none open), and which of fds 0-2 were the
  // user's terminal (bit i for fd i).
  int slave() const { return slave_.get(); }
  uint8_t stdio_mask() const { return stdio_mask_; }
  // The descriptors the command will have as 0-2, for stdio_ptys().
  std::array<int, 3> command_stdio() const;

  // After the supervisor has taken its signal mask and before any thread of the run starts:
  // blocks SIGWINCH and SIGCONT (read from a signalfd), sets raw mode when relaying keystrokes,
  // and starts the relay's thread.
  Status start();
  // The broker's front: questions are shown one at a time (before the first ask()).
  void attach(const std::shared_ptr<proxy::AskBroker>& broker);
  // A signal the user's terminal sent paddock (SI_KERNEL), sent on by paddock's pty to its
  // foreground process group (TIOCSIG). False when the pty is gone.
  bool signal_foreground(int sig);
  // The command has ended (init reaped): shows what it wrote last, takes down a question still on
  // the screen, sets the terminal's modes back and joins the thread. Also from the destructor.
  void stop();

 private:
  struct Inbox;
  TerminalRelay() = default;
  void run();
  void take_events();
  void show_next();
  void read_terminal();
  void read_pty(short revents);
  void write_terminal();
  void write_pty();
  void on_keys(const std::vector<ask::TerminalKey>& keys);
  void handle_signals();
  void terminal_gone();
  void close_pty();
  void flush_terminal(std::chrono::milliseconds within);
  void set_raw(bool raw);
  void copy_window_size();
  void finish();

  UniqueFd tty_;     // the user's terminal, non-blocking (our own open file description)
  UniqueFd master_;  // paddock's pty, non-blocking
  UniqueFd slave_;
  UniqueFd signals_;
  struct termios before_raw_ {};  // the terminal's modes when raw mode was set: set back exactly
  bool relay_keys_ = false;       // stdin was the user's terminal
  uint8_t stdio_mask_ = 0;
  bool raw_ = false;
  bool started_ = false;
  bool stopped_ = false;
  sigset_t blocked_{};  // the signals start() blocked (they were not blocked before)
  std::shared_ptr<Inbox> inbox_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex master_mu_;  // master_'s closing against signal_foreground()

  // The thread's own.
  bool tty_ok_ = true;
  bool pty_ok_ = true;
  std::string to_tty_;
  std::string to_pty_;
  char last_out_ = '\n';
  bool line_open_ = false;  // the question's line waits for its answer
  ask::TerminalKeyReader keys_;
  ask::PromptQueue queue_;
};

}  // namespace paddock
