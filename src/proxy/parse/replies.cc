#include "proxy/parse/replies.h"

#include <algorithm>

namespace paddock::proxy {

std::string_view http_status_text(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 408:
      return "Request Timeout";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

std::string one_line(std::string_view text, std::size_t max_bytes) {
  std::string r;
  r.reserve(std::min(text.size(), max_bytes));
  for (char c : text.substr(0, max_bytes)) {
    const auto u = static_cast<unsigned char>(c);
    r += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  return r;
}

std::string http_error_response(int status, std::string_view token, std::string_view reason,
                                std::string_view rule) {
  const std::string body = "paddock: " + one_line(reason) + "\n";
  std::string r = "HTTP/1.1 " + std::to_string(status) + " ";
  r += http_status_text(status);
  r += "\r\nX-Proxy-Error: ";
  r += one_line(token, 64);
  r += "\r\n";
  if (!rule.empty()) {
    r += "X-Paddock-Rule: ";
    r += one_line(rule, 512);
    r += "\r\n";
  }
  r += "Content-Type: text/plain; charset=utf-8\r\nContent-Length: ";
  r += std::to_string(body.size());
  r += "\r\nConnection: close\r\n\r\n";
  r += body;
  return r;
}

std::string http_denial_response(std::string_view reason, std::string_view rule) {
  if (rule.empty() || reason.find(rule) != std::string_view::npos) {
    return http_error_response(403, kBlockedToken, reason, rule);
  }
  return http_error_response(403, kBlockedToken,
                             std::string(reason) + " (rule: " + std::string(rule) + ")", rule);
}

}  // namespace paddock::proxy
