#pragma once
// The HTTP answers the proxy makes up itself: denials (403), malformed requests (4xx/5xx from the
// parser), upstream failures (502/504). Pure.
//
// Every such answer closes the connection and carries:
//   X-Proxy-Error: <token>   blocked-by-paddock (403), bad-request (parser errors),
//                            upstream-failed (502), upstream-timeout (504)
//   X-Paddock-Rule: <rule>   for denials: the rule that decided ("default-deny", a pattern, ...)
//   a one-line text/plain body: "paddock: <reason>"
// Reasons and rules are made printable on one line first, so nothing a client or a resolver sent
// can split the response.
#include <string>
#include <string_view>

namespace paddock::proxy {

inline constexpr std::string_view kBlockedToken = "blocked-by-paddock";
inline constexpr std::string_view kBadRequestToken = "bad-request";
inline constexpr std::string_view kUpstreamFailedToken = "upstream-failed";
inline constexpr std::string_view kUpstreamTimeoutToken = "upstream-timeout";

// "Forbidden" for 403, ...; "Error" for codes it does not know.
std::string_view http_status_text(int status);

// Control bytes (and DEL) become '?'; the result is at most max_bytes long.
std::string one_line(std::string_view text, std::size_t max_bytes = 1024);

// A complete response: status line, headers (Connection: close), body "paddock: <reason>\n".
// rule may be empty (no X-Paddock-Rule header).
std::string http_error_response(int status, std::string_view token, std::string_view reason,
                                std::string_view rule = {});

// 403 for a denial. The body names the rule: "(rule: default-deny)" is appended when the reason
// does not quote it already.
std::string http_denial_response(std::string_view reason, std::string_view rule);

// What a CONNECT client reads when its tunnel is up.
inline constexpr std::string_view kConnectEstablished =
    "HTTP/1.1 200 Connection established\r\n\r\n";

}  // namespace paddock::proxy
