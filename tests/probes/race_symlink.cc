// Races the write mediator with symlink swaps: the path the caller passes never changes, but a
// directory symlink in it flips between a harmless directory and a protected one.
//   probe_race_symlink SECONDS SAFE_DIR BAD_DIR NAME [exchange|rename]
// Thread A loops open("rs_link/NAME", O_WRONLY|O_CREAT); thread B flips rs_link between
// SAFE_DIR and BAD_DIR: `exchange` swaps two symlinks with renameat2(RENAME_EXCHANGE),
// `rename` renames a freshly made symlink over rs_link.
// Prints {"opens_ok":N,"opens_failed":M,"flips":K,"flip_errors":E}.
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "probe_util.h"

static std::atomic<bool> stop{false};

static int exchange(const char* a, const char* b) {
  return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s SECONDS SAFE_DIR BAD_DIR NAME [exchange|rename]\n", argv[0]);
    return 2;
  }
  double seconds = atof(argv[1]);
  const char* safe = argv[2];
  const char* bad = argv[3];
  std::string target = std::string("rs_link/") + argv[4];
  bool use_exchange = !(argc > 5 && strcmp(argv[5], "rename") == 0);

  unlink("rs_link");
  unlink("rs_other");
  unlink("rs_tmp");
  if (symlink(safe, "rs_link") != 0) {
    perror("symlink rs_link");
    return 2;
  }
  if (use_exchange && symlink(bad, "rs_other") != 0) {
    perror("symlink rs_other");
    return 2;
  }

  long flips = 0, flip_errors = 0;
  std::thread flipper([&] {
    bool to_bad = true;
    while (!stop.load(std::memory_order_relaxed)) {
      int r;
      if (use_exchange) {
        r = exchange("rs_link", "rs_other");
      } else {
        unlink("rs_tmp");
        r = symlink(to_bad ? bad : safe, "rs_tmp");
        if (r == 0) r = rename("rs_tmp", "rs_link");
      }
      if (r == 0)
        ++flips;
      else
        ++flip_errors;
      to_bad = !to_bad;
    }
  });

  long ok = 0, failed = 0;
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0;; ++i) {
    int fd = open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
    if (fd >= 0) {
      ++ok;
      close(fd);
    } else {
      ++failed;
    }
    if ((i & 15) == 0) {
      clock_gettime(CLOCK_MONOTONIC, &t);
      if ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 >= seconds) break;
    }
  }
  stop = true;
  flipper.join();
  printf("{\"opens_ok\":%ld,\"opens_failed\":%ld,\"flips\":%ld,\"flip_errors\":%ld}\n", ok, failed,
         flips, flip_errors);
  return 0;
}
