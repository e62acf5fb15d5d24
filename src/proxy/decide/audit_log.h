#pragma once
// The audit log (DESIGN 5, --audit-log FILE): one JSON object per line for every decision the
// proxy makes, written when the request or tunnel finishes (at once for a denial):
//
//   {"time":"2025-01-02T03:04:05.678Z","protocol":"connect","host":"example.com","port":443,
//    "address":"93.184.215.14","decision":"allow","rule":"example.com","reason":"...",
//    "error":null,"bytes_up":517,"bytes_down":5120,"duration_ms":84}
//
// time is when the decision was made (RFC 3339, UTC, milliseconds); address is the one dialled
// (null when nothing was dialled); error says why an allowed connection failed (resolution,
// connect, a broken upstream), null otherwise. Strings are escaped by nlohmann::json, invalid
// UTF-8 replaced, so a hostile host name cannot forge a line.
//
// The file is opened O_APPEND|O_CREAT|O_CLOEXEC, mode 0600; each line goes out in one write(2),
// so lines from several threads never interleave.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "proxy/decide/decision.h"

namespace paddock::proxy {

struct AuditRecord {
  std::chrono::system_clock::time_point time;
  Protocol protocol = Protocol::Http;
  std::string host;  // normalised, or the raw host made printable when it was invalid
  uint16_t port = 0;
  std::optional<IpAddress> address;  // dialled
  bool allowed = false;
  std::string rule;
  std::string reason;
  std::optional<std::string> error;
  uint64_t bytes_up = 0;    // client -> upstream
  uint64_t bytes_down = 0;  // upstream -> client
  uint64_t duration_ms = 0;
};

// "2025-01-02T03:04:05.678Z"
std::string rfc3339_utc(std::chrono::system_clock::time_point t);

// One JSON object and a trailing '\n'.
std::string format_audit_line(const AuditRecord& r);

class AuditLog {
 public:
  // Errors: op "open audit log", path.
  static Result<std::unique_ptr<AuditLog>> open(const std::string& path);

  // Thread-safe. A failed write is counted, never fatal: the proxy keeps serving.
  void write(const AuditRecord& r);
  uint64_t failed_writes() const;

 private:
  explicit AuditLog(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
  mutable std::mutex mu_;
  uint64_t failed_ = 0;
};

}  // namespace paddock::proxy
