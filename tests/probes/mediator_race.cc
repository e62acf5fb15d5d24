// Races two sandboxes on one project: one keeps asking the write mediator to change a name's
// mode (or to bind a unix socket at it, which the mediator follows with a chmod by name), the
// other keeps swapping that name with a symlink to a host file. A mediator that acts on the
// name after checking it follows the symlink on the host.
//   probe_mediator_race flip    SECONDS A B READY STOP     renameat2(A, B, RENAME_EXCHANGE)
//   probe_mediator_race relink  SECONDS NAME TARGET READY STOP
//                                                     symlink(TARGET, NAME.tmp), rename over NAME
//   probe_mediator_race chmod   SECONDS NAME OCTAL VICTIM STOP     chmod(NAME, OCTAL)
//   probe_mediator_race fchmodat SECONDS NAME OCTAL VICTIM STOP    raw fchmodat(AT_FDCWD, ...)
//   probe_mediator_race fchmodat2_nofollow SECONDS NAME OCTAL VICTIM STOP
//                                                     raw fchmodat2(..., AT_SYMLINK_NOFOLLOW)
//   probe_mediator_race bind    SECONDS NAME - VICTIM STOP  umask 0; unlink, bind a unix socket
// The swapping side creates READY once it runs and stops when STOP exists (or after SECONDS).
// The acting side stops after SECONDS or as soon as VICTIM's mode differs from what it was,
// then creates STOP. Each prints {"mode":...,"iterations":N,"errors":E,"victim_changed":B}.
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "probe_util.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static double now() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

static void touch(const char* p) {
  int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
}

static mode_t mode_of(const char* p) {
  struct stat st;
  if (stat(p, &st) != 0) return mode_t(-1);
  return st.st_mode & 07777;
}

static void report(const char* mode, long n, long errors, bool changed) {
  printf("{\"mode\":\"%s\",\"iterations\":%ld,\"errors\":%ld,\"victim_changed\":%s}\n", mode, n,
         errors, changed ? "true" : "false");
  fflush(stdout);
}

static int swapper(bool exchange, double seconds, const char* a, const char* b, const char* ready,
                   const char* stop) {
  std::string tmp = std::string(a) + ".tmp";
  touch(ready);
  double end = now() + seconds;
  long n = 0, errors = 0;
  for (;; ++n) {
    int r;
    if (exchange) {
      r = int(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE));
    } else {
      unlink(tmp.c_str());
      r = symlink(b, tmp.c_str());
      if (r == 0) r = rename(tmp.c_str(), a);
    }
    if (r != 0) ++errors;
    if ((n & 63) == 0 && (now() > end || access(stop, F_OK) == 0)) break;
  }
  report(exchange ? "flip" : "relink", n, errors, false);
  return 0;
}

static int actor(const char* mode, double seconds, const char* name, mode_t m, const char* victim,
                 const char* stop) {
  bool bind_mode = strcmp(mode, "bind") == 0;
  if (bind_mode) umask(0);
  mode_t before = mode_of(victim);
  double end = now() + seconds;
  long n = 0, errors = 0;
  bool changed = false;
  for (;; ++n) {
    long r;
    if (strcmp(mode, "chmod") == 0) {
      r = chmod(name, m);
    } else if (strcmp(mode, "fchmodat") == 0) {
      r = syscall(SYS_fchmodat, AT_FDCWD, name, m);
    } else if (strcmp(mode, "fchmodat2_nofollow") == 0) {
      r = syscall(SYS_fchmodat2, AT_FDCWD, name, m, AT_SYMLINK_NOFOLLOW);
    } else {
      unlink(name);
      int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      struct sockaddr_un un = {};
      un.sun_family = AF_UNIX;
      snprintf(un.sun_path, sizeof un.sun_path, "%s", name);
      r = s < 0 ? -1 : bind(s, (struct sockaddr*)&un, sizeof un);
      if (s >= 0) close(s);
    }
    if (r != 0) ++errors;
    if ((n & 15) == 0) {
      if (mode_of(victim) != before) {
        changed = true;
        break;
      }
      if (now() > end) break;
    }
  }
  touch(stop);
  report(mode, n, errors, changed);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: %s MODE SECONDS A B|OCTAL READY|VICTIM STOP\n", argv[0]);
    return 2;
  }
  const char* mode = argv[1];
  double seconds = atof(argv[2]);
  if (strcmp(mode, "flip") == 0 || strcmp(mode, "relink") == 0)
    return swapper(strcmp(mode, "flip") == 0, seconds, argv[3], argv[4], argv[5], argv[6]);
  mode_t m = mode_t(strtoul(argv[4], nullptr, 8));
  return actor(mode, seconds, argv[3], m, argv[5], argv[6]);
}
