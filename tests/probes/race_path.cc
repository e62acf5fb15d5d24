// Races the write mediator: thread A repeatedly calls open(buf, O_WRONLY|O_CREAT) while thread B
// flips the bytes of buf between a harmless path and a protected one, for SECONDS.
//   probe_race_path SECONDS GOOD BAD [strcpy|byte] [open|rename]
// strcpy (default): B copies whole strings (including the NUL) into buf.
// byte: GOOD and BAD must have the same length; B flips the bytes where they differ, one store
// each. open (default): A calls open(buf, O_WRONLY|O_CREAT); rename: A creates "rp_src" and calls
// rename("rp_src", buf), so the racing path is a rename destination.
// Prints {"opens_ok":N,"opens_failed":M,"flips":K}.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "probe_util.h"

static char buf[4096] __attribute__((aligned(64)));
static std::atomic<bool> stop{false};

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s SECONDS GOOD BAD [strcpy|byte]\n", argv[0]);
    return 2;
  }
  double seconds = atof(argv[1]);
  const char* good = argv[2];
  const char* bad = argv[3];
  bool byte_mode = argc > 4 && strcmp(argv[4], "byte") == 0;
  bool rename_mode = argc > 5 && strcmp(argv[5], "rename") == 0;
  size_t glen = strlen(good), blen = strlen(bad);
  if (glen + 1 > sizeof buf || blen + 1 > sizeof buf) return 2;
  if (byte_mode && glen != blen) return 2;
  memcpy(buf, good, glen + 1);

  long flips = 0;
  std::thread flipper([&] {
    volatile char* vb = buf;
    bool to_bad = true;
    while (!stop.load(std::memory_order_relaxed)) {
      const char* src = to_bad ? bad : good;
      if (byte_mode) {
        for (size_t i = 0; i < glen; ++i)
          if (vb[i] != src[i]) vb[i] = src[i];
      } else {
        size_t n = strlen(src) + 1;
        for (size_t i = 0; i < n; ++i) vb[i] = src[i];
      }
      to_bad = !to_bad;
      ++flips;
    }
  });

  long ok = 0, failed = 0;
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0;; ++i) {
    if (rename_mode) {
      int s = open("rp_src", O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
      if (s >= 0) close(s);
      if (rename("rp_src", buf) == 0)
        ++ok;
      else
        ++failed;
    } else {
      int fd = open(buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
      if (fd >= 0) {
        ++ok;
        close(fd);
      } else {
        ++failed;
      }
    }
    if ((i & 63) == 0) {
      clock_gettime(CLOCK_MONOTONIC, &t);
      double el = (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
      if (el >= seconds) break;
    }
  }
  stop = true;
  flipper.join();
  printf("{\"opens_ok\":%ld,\"opens_failed\":%ld,\"flips\":%ld}\n", ok, failed, flips);
  return 0;
}
