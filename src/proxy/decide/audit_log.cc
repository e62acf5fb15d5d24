#include "proxy/decide/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace paddock::proxy {

std::string rfc3339_utc(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const int frac = static_cast<int>(ms - static_cast<long long>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

std::string format_audit_line(const AuditRecord& r) {
  nlohmann::ordered_json j;
  j["time"] = rfc3339_utc(r.time);
  j["protocol"] = std::string(protocol_name(r.protocol));
  j["host"] = r.host;
  j["port"] = r.port;
  j["address"] = r.address ? nlohmann::ordered_json(r.address->to_string()) : nullptr;
  j["decision"] = r.allowed ? "allow" : "deny";
  j["rule"] = r.rule;
  j["reason"] = r.reason;
  j["error"] = r.error ? nlohmann::ordered_json(*r.error) : nullptr;
  j["bytes_up"] = r.bytes_up;
  j["bytes_down"] = r.bytes_down;
  j["duration_ms"] = r.duration_ms;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600));
  if (!fd.valid()) return sys_error("open audit log", path);
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(fd)));
}

void AuditLog::write(const AuditRecord& r) {
  const std::string line = format_audit_line(r);
  std::lock_guard<std::mutex> lock(mu_);
  size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = ::write(fd_.get(), line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ++failed_;
      return;
    }
    off += static_cast<size_t>(n);
  }
}

uint64_t AuditLog::failed_writes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_;
}

}  // namespace paddock::proxy
