#include "control/server.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <vector>

#include "control/ctl_dir.h"

namespace paddock::control {

namespace {

using Clock = std::chrono::steady_clock;

struct Client {
  UniqueFd fd;
  std::string in;
  std::string out;
  Clock::time_point deadline;
  bool closing = false;  // close once `out` is sent
};

// Sends what is queued; false when the connection is done for.
bool flush(Client& c) {
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    c.out.erase(0, size_t(n));
  }
  return !c.closing;
}

std::string refusal_line(std::string why) {
  Response r;
  r.ok = false;
  r.error = std::move(why);
  return format_response(r);
}

sockaddr_un unix_address(const std::string& name) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, name.c_str(), name.size() + 1);  // names are short: ID.sock
  return a;
}

}  // namespace

void warn_no_control_socket(const std::string& why, bool quiet) {
  if (!quiet)
    std::fprintf(stderr,
                 "paddock: warning: no control socket for this run (paddock ctl will not find "
                 "it): %s\n",
                 why.c_str());
}

Result<std::unique_ptr<ControlServer>> ControlServer::start(std::shared_ptr<RunControl> control,
                                                            std::string id, ServerOptions opts) {
  std::unique_ptr<ControlServer> s(new ControlServer());
  s->control_ = std::move(control);
  s->id_ = std::move(id);
  s->opts_ = std::move(opts);
  s->wake_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!s->wake_.valid()) return sys_error("eventfd", "control socket");
  try {
    s->thread_ = std::thread([p = s.get()] { p->run(); });
  } catch (const std::system_error& e) {
    return plain_error("start control thread", e.what());
  }
  return s;
}

ControlServer::~ControlServer() {
  stop();
}

void ControlServer::request_stop() {
  if (stop_requested_) return;
  stop_requested_ = true;
  const uint64_t one = 1;
  if (::write(wake_.get(), &one, sizeof one) != sizeof one) {
    // The eventfd cannot be full after one write.
  }
}

void ControlServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  request_stop();
  if (thread_.joinable()) thread_.join();
}

void ControlServer::run() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  if (!listen_on_socket()) return;
  serve();
  remove_socket();
}

bool ControlServer::listen_on_socket() {
  auto warn = [this](const std::string& why) {
    warn_no_control_socket(why, opts_.quiet);
    return false;
  };
  // The umask and the working directory below are this thread's alone.
  if (::unshare(CLONE_FS) != 0) return warn(sys_error("unshare", "CLONE_FS").message());
  ::umask(077);
  auto dir = make_control_dir(opts_.xdg_runtime_dir, opts_.sandbox_writable);
  if (!dir) return warn(dir.error().message());
  dir_ = std::move(dir->fd);
  const std::string name = socket_name(id_);
  const std::string temp = id_ + ".new";
  const std::string where = dir->path + "/" + name;
  if (::fchdir(dir_.get()) != 0) return warn(sys_error("chdir", dir->path).message());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return warn(sys_error("socket", where).message());
  sockaddr_un a = unix_address(temp);
  ::unlinkat(dir_.get(), temp.c_str(), 0);  // one a killed run left
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    return warn(sys_error("bind", dir->path + "/" + temp).message());
  struct stat st {};
  if (::fchmodat(dir_.get(), temp.c_str(), 0600, 0) != 0 ||
      ::fstatat(dir_.get(), temp.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
      ::listen(fd.get(), int(kMaxClients)) != 0) {
    const Error e = sys_error("set up", dir->path + "/" + temp);
    ::unlinkat(dir_.get(), temp.c_str(), 0);
    return warn(e.message());
  }
  // Ids are random (48 bits): a name taken already is a leftover of a killed run, or a clash
  // not worth more than refusing.
  if (::renameat2(dir_.get(), temp.c_str(), dir_.get(), name.c_str(), RENAME_NOREPLACE) != 0) {
    const Error e = sys_error("rename", where);
    ::unlinkat(dir_.get(), temp.c_str(), 0);
    return warn(e.message());
  }
  sock_dev_ = st.st_dev;
  sock_ino_ = st.st_ino;
  listener_ = std::move(fd);
  if (opts_.debug)
    std::fprintf(stderr, "paddock: control socket %s (paddock ctl show %s)\n", where.c_str(),
                 id_.c_str());
  return true;
}

void ControlServer::remove_socket() {
  const std::string name = socket_name(id_);
  struct stat st {};
  // Only our own: the name could have been removed (paddock ctl list takes stale ones) and
  // taken again meanwhile.
  if (::fstatat(dir_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      st.st_dev == sock_dev_ && st.st_ino == sock_ino_)
    ::unlinkat(dir_.get(), name.c_str(), 0);
}

void ControlServer::serve() {
  const uid_t euid = ::geteuid();
  std::vector<Client> clients;
  std::vector<pollfd> fds;
  char buf[4096];
  for (;;) {
    fds.clear();
    fds.push_back({wake_.get(), POLLIN, 0});
    fds.push_back({listener_.get(), POLLIN, 0});
    for (const auto& c : clients)
      fds.push_back({c.fd.get(), short(POLLIN | (c.out.empty() ? 0 : POLLOUT)), 0});
    const int n = ::poll(fds.data(), fds.size(), clients.empty() ? -1 : 1000);
    if (n < 0 && errno != EINTR) return;
    if (fds[0].revents) return;
    const Clock::time_point now = Clock::now();
    const size_t polled = clients.size();
    if (fds[1].revents & POLLIN) {
      for (;;) {
        UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd.valid()) break;
        ucred cred{};
        socklen_t len = sizeof cred;
        Client c{std::move(fd), {}, {}, now + kIdle, false};
        if (::getsockopt(c.fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
            cred.uid != euid) {
          c.out = refusal_line("this sandbox is controlled only by the user who started it");
          c.closing = true;
          flush(c);  // one try: nothing more is owed to a stranger
          continue;
        }
        if (clients.size() >= kMaxClients) {
          c.out = refusal_line("too many paddock ctl connections at once; try again");
          c.closing = true;
          flush(c);
          continue;
        }
        clients.push_back(std::move(c));
      }
    }
    std::vector<bool> done(clients.size(), false);
    for (size_t i = 0; i < clients.size(); ++i) {
      Client& c = clients[i];
      if (i < polled && (fds[2 + i].revents & (POLLIN | POLLHUP | POLLERR))) {
        const ssize_t r = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
          done[i] = true;
          continue;
        }
        if (r > 0 && !c.closing) c.in.append(buf, size_t(r));
        for (size_t nl; !c.closing && (nl = c.in.find('\n')) != std::string::npos;) {
          const std::string line = c.in.substr(0, nl);
          c.in.erase(0, nl + 1);
          c.deadline = now + kIdle;
          auto req = parse_request(line);
          c.out += req ? format_response(control_->handle(*req)) : refusal_line(req.error().detail);
        }
        if (c.in.size() > kMaxRequestBytes) {
          c.out +=
              refusal_line("a request longer than " + std::to_string(kMaxRequestBytes) + " bytes");
          c.closing = true;
          c.in.clear();
        }
      }
      if (!done[i] && !flush(c)) done[i] = true;
      // A client that never reads its answers does not make us hold more than this.
      if (c.out.size() > 2 * kMaxResponseBytes || now >= c.deadline) done[i] = true;
    }
    size_t w = 0;
    for (size_t i = 0; i < clients.size(); ++i)
      if (!done[i]) clients[w++] = std::move(clients[i]);
    clients.resize(w);
  }
}

}  // namespace paddock::control
