#include "base/error.h"

#include <cerrno>
#include <cstring>

namespace paddock {

std::string Error::message() const {
  std::string m = op;
  if (!path.empty()) m += " " + path;
  if (err != 0) m += std::string(": ") + std::strerror(err);
  if (!detail.empty()) m += (err != 0 || !path.empty() || !op.empty() ? ": " : "") + detail;
  return m;
}

Error sys_error(std::string op, std::string path, int err, std::string detail) {
  Error e;
  e.op = std::move(op);
  e.path = std::move(path);
  e.err = err == -1 ? errno : err;
  e.detail = std::move(detail);
  return e;
}

Error plain_error(std::string op, std::string detail, std::string path) {
  Error e;
  e.op = std::move(op);
  e.path = std::move(path);
  e.detail = std::move(detail);
  return e;
}

}  // namespace paddock
