#include "proxy/io/relay.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace paddock::proxy {
namespace {

// Pipes start at the kernel default (16 slots): most relayed bodies are small, and a thousand idle
// tunnels should not pin more. A splice that moves this much marks a bulk transfer, and the pipe
// grows to kBulkPipeSize: fewer, larger splices, and more bytes in flight between the two TCP
// connections, so neither waits on the proxy as often (measured: about +20% on a loopback
// download). Refused (pipe-user-pages-soft reached, a lower pipe-max-size) is fine: the pipe keeps
// working at its size.
constexpr std::size_t kGrowAfterBytes = 64 * 1024;
constexpr int kBulkPipeSize = 1024 * 1024;
// Asked of each splice into the pipe. A slot holds a whole socket buffer fragment (up to 32 KiB),
// so a pipe can take more than its nominal size; the cap bounds what a connection holds in the pipe
// beyond its socket buffers (the pipe is refilled only once empty), whatever the slots could take.
constexpr std::size_t kSpliceAsk = kBulkPipeSize;
constexpr std::size_t kChunkedReadBytes = 16 * 1024;
constexpr std::size_t kShrinkAbove = 64 * 1024;

bool would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK;
}

}  // namespace

void Channel::reset() {
  src_ = dst_ = -1;
  src_ready_ = nullptr;
  mode_ = BodyMode::Idle;
  remaining_ = 0;
  framer_ = ChunkedFramer{};
  out_.clear();
  out_off_ = 0;
  if (out_.capacity() > kShrinkAbove) out_.shrink_to_fit();
  overflow_.clear();
  if (pipe_bytes_ > 0) {  // bytes in flight belong to a message that is being dropped
    pipe_r_.reset();
    pipe_w_.reset();
    pipe_bytes_ = 0;
    pipe_grown_ = false;
  }
  src_eof_ = false;
  delivered_ = 0;
  error_.clear();
  errno_ = 0;
}

void Channel::queue(std::string_view bytes) {
  out_.append(bytes);
}

void Channel::start_body(BodyMode mode, uint64_t length) {
  mode_ = mode;
  remaining_ = length;
  framer_ = ChunkedFramer{};
  src_eof_ = false;
  if (mode == BodyMode::Length && length == 0) mode_ = BodyMode::Idle;
}

std::size_t Channel::feed(std::string_view bytes) {
  switch (mode_) {
    case BodyMode::Idle:
      return 0;
    case BodyMode::Length: {
      const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(remaining_, bytes.size()));
      out_.append(bytes.substr(0, n));
      remaining_ -= n;
      if (remaining_ == 0) mode_ = BodyMode::Idle;
      return n;
    }
    case BodyMode::Chunked: {
      const ChunkedFramer::Step s = framer_.feed(bytes);
      out_.append(bytes.substr(0, s.consumed));
      if (s.error) return s.consumed;  // pump() reports it
      if (s.done) mode_ = BodyMode::Idle;
      return s.consumed;
    }
    case BodyMode::UntilEof:
      out_.append(bytes);
      return bytes.size();
  }
  return 0;
}

std::string Channel::take_overflow() {
  return std::exchange(overflow_, std::string());
}

PumpResult Channel::fail(PumpResult r, int err, std::string why) {
  errno_ = err;
  error_ = std::move(why);
  return r;
}

bool Channel::ensure_pipe() {
  if (pipe_r_.valid()) return true;
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return false;
  pipe_r_.reset(fds[0]);
  pipe_w_.reset(fds[1]);
  return true;
}

void Channel::grow_pipe() {
  // Tried once per pipe: a refusal would not change while the channel lives.
  pipe_grown_ = true;
  // EINVAL: above pipe-max-size (then a quarter may pass); EPERM: past pipe-user-pages-soft. Either
  // way the pipe keeps working at the size it has.
  for (const int size : {kBulkPipeSize, kBulkPipeSize / 4}) {
    if (fcntl(pipe_w_.get(), F_SETPIPE_SZ, size) >= 0) return;
  }
}

// Delivers queued bytes, then what sits in the pipe. Blocked when dst is full.
PumpResult Channel::flush() {
  while (out_off_ < out_.size()) {
    const ssize_t n =
        ::send(dst_, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (would_block(errno)) return PumpResult::Blocked;
      return fail(PumpResult::DstError, errno, std::string("send: ") + std::strerror(errno));
    }
    out_off_ += static_cast<std::size_t>(n);
    delivered_ += static_cast<uint64_t>(n);
  }
  if (out_off_ > 0) {
    out_.clear();
    out_off_ = 0;
    if (out_.capacity() > kShrinkAbove) out_.shrink_to_fit();
  }
  while (pipe_bytes_ > 0) {
    const ssize_t n = splice(pipe_r_.get(), nullptr, dst_, nullptr, pipe_bytes_,
                             SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (would_block(errno)) return PumpResult::Blocked;
      return fail(PumpResult::DstError, errno, std::string("splice: ") + std::strerror(errno));
    }
    pipe_bytes_ -= static_cast<std::size_t>(n);
    delivered_ += static_cast<uint64_t>(n);
  }
  return PumpResult::Done;
}

PumpResult Channel::pump(std::size_t budget) {
  std::size_t moved = 0;
  while (true) {
    const uint64_t before = delivered_;
    if (PumpResult r = flush(); r != PumpResult::Done) return r;
    moved += static_cast<std::size_t>(delivered_ - before);

    if (mode_ == BodyMode::Chunked && framer_.failed()) {
      return fail(PumpResult::BadFraming, 0, "malformed chunked body: " + framer_.error_reason());
    }
    if (mode_ == BodyMode::Idle) return PumpResult::Done;
    if (src_eof_) {
      if (mode_ == BodyMode::UntilEof) return PumpResult::Eof;
      return fail(PumpResult::SrcError, 0, "connection closed before the end of the body");
    }
    if (src_ < 0) return PumpResult::Blocked;
    if (src_ready_ != nullptr && !src_ready_->may_read()) return PumpResult::Blocked;
    if (moved >= budget) return PumpResult::Yield;

    if (mode_ == BodyMode::Chunked) {
      char buf[kChunkedReadBytes];
      const ssize_t n = ::recv(src_, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (would_block(errno)) {
          mark_src_empty();
          return PumpResult::Blocked;
        }
        return fail(PumpResult::SrcError, errno, std::string("recv: ") + std::strerror(errno));
      }
      if (n == 0) {
        src_eof_ = true;
        continue;
      }
      // A short read took all TCP held: what comes later raises a new event.
      if (static_cast<std::size_t>(n) < sizeof buf) mark_src_empty();
      const std::string_view got(buf, static_cast<std::size_t>(n));
      const std::size_t used = feed(got);
      if (used < got.size() && !framer_.failed()) overflow_.append(got.substr(used));
      continue;
    }

    // Length or UntilEof: splice src -> pipe (the flush above empties it into dst).
    if (!ensure_pipe()) {
      return fail(PumpResult::SrcError, errno, std::string("pipe2: ") + std::strerror(errno));
    }
    std::size_t want = kSpliceAsk;
    if (mode_ == BodyMode::Length)
      want = static_cast<std::size_t>(std::min<uint64_t>(want, remaining_));
    const ssize_t n =
        splice(src_, nullptr, pipe_w_.get(), nullptr, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (would_block(errno)) {
        // Either src is empty or the pipe is full; a non-empty pipe is flushed first.
        if (pipe_bytes_ > 0) continue;
        mark_src_empty();
        return PumpResult::Blocked;
      }
      return fail(PumpResult::SrcError, errno, std::string("splice: ") + std::strerror(errno));
    }
    if (n == 0) {
      src_eof_ = true;
      continue;
    }
    pipe_bytes_ += static_cast<std::size_t>(n);
    if (!pipe_grown_ && static_cast<std::size_t>(n) >= kGrowAfterBytes) grow_pipe();
    if (mode_ == BodyMode::Length) {
      remaining_ -= static_cast<uint64_t>(n);
      if (remaining_ == 0) mode_ = BodyMode::Idle;  // flushed on the next round
    }
  }
}

}  // namespace paddock::proxy
