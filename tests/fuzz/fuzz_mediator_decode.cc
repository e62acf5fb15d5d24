// libFuzzer target: the values a sandboxed caller hands the mediator. The first byte picks the
// decoder; the rest is the caller's bytes. Nothing may crash or throw, and each result must be
// consistent with its input.
#include <sys/un.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "base/printable.h"
#include "fuzz_check.h"
#include "mediator/decode.h"

using namespace paddock;
using namespace paddock::mediator;
using paddock::fuzz::check;

namespace {

void fd_reference(std::string_view in) {
  FdReference r = parse_fd_reference(in);
  if (r.kind == FdReference::Kind::Fd || r.kind == FdReference::Kind::OtherTask) {
    check(r.fd >= 0);
    check(r.rest.empty() || (r.rest[0] != '/' && r.rest.back() != '/'));
    check(in.size() > 0 && in[0] == '/');
    // The same reference spelled canonically parses to the same descriptor.
    std::string again = "/proc/self/fd/" + std::to_string(r.fd);
    if (!r.rest.empty()) again += "/" + r.rest;
    FdReference b = parse_fd_reference(again);
    check(b.kind == FdReference::Kind::Fd && b.fd == r.fd && b.rest == r.rest);
  }
  if (r.kind == FdReference::Kind::OtherTask) check(!r.pid.empty());
  if (r.kind == FdReference::Kind::None) check(r.fd == -1);
}

void split(std::string_view in) {
  FinalSplit s = split_final(in);
  check(s.name.find('/') == std::string::npos);
  check(s.name != "." && s.name != "..");
  if (!s.name.empty()) {
    check(!s.parent.empty());
    // The name is the path's last component.
    std::string_view trimmed = in;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.remove_suffix(1);
    check(trimmed.size() >= s.name.size() &&
          trimmed.substr(trimmed.size() - s.name.size()) == s.name);
  }
}

void address(std::string_view in) {
  DecodedAddress d = decode_address(in.data(), in.size());
  if (d.kind == DecodedAddress::Kind::UnixPath) {
    check(!d.unix_path.empty());
    check(d.unix_path.size() <= sizeof(sockaddr_un::sun_path));
    check(d.unix_path.find('\0') == std::string::npos);
    check(d.family == AF_UNIX);
  }
  if (in.size() < sizeof(sa_family_t)) check(d.kind == DecodedAddress::Kind::Unspecified);
}

void text(std::string_view in) {
  std::string out = printable(in);
  for (unsigned char c : out) check(c >= 0x20 && c != 0x7f);
  // Plain printable ASCII without backslashes passes unchanged.
  bool plain = true;
  for (unsigned char c : in)
    if (c < 0x20 || c >= 0x7f || c == '\\') plain = false;
  if (plain) check(out == in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      fd_reference(in);
      break;
    case 1:
      split(in);
      break;
    case 2:
      address(in);
      break;
    case 3:
      text(in);
      break;
  }
  return 0;
}
