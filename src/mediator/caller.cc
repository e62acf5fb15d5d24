#include "mediator/caller.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "base/kernel_abi.h"

namespace paddock::mediator {

std::string Caller::proc(const std::string& rest) const {
  return "/proc/" + std::to_string(tid()) + "/" + rest;
}

Out<std::string> Caller::read_string(uint64_t addr) const {
  if (addr == 0) return CallError{EFAULT};
  std::string out;
  char buf[512];
  while (out.size() <= PATH_MAX) {
    size_t to_page = 4096 - (addr % 4096);
    size_t want = std::min(sizeof buf, to_page);
    iovec local{buf, want};
    iovec remote{reinterpret_cast<void*>(addr), want};
    ssize_t n = ::process_vm_readv(tid(), &local, 1, &remote, 1, 0);
    if (n <= 0) return CallError{EFAULT};
    void* nul = std::memchr(buf, 0, size_t(n));
    if (nul != nullptr) {
      out.append(buf, size_t(static_cast<char*>(nul) - buf));
      return out;
    }
    out.append(buf, size_t(n));
    addr += uint64_t(n);
  }
  return CallError{ENAMETOOLONG};
}

Out<std::vector<char>> Caller::read_bytes(uint64_t addr, size_t len) const {
  std::vector<char> data(len);
  if (len == 0) return data;
  iovec local{data.data(), len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  if (::process_vm_readv(tid(), &local, 1, &remote, 1, 0) != ssize_t(len)) return CallError{EFAULT};
  return data;
}

Out<sockaddr_storage> Caller::read_sockaddr(uint64_t addr, socklen_t len) const {
  if (len > sizeof(sockaddr_storage)) return CallError{EINVAL};
  sockaddr_storage ss{};
  if (len == 0) return ss;
  iovec local{&ss, len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  if (::process_vm_readv(tid(), &local, 1, &remote, 1, 0) != ssize_t(len)) return CallError{EFAULT};
  return ss;
}

bool Caller::still_valid() const {
  uint64_t id = req_.id;
  return ::ioctl(notify_, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

namespace {

std::optional<std::string> pread_all(int fd) {
  char buf[4096];
  ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  if (n <= 0) return std::nullopt;
  return std::string(buf, size_t(n));
}

}  // namespace

const std::string& Caller::status_text() const {
  if (status_) return *status_;
  for (bool fresh : {false, true}) {
    std::shared_ptr<const UniqueFd> fd;
    UniqueFd own;
    if (tasks_ != nullptr) {
      fd = tasks_->status(tid(), fresh);
    } else {
      own.reset(::open(proc("status").c_str(), O_RDONLY | O_CLOEXEC));
    }
    int f = fd ? fd->get() : own.get();
    if (f < 0) break;
    // A cached descriptor of a thread that has gone answers ESRCH: ask again, fresh.
    if (auto text = pread_all(f)) {
      status_ = std::move(*text);
      return *status_;
    }
    if (tasks_ == nullptr) break;
  }
  status_ = std::string();
  return *status_;
}

std::string Caller::status_field(const char* key) const {
  const std::string& text = status_text();
  // Keys start a line; a match elsewhere (inside the Name: field, which the caller chooses)
  // must not count.
  size_t klen = std::strlen(key);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    if (text.compare(pos, klen, key) == 0) {
      size_t v = pos + klen;
      while (v < eol && (text[v] == ' ' || text[v] == '\t')) ++v;
      return text.substr(v, eol - v);
    }
    pos = eol + 1;
  }
  return {};
}

mode_t Caller::umask() const {
  std::string u = status_field("Umask:");
  unsigned v = 022;
  if (!u.empty()) {
    auto [end, ec] = std::from_chars(u.data(), u.data() + u.size(), v, 8);
    if (ec != std::errc()) v = 022;
  }
  return mode_t(v) & 0777;
}

namespace {
std::string last_field(const std::string& line) {
  size_t last = line.find_last_of(" \t");
  return last == std::string::npos ? line : line.substr(last + 1);
}
}  // namespace

std::string Caller::name() const {
  return status_field("Name:");
}

std::string Caller::ns_tgid() const {
  return last_field(status_field("NStgid:"));
}

std::string Caller::ns_tid() const {
  return last_field(status_field("NSpid:"));
}

Out<std::shared_ptr<const TaskCache::Pidfd>> Caller::pidfd(bool fresh) {
  if (!fresh && tasks_ != nullptr)
    if (auto p = tasks_->pidfd(tid())) return p;
  auto p = std::make_shared<TaskCache::Pidfd>();
  // A pidfd for the waiting thread itself: its descriptor table is the one the call names
  // (a thread may even have one of its own, cloned without CLONE_FILES).
  p->fd.reset(int(::syscall(kabi::NR_pidfd_open, tid(), kabi::PIDFD_THREAD)));
  if (!p->fd.valid()) {
    if (errno != EINVAL) return CallError{errno == ESRCH ? ESRCH : errno};
    // Before Linux 6.9 pidfds name thread groups only: use the group, then check that each
    // copy is the thread's own descriptor.
    std::string tgid = status_field("Tgid:");
    pid_t pid = 0;
    auto [end, ec] = std::from_chars(tgid.data(), tgid.data() + tgid.size(), pid);
    if (ec != std::errc() || pid <= 0) return CallError{ESRCH};
    p->fd.reset(int(::syscall(kabi::NR_pidfd_open, pid, 0)));
    if (!p->fd.valid()) return CallError{errno};
    p->group = true;
  }
  // A thread-group pidfd is not kept: its group may be another by the time its tid returns.
  if (tasks_ != nullptr && !p->group) tasks_->set_pidfd(tid(), p);
  return std::shared_ptr<const TaskCache::Pidfd>(p);
}

Out<UniqueFd> Caller::fd(int theirs) {
  if (theirs < 0) return CallError{EBADF};
  for (bool fresh : {false, true}) {
    if (!pidfd_ || fresh) {
      auto p = pidfd(fresh);
      if (!p.ok()) return CallError{p.err};
      pidfd_ = std::move(p.value);
    }
    int ours = int(::syscall(kabi::NR_pidfd_getfd, pidfd_->fd.get(), theirs, 0));
    if (ours < 0) {
      // A cached pidfd of a thread that has gone: once more with a fresh one.
      if (errno == ESRCH && !fresh) continue;
      return CallError{errno};
    }
    UniqueFd copy(ours);
    if (pidfd_->group) {
      struct stat a, b;
      std::string p = proc("fd/" + std::to_string(theirs));
      if (::fstat(copy.get(), &a) != 0 || ::stat(p.c_str(), &b) != 0 || a.st_dev != b.st_dev ||
          a.st_ino != b.st_ino)
        return CallError{EBADF};
    }
    return copy;
  }
  return CallError{ESRCH};
}

}  // namespace paddock::mediator
