#pragma once
// The Host check of a captured connection (dns/capture.h) whose client speaks plain HTTP/1.x
// first: the request must name the host the connection was captured for, as the SNI must on TLS
// (tunnel.cc). Pure.
//
// Only bytes that can still become an HTTP/1.x request line ("TOKEN SP target SP HTTP/1.x CRLF")
// are held back; the first byte that cannot (a binary protocol, "SSH-2.0-", an SMTP "EHLO host"
// line without the HTTP version) lets the connection through as opaque bytes. Only the first
// request of a connection is checked: later ones on a kept-alive connection pass unseen, as
// everything after a ClientHello does.
#include <string>
#include <string_view>

#include "proxy/decide/host_name.h"

namespace paddock::proxy {

enum class PlainKind {
  NeedMore,  // could still be an HTTP request: read more
  NotHttp,   // relay as is
  Match,     // an HTTP request for the expected host
  Refuse,    // an HTTP request for another host, or one this proxy cannot parse
};

struct PlainCheck {
  PlainKind kind = PlainKind::NeedMore;
  std::string rule;    // Refuse: "host-mismatch" or "http-request"
  std::string reason;  // Refuse: one line
};

PlainCheck check_captured_plain(std::string_view bytes, const Host& expected);

}  // namespace paddock::proxy
