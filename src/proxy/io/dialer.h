#pragma once
// Dialling exactly one address: a non-blocking TCP socket (O_CLOEXEC, TCP_NODELAY) and connect().
// The caller waits for writability and then calls finish_connect(). No name is resolved here.
#include <sys/socket.h>

#include <cstdint>

#include "base/result.h"
#include "base/unique_fd.h"
#include "proxy/decide/host_name.h"
#include "proxy/parse/socks5.h"

namespace paddock::proxy {

struct DialStart {
  UniqueFd fd;
  bool connected = false;  // connect() completed at once (rare, loopback)
};

// Errors: op "connect", path "address:port", errno kept.
Result<DialStart> start_connect(const IpAddress& address, uint16_t port);

// After the socket reported EPOLLOUT, EPOLLERR or EPOLLHUP: 0 when connected, else the errno of
// the failed connect.
int finish_connect(int fd);

// The SOCKS5 reply for a failed connect's errno: refused 0x05, network unreachable 0x03,
// timed out or host unreachable 0x04, anything else 0x01.
SocksReply socks_reply_for_connect_errno(int err);

// Sockets the proxy accepts or dials: TCP_NODELAY (heads and small bodies go out as written).
// Errors: op "setsockopt TCP_NODELAY".
Status tune_socket(int fd);

// A client connection from a loopback address (the proxy's listeners are on the sandbox's own
// 127.0.0.1): asks for reno instead of the system's congestion control. With BBR as the system's
// choice and no fq qdisc, TCP paces every send with a timer; on loopback there is nothing to pace
// for, and the timers cost about a fifth of a relayed download's throughput (bench/ideal_relay.c
// --cc). reno is the one algorithm every kernel has and lets any process choose. The upstream
// side keeps the system's choice: that is where it matters. Returns whether the kernel took it.
bool prefer_unpaced(int fd);
bool is_loopback_peer(const sockaddr_storage& peer);

}  // namespace paddock::proxy
