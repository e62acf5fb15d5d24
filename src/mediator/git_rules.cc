#include "mediator/git_rules.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "policy/git_config.h"
#include "policy/paths.h"

namespace paddock::mediator {

namespace {

// Larger control files are refused (a repository's config is a few kilobytes).
constexpr size_t kMaxControlFile = size_t{1} << 20;

bool present(int dirfd, const char* name) {
  struct stat st;
  return ::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

// The whole content of a regular file (through `fd`), or nullopt when it is not one or too big.
std::optional<std::string> read_all(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || size_t(st.st_size) > kMaxControlFile)
    return std::nullopt;
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    if (n == 0) return out;
    out.append(buf, size_t(n));
    if (out.size() > kMaxControlFile) return std::nullopt;
  }
}

std::optional<std::string> read_entry(int dirfd, const char* name) {
  UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return std::nullopt;
  return read_all(fd.get());
}

// A name for our own temporary file next to a control file: random, so the sandbox cannot
// occupy it in advance (the create is O_EXCL anyway: a taken name would only fail the call).
std::string temp_name(const char* what) {
  unsigned char r[8] = {};
  if (::getrandom(r, sizeof r, 0) != ssize_t(sizeof r)) {
    static std::atomic<unsigned> counter{0};
    unsigned c = counter.fetch_add(1);
    std::memcpy(r, &c, sizeof c);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = std::string(".paddock-") + what + "-";
  for (unsigned char b : r) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

// Writes `text` as a new file in `dirfd` and renames it to `name` (flags: renameat2's).
// Returns 0 or an errno.
int write_and_rename(int dirfd, const std::string& name, std::string_view text, mode_t mode,
                     unsigned flags) {
  std::string tmp = temp_name("install");
  UniqueFd fd(::openat(dirfd, tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
                       mode & 0666));
  if (!fd.valid()) return errno;
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::unlinkat(dirfd, tmp.c_str(), 0);
      return e;
    }
    off += size_t(n);
  }
  if (::fchmod(fd.get(), mode & 0666) != 0 ||
      ::syscall(SYS_renameat2, dirfd, tmp.c_str(), dirfd, name.c_str(), flags) != 0) {
    int e = errno;
    ::unlinkat(dirfd, tmp.c_str(), 0);
    return e;
  }
  return 0;
}

// Renames `name` in `dirfd` to "<name>.paddock-refused" (or -2, -3, ...); true when moved.
bool set_aside(int dirfd, const std::string& name, std::string* moved_to) {
  for (int i = 1; i < 100; ++i) {
    std::string aside = name + ".paddock-refused" + (i > 1 ? "-" + std::to_string(i) : "");
    if (::syscall(SYS_renameat2, dirfd, name.c_str(), dirfd, aside.c_str(), RENAME_NOREPLACE) ==
        0) {
      if (moved_to) *moved_to = aside;
      return true;
    }
    if (errno != EEXIST) return false;
  }
  return false;
}

std::vector<std::string> entries_of(int dirfd, const char* name) {
  std::vector<std::string> out;
  int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return out;
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return out;
  }
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  return out;
}

GitVerdict::Kind worst(GitVerdict::Kind a, GitVerdict::Kind b) {
  auto rank = [](GitVerdict::Kind k) {
    return k == GitVerdict::Kind::Refuse ? 2 : k == GitVerdict::Kind::Install ? 1 : 0;
  };
  return rank(a) >= rank(b) ? a : b;
}

std::string judge_content(const Context& ctx, const GitControl& control, const std::string& path,
                          std::string_view text, std::string_view previous) {
  if (!ctx.git_content) return "no judge for git control files";
  return ctx.git_content(control, path, text, previous);
}

// The names git runs hooks by (githooks(5)).
bool is_hook_name(std::string_view n) {
  static const std::string_view kHooks[] = {"applypatch-msg",
                                            "pre-applypatch",
                                            "post-applypatch",
                                            "pre-commit",
                                            "pre-merge-commit",
                                            "prepare-commit-msg",
                                            "commit-msg",
                                            "post-commit",
                                            "pre-rebase",
                                            "post-checkout",
                                            "post-merge",
                                            "pre-push",
                                            "pre-receive",
                                            "update",
                                            "proc-receive",
                                            "post-receive",
                                            "post-update",
                                            "reference-transaction",
                                            "push-to-checkout",
                                            "pre-auto-gc",
                                            "post-rewrite",
                                            "sendemail-validate",
                                            "fsmonitor-watchman",
                                            "p4-changelist",
                                            "p4-prepare-changelist",
                                            "p4-post-changelist",
                                            "p4-pre-submit",
                                            "post-index-change"};
  for (auto h : kHooks)
    if (n == h) return true;
  return false;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// The directories the repository whose work tree is `top` runs hooks from, other than a plain
// `<gitdir>/hooks` directory (which the git rules cover by role): a symlinked hooks directory's
// target and core.hooksPath. Read through the sandbox's root.
std::vector<std::string> hook_dirs_of(const Context& ctx, const std::string& top) {
  std::vector<std::string> out;
  UniqueFd t(open_in_sandbox(ctx, top, O_DIRECTORY));
  if (!t.valid()) return out;
  std::string gitdir = join_path(top, ".git");
  struct stat st;
  if (::fstatat(t.get(), ".git", &st, AT_SYMLINK_NOFOLLOW) != 0) return out;
  if (S_ISREG(st.st_mode)) {
    auto text = read_entry(t.get(), ".git");
    if (!text) return out;
    std::string g = trimmed(*text);
    if (g.rfind("gitdir: ", 0) != 0 || g.size() == 8) return out;
    g = g.substr(8);
    gitdir = normalize_path(g[0] == '/' ? g : top + "/" + g);
  } else if (S_ISLNK(st.st_mode)) {
    char buf[PATH_MAX + 1];
    ssize_t n = ::readlinkat(t.get(), ".git", buf, PATH_MAX);
    if (n <= 0) return out;
    std::string g(buf, size_t(n));
    gitdir = normalize_path(g[0] == '/' ? g : top + "/" + g);
  }
  UniqueFd g(open_in_sandbox(ctx, gitdir, O_DIRECTORY));
  if (!g.valid()) return out;
  char buf[PATH_MAX + 1];
  ssize_t n = ::readlinkat(g.get(), "hooks", buf, PATH_MAX);
  if (n > 0) {
    std::string h(buf, size_t(n));
    out.push_back(normalize_path(h[0] == '/' ? h : gitdir + "/" + h));
  }
  for (const char* f : {"config", "config.worktree"}) {
    auto text = read_entry(g.get(), f);
    if (!text) continue;
    auto entries = parse_git_config(*text);
    if (!entries) continue;
    for (const auto& e : *entries) {
      if (e.section != "core" || e.subsection || e.key != "hookspath" || !e.value) continue;
      const std::string& v = *e.value;
      if (v.empty() || v[0] == '~') continue;  // the user's home: outside what the sandbox writes
      out.push_back(normalize_path(v[0] == '/' ? v : top + "/" + v));
    }
  }
  return out;
}

// Is `path` (a file with a hook's name) in a directory some enclosing repository runs hooks
// from? Only asked for hook names, so ordinary writes never pay for the walk.
std::string runs_as_hook(const Context& ctx, std::string_view path) {
  std::string dir = parent_path(path);
  std::string a = dir;
  for (int depth = 0; depth < 64; ++depth) {
    for (const auto& h : hook_dirs_of(ctx, a))
      if (h == dir) return a;
    if (a == "/") break;
    a = parent_path(a);
  }
  return {};
}

}  // namespace

bool is_gitdir(const Context& ctx, const std::string& dir) {
  UniqueFd d(open_in_sandbox(ctx, dir, O_DIRECTORY));
  if (!d.valid()) return false;
  // What `git init` would take as its gitdir (see classify_git_path).
  if (base_name(dir) == ".git") return true;
  if (present(d.get(), "HEAD") || present(d.get(), "commondir")) return true;
  return present(d.get(), "objects") && present(d.get(), "refs");
}

GitCheck check_git(const Context& ctx, const Place& at, GitOp op, bool is_dir) {
  GitCheck out;
  if (at.private_mount) return out;
  auto probe = [&ctx](const std::string& d) { return is_gitdir(ctx, d); };
  auto judge_one = [&](std::string_view path, bool canonical) {
    GitControl c = classify_git_path(path, probe);
    if (canonical) out.control = c;
    GitVerdict v = judge_git_op(c, path, op, is_dir);
    if (v.kind == GitVerdict::Kind::Refuse && out.kind != GitVerdict::Kind::Refuse)
      out.reason =
          v.reason + (canonical ? "" : " (reached through a symlink: " + std::string(path) + ")");
    out.kind = worst(out.kind, v.kind);
  };
  judge_one(at.path, true);
  for (const auto& a : at.aliases) judge_one(a, false);
  // A hook-named file in a directory a repository runs hooks from (a symlinked .git/hooks, a
  // core.hooksPath the user set), in a repository at any depth.
  bool adds = op == GitOp::Create || op == GitOp::RenameTo || op == GitOp::LinkTo ||
              op == GitOp::Exchange || op == GitOp::Write || op == GitOp::Chmod;
  if (out.kind != GitVerdict::Kind::Refuse && adds && out.control.role == GitRole::None &&
      is_hook_name(base_name(at.path))) {
    std::string repo = runs_as_hook(ctx, at.path);
    if (!repo.empty()) {
      out.kind = GitVerdict::Kind::Refuse;
      out.reason = "git would run it as a hook of the repository at " + repo;
    }
  }
  return out;
}

Out<long> install_checked(Call& c, const Location& s, const Location& d, const GitControl& control,
                          unsigned flags) {
  std::string dwhere = d.canonical();
  if (flags & ~unsigned(RENAME_NOREPLACE))
    return c.refuse({false, EPERM, "changes only through a plain rename"}, "rename to", dwhere);
  UniqueFd src(::openat(s.parent.get(), s.name.c_str(),
                        O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!src.valid()) return CallError{errno};
  struct stat st;
  if (::fstat(src.get(), &st) != 0) return CallError{errno};
  if (st.st_dev != s.st.st_dev || st.st_ino != s.st.st_ino) return CallError{ENOENT};
  auto text = read_all(src.get());
  if (!text)
    return c.refuse({false, EPERM, "not a regular file of at most 1 MiB"}, "install", dwhere);
  std::string previous;
  if (d.type == EntryType::File) previous = read_entry(d.parent.get(), d.name.c_str()).value_or("");
  std::string why = judge_content(c.ctx, control, dwhere, *text, previous);
  if (!why.empty()) return c.refuse({false, EPERM, why}, "change of", dwhere);
  // What was checked is what is installed: our copy, not the file the sandbox can still write.
  int e =
      write_and_rename(d.parent.get(), d.name, *text, st.st_mode & 0666, flags & RENAME_NOREPLACE);
  if (e != 0) return CallError{e};
  struct stat now;
  if (::fstatat(s.parent.get(), s.name.c_str(), &now, AT_SYMLINK_NOFOLLOW) == 0 &&
      now.st_dev == st.st_dev && now.st_ino == st.st_ino)
    ::unlinkat(s.parent.get(), s.name.c_str(), 0);
  return 0L;
}

void adopt_if_gitdir(Context& ctx, const std::string& dir) {
  if (!is_gitdir(ctx, dir)) return;
  UniqueFd g(open_in_sandbox(ctx, dir, O_DIRECTORY));
  if (!g.valid()) return;
  auto refused = [&](const std::string& name, const std::string& why) {
    std::string aside;
    std::string where = join_path(dir, name);
    if (set_aside(g.get(), name, &aside))
      ctx.records.refused("planted " + where + " (" + why + "; set aside as " + aside + ")");
    else
      ctx.records.refused("planted " + where + " (" + why + "; could not be set aside)");
  };
  // Config: moved away first, so a descriptor opened on it while this was an ordinary
  // directory now reaches only the old file; then checked and reinstalled from our copy.
  for (const char* name : {"config", "config.worktree"}) {
    if (!present(g.get(), name)) continue;
    std::string held = temp_name("adopt");
    if (::syscall(SYS_renameat2, g.get(), name, g.get(), held.c_str(), RENAME_NOREPLACE) != 0)
      continue;
    GitControl control{GitRole::Config, dir};
    auto text = read_entry(g.get(), held.c_str());
    std::string why = text ? judge_content(ctx, control, join_path(dir, name), *text, "")
                           : "not a regular file of at most 1 MiB";
    struct stat st {};
    ::fstatat(g.get(), held.c_str(), &st, AT_SYMLINK_NOFOLLOW);
    if (why.empty() &&
        write_and_rename(g.get(), name, *text, st.st_mode & 0666, RENAME_NOREPLACE) == 0) {
      ::unlinkat(g.get(), held.c_str(), 0);
      continue;
    }
    if (why.empty()) why = "could not be reinstalled";
    // Back under a name git never reads.
    if (::syscall(SYS_renameat2, g.get(), held.c_str(), g.get(), name, RENAME_NOREPLACE) == 0)
      refused(name, why);
    else
      ::unlinkat(g.get(), held.c_str(), 0);
  }
  struct stat hs;
  if (::fstatat(g.get(), "hooks", &hs, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!S_ISDIR(hs.st_mode)) {
      refused("hooks", "a repository's hooks must be a directory");
    } else {
      UniqueFd h(::openat(g.get(), "hooks", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      for (const auto& n : entries_of(g.get(), "hooks")) {
        if (is_inert_hook_name(n) || !h.valid()) continue;
        std::string aside;
        if (set_aside(h.get(), n, &aside))
          ctx.records.refused("planted " + join_path(join_path(dir, "hooks"), n) +
                              " (git would run it as a hook; set aside as " + aside + ")");
      }
    }
  }
  for (const char* sub : {"remotes", "branches"}) {
    UniqueFd r(::openat(g.get(), sub, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!r.valid()) continue;
    for (const auto& n : entries_of(g.get(), sub)) {
      std::string aside;
      if (set_aside(r.get(), n, &aside))
        ctx.records.refused("planted " + join_path(join_path(dir, sub), n) +
                            " (git reads it as a remote's URL; set aside as " + aside + ")");
    }
  }
  for (auto [sub, name] :
       {std::pair{"rebase-merge", "git-rebase-todo"}, std::pair{"sequencer", "todo"}}) {
    UniqueFd r(::openat(g.get(), sub, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!r.valid() || !present(r.get(), name)) continue;
    auto text = read_entry(r.get(), name);
    GitControl control{GitRole::TodoList, dir};
    std::string where = join_path(join_path(dir, sub), name);
    std::string why = text ? judge_content(ctx, control, where, *text, "") : "not a regular file";
    if (why.empty()) continue;
    std::string aside;
    if (set_aside(r.get(), name, &aside))
      ctx.records.refused("planted " + where + " (" + why + "; set aside as " + aside + ")");
  }
}

}  // namespace paddock::mediator
