#pragma once
// Dialling exactly one address: a non-blocking TCP socket (O_CLOEXEC, TCP_NODELAY) and connect().
// The caller waits for writability and then calls finish_connect(). No name is resolved here.
#include <cstdint>

#include "base/result.h"
#include "base/unique_fd.h"
#include "proxy/host_name.h"
#include "proxy/socks5.h"

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
void tune_socket(int fd);

}  // namespace paddock::proxy
