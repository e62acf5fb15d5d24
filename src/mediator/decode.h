#pragma once
// Pure decoding of the values a sandboxed caller hands the mediator: path strings that name a
// descriptor (/proc/self/fd/N, /dev/stdout), the final component of a path, socket addresses.
// Every input is hostile: nothing here throws, allocates without bound or trusts a length. The
// fuzz target tests/fuzz/fuzz_mediator_decode.cc feeds it arbitrary bytes.
#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace paddock::mediator {

// A path that names one of the caller's descriptors rather than a place in the tree.
struct FdReference {
  enum class Kind {
    None,       // an ordinary path
    Fd,         // the caller's fd `fd`, possibly followed by `rest` ("/proc/self/fd/3/x")
    OtherTask,  // /proc/PID/fd/N of a pid that may or may not be the caller: `pid` says which
    Invalid,    // names a descriptor, but not one that can exist (out of range, malformed)
    Cwd,        // /proc/{self,thread-self,PID,PID/task/TID}/cwd, possibly followed by `rest`;
                // `pid` empty for self
    Root,       // the same for .../root: the caller's root, which is the sandbox's "/"
  };
  Kind kind = Kind::None;
  int fd = -1;
  std::string pid;      // for OtherTask: the decimal pid as written (compared by the caller)
  bool thread = false;  // the pid came from /proc/PID/task/TID (TID in `pid`)
  std::string rest;     // components after the fd number, without a leading '/'
};

// /dev/stdin, /dev/stdout, /dev/stderr and /dev/fd/N are the sandbox's own aliases of
// /proc/self/fd/N (paddock builds its /dev). Recognised on the lexically normalised path.
FdReference parse_fd_reference(std::string_view path);

// A descriptor number as written in a path: decimal digits only, no sign, no leading '+',
// within [0, INT_MAX]. Anything else is nullopt (never an exception).
std::optional<int> parse_fd_number(std::string_view digits);

// The last component of a path and what comes before it. "a/b/" -> {"a", "b", true};
// "/" -> {"/", "", false}; "." and ".." as the last component leave `name` empty (the path names
// a directory itself).
struct FinalSplit {
  std::string parent;
  std::string name;
  bool trailing_slash = false;
};
FinalSplit split_final(std::string_view path);

// A socket address as the caller passed it to connect/bind/sendto.
struct DecodedAddress {
  enum class Kind { Unspecified, UnixPath, UnixAbstract, UnixUnnamed, Inet, Inet6, Other };
  Kind kind = Kind::Unspecified;
  sa_family_t family = 0;
  std::string unix_path;  // UnixPath: the path, up to its first NUL, never longer than sun_path
  uint16_t port = 0;      // Inet/Inet6, host order
};
// `len` is the caller's addrlen; `bytes` holds min(len, sizeof(sockaddr_storage)) bytes. A len
// larger than sockaddr_storage is the caller's EINVAL, decided before this is called.
DecodedAddress decode_address(const void* bytes, size_t len);

}  // namespace paddock::mediator
