#pragma once
// One direction of a relay: bytes from a source fd to a destination fd, both non-blocking sockets.
//
//   queued bytes  first: heads the proxy wrote itself, and body bytes that arrived with a head
//   then a body   read from src and written to dst until it ends:
//                   Length n    exactly n bytes (spliced through a pipe: no copy to user space)
//                   Chunked     framed by ChunkedFramer (copied through a small buffer, since the
//                               framer has to see the bytes); bytes read past the end are kept
//                               for the caller (take_overflow: the next pipelined request)
//                   UntilEof    everything until src ends (spliced)
//
// The pipe is created on first use and kept while the channel lives (kernel memory only while bytes
// are in flight); it starts at the kernel's default size and grows once a transfer shows itself to
// be bulk. User-space buffers grow only for queued bytes and chunked bodies, and are released when
// they drain.
//
// pump() moves as much as it can without blocking and says why it stopped. It never reads more
// from src while queued bytes wait for dst, so a slow destination holds back its source (TCP flow
// control does the rest) and memory stays bounded. Call it on every readiness event of either fd
// (the proxy registers both edge-triggered).
#include <sys/epoll.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/unique_fd.h"
#include "proxy/parse/chunked.h"

namespace paddock::proxy {

enum class BodyMode { Idle, Length, Chunked, UntilEof };

// What epoll (edge-triggered) has said about reading one socket, so a read that could only answer
// EAGAIN is not made: after each request and each response of a keep-alive exchange that is a
// syscall saved, and the check of an idle upstream connection before reuse another.
//
// A read that finds the socket empty (EAGAIN, or a short read: TCP hands over all the data it
// holds) records it; the next EPOLLIN event means more arrived. A peer's FIN is different: it can
// arrive with the last data, whose event then was the only one, and a short read stops before it.
// So an event that reports hang-up or error (EPOLLRDHUP, EPOLLHUP, EPOLLERR, sticky in the kernel
// too) makes the socket readable for good: the read that sees EOF or the error is always made.
struct Readiness {
  bool data = true;  // unknown at first: try
  bool hung_up = false;

  bool may_read() const { return data || hung_up; }
  void found_empty() { data = false; }
  void on_events(uint32_t events) {
    if ((events & EPOLLIN) != 0) data = true;
    if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) hung_up = true;
  }
  void reset() { *this = Readiness{}; }
};

enum class PumpResult {
  Blocked,     // waiting for src to become readable or dst writable
  Yield,       // moved its budget; call again soon (fairness between connections)
  Done,        // queued bytes and the body (if any) delivered; mode is Idle again
  Eof,         // UntilEof: src ended and everything read was delivered
  SrcError,    // reading src failed, or src ended before a Length/Chunked body did
  DstError,    // writing dst failed (peer gone)
  BadFraming,  // chunked body malformed; error() says why
};

class Channel {
 public:
  static constexpr std::size_t kDefaultBudget = 1 << 20;

  Channel() = default;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // src may be -1: nothing to read, only queued bytes to deliver. src_ready (may be null: always
  // try) is the owner's record of src's edge-triggered readiness: reads are skipped while it says
  // there is nothing, and the channel records it when a read finds src empty.
  void attach(int src, int dst, Readiness* src_ready = nullptr) {
    src_ = src;
    dst_ = dst;
    src_ready_ = src_ready;
  }
  int src() const { return src_; }
  int dst() const { return dst_; }

  // Back to a fresh channel (fds detached, queue and body dropped, count zeroed); the pipe is
  // kept when empty.
  void reset();
  void queue(std::string_view bytes);
  // Starts a body. For Length, length > 0.
  void start_body(BodyMode mode, uint64_t length = 0);
  // Bytes already read from src (after a head): takes those that belong to the body and returns
  // how many that was. Chunked bodies stop at their end; Length at its length; UntilEof takes all.
  std::size_t feed(std::string_view bytes);

  PumpResult pump(std::size_t budget = kDefaultBudget);

  BodyMode mode() const { return mode_; }
  // Nothing queued and no body in progress.
  bool idle() const { return mode_ == BodyMode::Idle && queued() == 0; }
  std::size_t queued() const { return out_.size() - out_off_ + pipe_bytes_; }
  // Bytes read from src past the end of a chunked body.
  std::string take_overflow();
  // Bytes written to dst since the last reset_count().
  uint64_t delivered() const { return delivered_; }
  void reset_count() { delivered_ = 0; }
  const std::string& error() const { return error_; }
  int error_errno() const { return errno_; }
  // Whether the last SrcError was a clean end of stream (EOF) rather than an errno.
  bool src_ended() const { return src_eof_; }

 private:
  PumpResult flush();
  PumpResult fail(PumpResult r, int err, std::string why);
  bool ensure_pipe();
  void mark_src_empty() {
    if (src_ready_ != nullptr) src_ready_->found_empty();
  }
  void grow_pipe();

  int src_ = -1;
  int dst_ = -1;
  Readiness* src_ready_ = nullptr;
  BodyMode mode_ = BodyMode::Idle;
  uint64_t remaining_ = 0;  // Length
  ChunkedFramer framer_;    // Chunked
  std::string out_;         // queued bytes, delivered from out_off_
  std::size_t out_off_ = 0;
  std::string overflow_;
  UniqueFd pipe_r_, pipe_w_;
  std::size_t pipe_bytes_ = 0;
  bool pipe_grown_ = false;
  bool src_eof_ = false;
  uint64_t delivered_ = 0;
  std::string error_;
  int errno_ = 0;
};

}  // namespace paddock::proxy
