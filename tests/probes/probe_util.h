// Shared by the probes: each probe tries forbidden calls and prints one JSON object per line:
//   {"call":"NAME","ret":R,"errno":E,"errname":"EPERM"}
// The integration tests run the same probe on the host (positive control) and in the sandbox.
#pragma once

#include <errno.h>
#include <stdio.h>
#include <string.h>

static inline const char* probe_errname(int e) {
  switch (e) {
    case 0:
      return "OK";
    case EPERM:
      return "EPERM";
    case ENOENT:
      return "ENOENT";
    case EBADF:
      return "EBADF";
    case EFAULT:
      return "EFAULT";
    case EINVAL:
      return "EINVAL";
    case ENOSYS:
      return "ENOSYS";
    case EACCES:
      return "EACCES";
    case EROFS:
      return "EROFS";
    case EIO:
      return "EIO";
    case ENOTTY:
      return "ENOTTY";
    case EEXIST:
      return "EEXIST";
    case ENOMEM:
      return "ENOMEM";
    case EAFNOSUPPORT:
      return "EAFNOSUPPORT";
    case ENOKEY:
      return "ENOKEY";
    case EOPNOTSUPP:
      return "EOPNOTSUPP";
    case E2BIG:
      return "E2BIG";
    case EBUSY:
      return "EBUSY";
    case ENOTDIR:
      return "ENOTDIR";
    default:
      return "OTHER";
  }
}

// Prints the outcome of a raw syscall wrapper call: ret is the libc return (-1 on error).
static inline void probe_report(const char* call, long ret, int err) {
  if (ret != -1) err = 0;
  printf("{\"call\":\"%s\",\"ret\":%ld,\"errno\":%d,\"errname\":\"%s\"}\n", call, ret, err,
         probe_errname(err));
  fflush(stdout);
}

#define PROBE(name, expr)                \
  do {                                   \
    errno = 0;                           \
    long probe_r_ = (long)(expr);        \
    probe_report(name, probe_r_, errno); \
  } while (0)
