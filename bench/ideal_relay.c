// ideal_relay: the least work any relay between two loopback TCP sockets can do, as a yardstick
// for paddock's proxy (bench/proxy_bench.py builds and runs it next to the proxy, with the same
// client, upstream and sizes).
//
//   ideal_relay LISTEN_PORT UPSTREAM_PORT [--pipe-size BYTES] [--cc NAME] [--threads N] [--copy]
//               [--spin-us N]
//
// Each accepted connection is joined to a fresh connection to 127.0.0.1:UPSTREAM_PORT and relayed
// both ways with splice(2) through a pipe per direction, edge-triggered epoll, until EAGAIN: no
// parsing, no policy, no copies. A connection whose first bytes are "CONNECT " gets its head read
// and a 200 reply first, so the same curl commands (-x, -p) work against it; an absolute-form
// request is forwarded as is (the bench's upstream accepts it). Whatever this reaches is the
// ceiling for paddock's proxy on the same machine: the proxy can only add work to it.
//
// --pipe-size: F_SETPIPE_SZ for each pipe (default: the kernel's 64 KiB).
// --cc: TCP_CONGESTION on both of the relay's sockets (default: the system's).
// --threads: event-loop threads sharing the listener (default 1).
// --spin-us: before each sleep in epoll_wait, poll for this long without sleeping (a CPU burnt to
//   skip the wake-up latency; a yardstick only, not something a proxy should do by default).
// --copy: recv/send through a 64 KiB buffer instead of splice (fewer syscalls per small message,
//   one copy in and one out per byte).
// Prints "port=PORT" once listening; runs until killed.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int g_listen_fd = -1;
static int g_upstream_port;
static int g_pipe_size;
static int g_copy;
static long g_spin_ns;
enum { kCopyBuf = 64 * 1024 };
static const char* g_cc;

struct pair;
struct end {
  struct pair* pair;
  int fd;
};
struct dir {
  int src, dst;
  int pipe_r, pipe_w;
  size_t in_pipe;
  int eof;  // src ended and the pipe is empty: dst's write side was shut
  // --copy: bytes read and not yet written, and whether src is known to be drained (a short read:
  // TCP gives everything it holds, so more data means a new edge-triggered event).
  char* buf;
  size_t off, len;
  int drained;
};
struct pair {
  struct end client, upstream;
  struct dir up, down;
  int head_pending;  // -1: not known yet; 1: a CONNECT head is being read
  int dead;          // closed during this batch of events; freed after it
  struct pair* next_dead;
  char head[4096];
  size_t head_len;
};

static void die(const char* what) {
  fprintf(stderr, "ideal_relay: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void tune(int fd) {
  const int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) die("TCP_NODELAY");
  if (g_cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, g_cc, (socklen_t)strlen(g_cc)) != 0)
    die("TCP_CONGESTION");
}

static void open_pipe(struct dir* d) {
  if (g_copy) {
    d->buf = malloc(kCopyBuf);
    if (!d->buf) die("malloc");
    d->pipe_r = d->pipe_w = -1;
    return;
  }
  int p[2];
  if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) die("pipe2");
  if (g_pipe_size && fcntl(p[1], F_SETPIPE_SZ, g_pipe_size) < 0) die("F_SETPIPE_SZ");
  d->pipe_r = p[0];
  d->pipe_w = p[1];
}

static __thread struct pair* t_dead;

// Closing the fds removes them from the epoll set (nothing else holds them); the memory lives until
// the end of the batch, which may still hold events for the pair.
static void close_pair(struct pair* p) {
  int fds[] = {p->client.fd, p->upstream.fd, p->up.pipe_r,
               p->up.pipe_w, p->down.pipe_r, p->down.pipe_w};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; ++i) {
    if (fds[i] >= 0 && close(fds[i]) != 0 && errno != EINTR) die("close");
  }
  free(p->up.buf);
  free(p->down.buf);
  p->dead = 1;
  p->next_dead = t_dead;
  t_dead = p;
}

// --spin-us: before each sleep in epoll_wait, poll for this long without sleeping (a CPU burnt to
//   skip the wake-up latency; a yardstick only, not something a proxy should do by default).
// --copy: recv/send through a buffer, the fewest syscalls per small message (one each way).
static int pump_copy(struct dir* d) {
  while (!d->eof) {
    while (d->off < d->len) {
      const ssize_t n = send(d->dst, d->buf + d->off, d->len - d->off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) return errno == EAGAIN ? 0 : -1;
      d->off += (size_t)n;
    }
    if (d->drained) return 0;
    const ssize_t n = recv(d->src, d->buf, kCopyBuf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno != EAGAIN) return -1;
      d->drained = 1;
      return 0;
    }
    if (n == 0) {
      if (shutdown(d->dst, SHUT_WR) != 0 && errno != ENOTCONN) return -1;
      d->eof = 1;
      return 0;
    }
    d->off = 0;
    d->len = (size_t)n;
    d->drained = n < kCopyBuf;
  }
  return 0;
}

// Moves bytes until EAGAIN on both sides; -1 when the direction failed.
static int pump(struct dir* d) {
  if (g_copy) return pump_copy(d);
  while (!d->eof) {
    while (d->in_pipe > 0) {
      const ssize_t n =
          splice(d->pipe_r, NULL, d->dst, NULL, d->in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n < 0) return errno == EAGAIN ? 0 : -1;
      d->in_pipe -= (size_t)n;
    }
    const ssize_t n =
        splice(d->src, NULL, d->pipe_w, NULL, 1 << 30, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    if (n == 0) {
      if (shutdown(d->dst, SHUT_WR) != 0 && errno != ENOTCONN) return -1;
      d->eof = 1;
      return 0;
    }
    d->in_pipe += (size_t)n;
  }
  return 0;
}

// Reads a CONNECT head byte-wise off the wire (it is small, and this is not the measured path),
// then answers 200.
static int read_connect_head(struct pair* p) {
  while (p->head_len < sizeof p->head) {
    const ssize_t n = recv(p->client.fd, p->head + p->head_len, 1, MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    if (n == 0) return -1;
    p->head_len += 1;
    if (p->head_len >= 4 && memcmp(p->head + p->head_len - 4, "\r\n\r\n", 4) == 0) {
      static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
      if (send(p->client.fd, ok, sizeof ok - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof ok - 1))
        return -1;
      p->head_pending = 0;
      return 0;
    }
  }
  return -1;
}

static void serve(struct pair* p) {
  if (p->head_pending == -1) {  // nothing seen from the client yet: is it a CONNECT?
    char peek[8];
    const ssize_t n = recv(p->client.fd, peek, sizeof peek, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && errno == EAGAIN) {
      if (pump(&p->down) != 0) close_pair(p);  // a server that speaks first
      return;
    }
    if (n <= 0) {
      close_pair(p);
      return;
    }
    if (n < 8 && memcmp(peek, "CONNECT ", (size_t)n) == 0) return;  // wait for more
    p->head_pending = n == 8 && memcmp(peek, "CONNECT ", 8) == 0;
  }
  if (p->head_pending == 1) {
    if (read_connect_head(p) != 0) {
      close_pair(p);
      return;
    }
    if (p->head_pending) return;
  }
  if (pump(&p->up) != 0 || pump(&p->down) != 0) {
    close_pair(p);
    return;
  }
  if (p->up.eof && p->down.eof) close_pair(p);
}

static void accept_one(int ep) {
  const int c = accept4(g_listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (c < 0) {
    if (errno == EAGAIN || errno == ECONNABORTED || errno == EINTR) return;
    die("accept4");
  }
  const int u = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (u < 0) die("socket");
  tune(c);
  tune(u);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)g_upstream_port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(u, (struct sockaddr*)&sa, sizeof sa) != 0 && errno != EINPROGRESS) die("connect");
  struct pair* p = calloc(1, sizeof *p);
  if (!p) die("calloc");
  p->client = (struct end){p, c};
  p->upstream = (struct end){p, u};
  p->up = (struct dir){.src = c, .dst = u};
  p->down = (struct dir){.src = u, .dst = c};
  open_pipe(&p->up);
  open_pipe(&p->down);
  p->head_pending = -1;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET};
  ev.data.ptr = &p->client;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) != 0) die("epoll_ctl");
  ev.data.ptr = &p->upstream;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, u, &ev) != 0) die("epoll_ctl");
}

static void* loop(void* arg) {
  (void)arg;
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = NULL};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, g_listen_fd, &ev) != 0) die("epoll_ctl listener");
  struct epoll_event events[64];
  for (;;) {
    int n = 0;
    if (g_spin_ns > 0) {  // --spin-us: poll without sleeping for a while first
      struct timespec t0, t;
      if (clock_gettime(CLOCK_MONOTONIC, &t0) != 0) die("clock_gettime");
      do {
        n = epoll_wait(ep, events, 64, 0);
        if (n != 0) break;
        if (clock_gettime(CLOCK_MONOTONIC, &t) != 0) die("clock_gettime");
      } while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < g_spin_ns);
    }
    if (n == 0) n = epoll_wait(ep, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      struct end* e = events[i].data.ptr;
      if (!e) {
        accept_one(ep);
      } else if (!e->pair->dead) {
        if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
          struct dir* from = e == &e->pair->client ? &e->pair->up : &e->pair->down;
          from->drained = 0;
        }
        serve(e->pair);  // both directions, whichever fd woke
      }
    }
    while (t_dead) {
      struct pair* p = t_dead;
      t_dead = p->next_dead;
      free(p);
    }
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr,
            "usage: ideal_relay LISTEN_PORT UPSTREAM_PORT [--pipe-size N] [--cc NAME] "
            "[--threads N] [--copy] [--spin-us N]\n");
    return 2;
  }
  const int port = atoi(argv[1]);
  g_upstream_port = atoi(argv[2]);
  int threads = 1;
  for (int i = 3; i < argc; i += 2) {
    if (i + 1 >= argc && strcmp(argv[i], "--copy") != 0) {
      fprintf(stderr, "ideal_relay: %s needs a value\n", argv[i]);
      return 2;
    }
    if (strcmp(argv[i], "--pipe-size") == 0) {
      g_pipe_size = atoi(argv[i + 1]);
    } else if (strcmp(argv[i], "--cc") == 0) {
      g_cc = argv[i + 1];
    } else if (strcmp(argv[i], "--copy") == 0) {
      g_copy = 1;
      --i;  // takes no value
    } else if (strcmp(argv[i], "--spin-us") == 0) {
      g_spin_ns = atol(argv[i + 1]) * 1000L;
    } else if (strcmp(argv[i], "--threads") == 0) {
      threads = atoi(argv[i + 1]);
    } else {
      fprintf(stderr, "ideal_relay: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  g_listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (g_listen_fd < 0) die("socket");
  const int one = 1;
  if (setsockopt(g_listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) die("SO_REUSEADDR");
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sa;
  if (bind(g_listen_fd, (struct sockaddr*)&sa, sizeof sa) != 0) die("bind");
  if (listen(g_listen_fd, 4096) != 0) die("listen");
  if (getsockname(g_listen_fd, (struct sockaddr*)&sa, &len) != 0) die("getsockname");
  printf("port=%u\n", ntohs(sa.sin_port));
  if (fflush(stdout) != 0) die("fflush");
  for (int i = 1; i < threads; ++i) {
    pthread_t t;
    if (pthread_create(&t, NULL, loop, NULL) != 0) die("pthread_create");
  }
  loop(NULL);
  return 0;
}
