#pragma once
// An error travels as a value from where it happened to the one place that prints it (cli/main.cc).
// It keeps the operation, the path it concerned and errno, so the user reads
// "mount /home/u/.ssh: Permission denied", never "child exited 1".
#include <string>
#include <utility>

namespace paddock {

struct Error {
  std::string op;      // what failed: "mount", "open settings", "landlock_create_ruleset"
  std::string path;    // the path or key it concerned, may be empty
  int err = 0;         // errno, 0 when not a syscall failure
  std::string detail;  // extra sentence: why, or how to fix it
  int exit_code = 125;

  std::string message() const;
};

Error sys_error(std::string op, std::string path = {}, int err = -1, std::string detail = {});
Error plain_error(std::string op, std::string detail, std::string path = {});

}  // namespace paddock
