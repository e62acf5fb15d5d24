#pragma once
// Result<T>: a value or an Error. Our stand-in for std::expected (C++23), kept tiny on purpose.
#include <cassert>
#include <utility>
#include <variant>

#include "base/error.h"

namespace paddock {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const {
    assert(ok());
    return std::get<0>(v_);
  }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error& error() {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};

// Status: success or an Error.
using Status = Result<Ok>;
inline Status ok_status() {
  return Ok{};
}

}  // namespace paddock

// Propagate an error out of the current function (which must return a Result/Status).
#define PADDOCK_TRY(expr)                                    \
  do {                                                       \
    auto paddock_try_r_ = (expr);                            \
    if (!paddock_try_r_.ok()) return paddock_try_r_.error(); \
  } while (0)
