#include "mediator/mediator.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "base/kernel_abi.h"
#include "mediator/call.h"
#include "mediator/dispatch.h"

namespace paddock::mediator {

namespace {

// Threads that take calls (leader and followers: one waits for the next call while the others
// serve). One: every hand-over to a follower is a futex wake-up of an idle CPU, +8 µs on each
// call of a serial workload (chmod 16 -> 25 µs), while two receivers gained only ~10% on two
// processes creating files at once on 2 CPUs. Calls that can wait on the sandbox run on the
// workers, so one receiver is never held up by anything the sandbox controls.
constexpr unsigned kReceivers = 1;
// Threads that finish calls which wait (a sandbox can make many wait at once).
constexpr unsigned kMaxWorkers = 64;

}  // namespace

struct Mediator::Shared {
  Shared(UniqueFd notify, const FsPolicy& policy, SocketRules sockets)
      : ctx{policy,
            std::move(sockets),
            {},
            {},
            {},
            Workers::create(kMaxWorkers),
            std::make_shared<const UniqueFd>(std::move(notify))} {}

  Context ctx;
  UniqueFd stop_event;
  std::atomic<bool> stopping{false};
  std::atomic<unsigned> serving{0};  // calls taken and not yet answered
  std::mutex receive_mu;             // held by the one thread waiting for the next call
  std::mutex done_mu;
  std::condition_variable done_cv;
  unsigned running = 0;
  // A thread that could not become the sandbox's agent: why, and who is told (before start()).
  std::mutex failure_mu;
  std::optional<Error> failure;
  std::function<void()> on_failure;

  void receive();
  void failed(Error e) {
    {
      std::lock_guard<std::mutex> g(failure_mu);
      if (!failure) failure = std::move(e);
    }
    if (on_failure) on_failure();
  }
  void serve(seccomp_notif& req);
  void exited() {
    std::lock_guard<std::mutex> g(done_mu);
    --running;
    done_cv.notify_all();
  }
};

namespace {

// This thread acts for the sandbox: its own umask and cwd, and no capabilities, so a root
// supervisor writes with exactly the rights the sandbox's root has (none beyond uid 0's DAC).
Status become_sandbox_agent() {
  if (::unshare(CLONE_FS) != 0) return sys_error("unshare(CLONE_FS)", "mediator thread");
  ::umask(0);
  __user_cap_header_struct hdr{};
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  __user_cap_data_struct caps[2]{};
  if (::syscall(SYS_capset, &hdr, caps) != 0) return sys_error("capset", "mediator thread");
  return ok_status();
}

}  // namespace

void Mediator::Shared::serve(seccomp_notif& req) {
  Caller caller(ctx.notify_fd(), req, &ctx.tasks);
  Call call{ctx, caller};
  auto result = [&]() -> Out<long> {
    // Handlers return errors as values; an exception here can only be an allocation failure or
    // a failed thread start, and must not end the supervisor.
    try {
      return dispatch(call);
    } catch (...) {
      return CallError{ENOMEM};
    }
  }();
  if (call.answered) return;
  if (result.ok())
    answer_value(ctx.notify_fd(), req.id, result.value);
  else
    answer_error(ctx.notify_fd(), req.id, result.err);
}

void Mediator::Shared::receive() {
  seccomp_notif_sizes sizes{};
  if (::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) return exited();
  std::vector<char> buf(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
  int notify = ctx.notify_fd();
  for (;;) {
    std::unique_lock<std::mutex> leader(receive_mu);
    if (stopping) break;
    pollfd p[2] = {{notify, POLLIN, 0}, {stop_event.get(), POLLIN, 0}};
    int n = ::poll(p, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents || stopping) break;
    if (p[0].revents & (POLLHUP | POLLERR | POLLNVAL)) break;  // no sandboxed process left
    if (!(p[0].revents & POLLIN)) continue;
    std::memset(buf.data(), 0, buf.size());
    auto* req = reinterpret_cast<seccomp_notif*>(buf.data());
    if (::ioctl(notify, SECCOMP_IOCTL_NOTIF_RECV, req) != 0) continue;  // the caller died
    leader.unlock();
    // Counted before `stopping` is read, as stop_when_idle() sets it before reading the count:
    // one of the two always sees the other.
    ++serving;
    if (stopping) {
      answer_error(notify, req->id, EINTR);
      --serving;
      break;
    }
    serve(*req);
    --serving;
  }
  stopping = true;
  exited();
}

Mediator::Mediator(UniqueFd notify_fd, const FsPolicy& policy, SocketRules sockets)
    : shared_(std::make_shared<Shared>(std::move(notify_fd), policy, std::move(sockets))) {}

Mediator::~Mediator() {
  stop();
}

Status Mediator::start(UniqueFd root) {
  Context& ctx = shared_->ctx;
  ctx.root = std::move(root);
  if (!ctx.root.valid()) return plain_error("write mediation", "no sandbox root");
  for (const char* t : {"tmp", "var/tmp", "dev/shm"}) {
    struct stat st;
    if (::fstatat(ctx.root.get(), t, &st, 0) == 0) ctx.private_devs.insert(st.st_dev);
  }
  // The home layer's mounts: what the sandbox writes there stays in paddock's layer (overlayfs
  // mounted with xino, so every file on one reports the overlay's device).
  for (const auto& m : ctx.policy.home_layer.mounts) {
    kabi::open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = kabi::RESOLVE_IN_ROOT | kabi::RESOLVE_NO_SYMLINKS | kabi::RESOLVE_NO_MAGICLINKS;
    UniqueFd fd(int(::syscall(kabi::NR_openat2, ctx.root.get(), m.c_str(), &how, sizeof how)));
    struct stat st;
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0)
      return sys_error("open", m, errno, "the home layer, in the sandbox's view");
    ctx.private_devs.insert(st.st_dev);
  }
  shared_->stop_event.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!shared_->stop_event.valid()) return sys_error("eventfd", "write mediator");
  // Linux 6.6+: wake our thread on the CPU the caller just left instead of a cross-CPU wake-up
  // (a round trip of ~5 µs instead of ~50 µs here). Older kernels lack it; nothing else changes.
  if (::ioctl(ctx.notify_fd(), kabi::NOTIF_SET_FLAGS_IOCTL, kabi::USER_NOTIF_FD_SYNC_WAKE_UP) !=
          0 &&
      errno != EINVAL && errno != ENOTTY)
    return sys_error("ioctl(SECCOMP_IOCTL_NOTIF_SET_FLAGS)", "write mediator");
  // Not waited for: the first call is already waiting, and a wait for the thread's word would
  // add a wake-up of this thread's CPU (~0.1-0.3 ms on a virtual machine) before it is served.
  // A thread that cannot act for the sandbox serves nothing: it says why and has the sandbox
  // ended (set_on_failure), so no call is left waiting and the run fails with that reason.
  for (unsigned i = 0; i < kReceivers; ++i) {
    {
      std::lock_guard<std::mutex> g(shared_->done_mu);
      ++shared_->running;
    }
    threads_.emplace_back([s = shared_]() {
      Status st = become_sandbox_agent();
      if (!st.ok()) {
        s->failed(st.error());
        return s->exited();
      }
      s->receive();
    });
  }
  return ok_status();
}

bool Mediator::stop_when_idle() {
  if (threads_.empty()) return true;
  shared_->stopping = true;
  return shared_->serving == 0;
}

std::optional<Error> Mediator::failure() const {
  std::lock_guard<std::mutex> g(shared_->failure_mu);
  return shared_->failure;
}

void Mediator::set_on_failure(std::function<void()> f) {
  shared_->on_failure = std::move(f);
}

void Mediator::stop() {
  if (threads_.empty()) return;
  shared_->stopping = true;
  uint64_t one = 1;
  if (::write(shared_->stop_event.get(), &one, sizeof one) < 0) {
    // an eventfd write cannot fail here (counter far from overflow)
  }
  shared_->ctx.workers->stop();
  bool all_out;
  {
    std::unique_lock<std::mutex> g(shared_->done_mu);
    all_out = shared_->done_cv.wait_for(g, std::chrono::milliseconds(500),
                                        [this] { return shared_->running == 0; });
  }
  // A thread can only still be here if the kernel holds it in a receive that nothing will
  // answer (the sandbox is gone): leave it; it owns what it uses and ends with the process.
  for (auto& t : threads_) {
    if (all_out)
      t.join();
    else
      t.detach();
  }
  threads_.clear();
}

std::map<std::string, unsigned> Mediator::denials() const {
  return shared_->ctx.records.denials();
}

void Mediator::set_git_judge(GitContentJudge judge) {
  shared_->ctx.git_content = std::move(judge);
}

void Mediator::set_refusal_sink(Records::Sink sink) {
  shared_->ctx.records.set_sink(std::move(sink));
}

}  // namespace paddock::mediator
