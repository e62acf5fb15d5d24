#pragma once
// Where a path a sandboxed caller passed lands in the sandbox's own tree. Every lookup starts at
// the sandbox's root (openat2 RESOLVE_IN_ROOT, no magic links), the final component is never
// followed by the kernel, and each symlink on the way is expanded by us, so we know every
// spelling the path had (a write through ~/.bashrc -> dotfiles/bashrc is a write to ~/.bashrc
// too). The result pins the parent directory with a descriptor: what is judged is what is
// acted on, whoever renames what meanwhile.
#include <sys/stat.h>

#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "mediator/caller.h"
#include "mediator/context.h"
#include "policy/host_fs.h"
#include "policy/write_judge.h"

namespace paddock::mediator {

struct Location {
  UniqueFd parent;          // O_PATH, in the sandbox's tree
  std::string parent_path;  // canonical, sandbox view
  std::string name;         // empty when the path names a directory itself ("/", ".", "..")
  bool trailing_slash = false;
  EntryType type = EntryType::Missing;
  struct stat st {};  // of the entry (lstat), or of the parent when the entry is missing
  bool private_mount = false;
  std::vector<std::string> aliases;  // spellings through symlinks followed on the way
  int fd_ref = -1;  // >= 0: the path named the caller's own descriptor (/proc/self/fd/N)

  std::string canonical() const;
  const char* name_or_dot() const { return name.empty() ? "." : name.c_str(); }
  // The judge's view. `path_storage` must outlive the result.
  Place place(const std::string& path_storage) const;
};

// Resolves `raw` (relative to the caller's `dirfd` or cwd). `follow`: a final symlink is
// followed (by us, in the sandbox's root).
Out<Location> locate(const Context& ctx, Caller& caller, const std::string& raw, int dirfd,
                     bool follow);

// One of the caller's descriptors, examined: our copy, what it is, and where it is in the
// sandbox's view. `reachable` only when the sandbox's tree holds this very inode at `path`
// (a host file passed in on stdin is not judged by a look-alike path inside).
struct FdTarget {
  UniqueFd fd;
  struct stat st {};
  std::string path;  // when reachable
  bool reachable = false;
  bool private_mount = false;
  bool unlinked = false;  // a regular file with no name left (O_TMPFILE, deleted)
  EntryType type() const;
  std::string proc_path() const { return "/proc/self/fd/" + std::to_string(fd.get()); }
};
Out<FdTarget> examine_fd(const Context& ctx, Caller& caller, int theirs);

EntryType type_of(mode_t m);

// An O_PATH descriptor of `path` (canonical, sandbox view) in the sandbox's tree; any symlink on
// the way is an ELOOP (the caller built the path from resolved parts). -1 with errno on failure.
int open_in_sandbox(const Context& ctx, const std::string& path, uint64_t flags);

}  // namespace paddock::mediator
