#include "mediator/locate.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "base/kernel_abi.h"
#include "mediator/decode.h"
#include "policy/paths.h"

namespace paddock::mediator {

int open_in_sandbox(const Context& ctx, const std::string& path, uint64_t flags) {
  kabi::open_how how{};
  how.flags = flags | O_PATH | O_CLOEXEC;
  how.resolve = kabi::RESOLVE_IN_ROOT | kabi::RESOLVE_NO_MAGICLINKS | kabi::RESOLVE_NO_SYMLINKS;
  return int(::syscall(kabi::NR_openat2, ctx.root.get(), path.c_str(), &how, sizeof how));
}

namespace {

constexpr int kMaxSymlinks = 40;

std::optional<std::string> link_of(const std::string& proc_path) {
  char buf[PATH_MAX + 1];
  ssize_t n = ::readlink(proc_path.c_str(), buf, PATH_MAX);
  if (n <= 0) return std::nullopt;
  return std::string(buf, size_t(n));
}

// readlink of an fd whose file was unlinked ends in " (deleted)": drop it, say whether it did.
bool strip_deleted(std::string& path) {
  constexpr std::string_view kSuffix = " (deleted)";
  if (path.size() <= kSuffix.size() ||
      path.compare(path.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
    return false;
  path.resize(path.size() - kSuffix.size());
  return true;
}

// An absolute path with no empty, "." or ".." component and no trailing slash.
bool is_clean(std::string_view p) {
  if (p.empty() || p[0] != '/') return false;
  if (p == "/") return true;
  if (p.back() == '/') return false;
  size_t i = 1;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view c = p.substr(i, j - i);
    if (c.empty() || c == "." || c == "..") return false;
    i = j + 1;
  }
  return true;
}

std::string join_components(const std::vector<std::string>& comps, size_t from, size_t to) {
  std::string out;
  for (size_t k = from; k < to; ++k) {
    out += '/';
    out += comps[k];
  }
  return out;
}

std::vector<std::string> split_components(const std::string& path) {
  std::vector<std::string> out;
  for (auto c : path_components(path)) out.emplace_back(c);
  return out;
}

// The directory `dir` (absolute, possibly holding "." and ".." and symlinks) with its first
// symlink expanded: `link` is where that symlink is (canonical), `expanded` the new spelling of
// `dir`. nullopt link means no symlink was found (the ELOOP came from a swap since undone):
// `expanded` is then `dir` made canonical.
struct Expansion {
  std::optional<std::string> link;
  std::string expanded;
  std::string rest;  // the part of `dir` after the link, for the alias
};

Out<Expansion> expand_first_symlink(const Context& ctx, const std::string& dir) {
  auto comps = split_components(dir);
  std::vector<std::string> stack;  // verified directories, canonical
  for (size_t i = 0; i < comps.size(); ++i) {
    const std::string& c = comps[i];
    if (c == ".") continue;
    if (c == "..") {
      if (!stack.empty()) stack.pop_back();
      continue;
    }
    stack.push_back(c);
    std::string here = join_components(stack, 0, stack.size());
    UniqueFd fd(open_in_sandbox(ctx, here, O_NOFOLLOW));
    if (!fd.valid()) return CallError{errno};
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return CallError{errno};
    if (S_ISDIR(st.st_mode)) continue;
    if (!S_ISLNK(st.st_mode)) return CallError{ENOTDIR};
    char target[PATH_MAX + 1];
    ssize_t n = ::readlinkat(fd.get(), "", target, PATH_MAX);
    if (n <= 0) return CallError{n == 0 ? ENOENT : errno};
    std::string t(target, size_t(n));
    Expansion e;
    e.link = here;
    e.rest = join_components(comps, i + 1, comps.size());
    std::string base = t[0] == '/' ? t : join_components(stack, 0, stack.size() - 1) + "/" + t;
    e.expanded = base + e.rest;
    return e;
  }
  Expansion e;
  e.expanded = stack.empty() ? "/" : join_components(stack, 0, stack.size());
  return e;
}

}  // namespace

EntryType type_of(mode_t m) {
  if (S_ISDIR(m)) return EntryType::Dir;
  if (S_ISREG(m)) return EntryType::File;
  if (S_ISLNK(m)) return EntryType::Symlink;
  if (S_ISSOCK(m)) return EntryType::Socket;
  return EntryType::Other;
}

std::string Location::canonical() const {
  return name.empty() ? parent_path : join_path(parent_path, name);
}

Place Location::place(const std::string& path_storage) const {
  Place p;
  p.path = path_storage;
  p.type = type;
  p.private_mount = private_mount;
  p.aliases = aliases;
  return p;
}

EntryType FdTarget::type() const {
  return type_of(st.st_mode);
}

namespace {

// The directory a relative path starts from, as a canonical sandbox-view path. The mediator
// resolves that path again in the sandbox's root; a caller whose cwd or dirfd is a host
// directory passed in from outside thus has its call land in the sandbox's view, never
// outside it.
Out<std::string> base_dir(Caller& caller, int dirfd) {
  if (dirfd != AT_FDCWD && dirfd < 0) return CallError{EBADF};
  auto l = dirfd == AT_FDCWD ? link_of(caller.proc("cwd"))
                             : link_of(caller.proc("fd/" + std::to_string(dirfd)));
  if (!l) return CallError{dirfd == AT_FDCWD ? ENOENT : EBADF};
  if (l->empty() || (*l)[0] != '/') return CallError{ENOTDIR};
  if (strip_deleted(*l)) return CallError{ENOENT};
  return *l;
}

}  // namespace

Out<Location> locate(const Context& ctx, Caller& caller, const std::string& raw, int dirfd,
                     bool follow) {
  if (raw.empty()) return CallError{ENOENT};
  if (raw.size() > PATH_MAX) return CallError{ENAMETOOLONG};
  std::string path = raw;
  if (path[0] != '/') {
    auto b = base_dir(caller, dirfd);
    if (!b.ok()) return CallError{b.err};
    path = b.value + "/" + path;
  }
  std::vector<std::string> aliases;
  for (int hops = 0; hops <= kMaxSymlinks; ++hops) {
    if (path.size() > 2 * PATH_MAX) return CallError{ENAMETOOLONG};
    FdReference ref = parse_fd_reference(normalize_path(path));
    // procfs has no entry by that name.
    if (ref.kind == FdReference::Kind::Invalid) return CallError{ENOENT};
    if (ref.kind == FdReference::Kind::Cwd || ref.kind == FdReference::Kind::Root) {
      // The caller's own cwd or root, by its magic link: the same place, resolved again in the
      // sandbox's view like any other path.
      if (!ref.pid.empty() && ref.pid != caller.ns_tgid() && ref.pid != caller.ns_tid())
        return CallError{EACCES};
      std::string base = "/";
      if (ref.kind == FdReference::Kind::Cwd) {
        auto b = base_dir(caller, AT_FDCWD);
        if (!b.ok()) return CallError{b.err};
        base = b.value;
      }
      path = ref.rest.empty() ? base : base + "/" + ref.rest;
      continue;
    }
    if (ref.kind == FdReference::Kind::OtherTask) {
      if (ref.pid != caller.ns_tgid() && ref.pid != caller.ns_tid()) return CallError{EACCES};
      ref.kind = FdReference::Kind::Fd;
    }
    if (ref.kind == FdReference::Kind::Fd) {
      if (ref.rest.empty()) {
        Location loc;
        loc.fd_ref = ref.fd;
        loc.aliases = std::move(aliases);
        return loc;
      }
      // "/proc/self/fd/3/x": x in the directory open as the caller's fd 3.
      auto b = base_dir(caller, ref.fd);
      if (!b.ok()) return CallError{b.err};
      path = b.value + "/" + ref.rest;
      continue;
    }
    // Kernel knobs under /proc are not writable in the sandbox (Landlock refuses them too).
    if (path_within(normalize_path(path), "/proc")) return CallError{EACCES};

    FinalSplit split = split_final(path);
    if (split.parent.empty()) return CallError{ENOENT};
    int pfd = open_in_sandbox(ctx, split.parent, O_DIRECTORY);
    if (pfd < 0 && errno == ELOOP) {
      auto e = expand_first_symlink(ctx, split.parent);
      if (!e.ok()) return CallError{e.err};
      std::string suffix = split.name.empty() ? "" : "/" + split.name;
      if (split.trailing_slash) suffix += "/";
      if (e.value.link) aliases.push_back(*e.value.link + e.value.rest + suffix);
      path = e.value.expanded + suffix;
      continue;
    }
    if (pfd < 0) return CallError{errno};
    Location loc;
    loc.parent.reset(pfd);
    loc.trailing_slash = split.trailing_slash;
    if (is_clean(split.parent)) {
      // Resolved without a symlink and without "." or "..": the kernel's name for the
      // directory is the one we asked for.
      loc.parent_path = split.parent;
    } else {
      auto pp = link_of("/proc/self/fd/" + std::to_string(pfd));
      if (!pp || pp->empty() || (*pp)[0] != '/') return CallError{ENOENT};
      loc.parent_path = std::move(*pp);
    }
    loc.name = split.name;
    if (loc.name.empty()) {
      if (::fstat(pfd, &loc.st) != 0) return CallError{errno};
      loc.type = EntryType::Dir;
      loc.private_mount = ctx.is_private(loc.st.st_dev);
      loc.aliases = std::move(aliases);
      return loc;
    }
    if (::fstatat(pfd, loc.name.c_str(), &loc.st, AT_SYMLINK_NOFOLLOW) == 0) {
      loc.type = type_of(loc.st.st_mode);
    } else {
      if (errno != ENOENT) return CallError{errno};
      if (::fstat(pfd, &loc.st) != 0) return CallError{errno};
    }
    loc.private_mount = ctx.is_private(loc.st.st_dev);
    if (loc.type != EntryType::Symlink || !(follow || loc.trailing_slash)) {
      loc.aliases = std::move(aliases);
      return loc;
    }
    char target[PATH_MAX + 1];
    ssize_t n = ::readlinkat(pfd, loc.name.c_str(), target, PATH_MAX);
    if (n <= 0) return CallError{n == 0 ? ENOENT : errno};
    aliases.push_back(loc.canonical());
    std::string t(target, size_t(n));
    path = t[0] == '/' ? t : loc.parent_path + "/" + t;
    if (loc.trailing_slash) path += "/";
  }
  return CallError{ELOOP};
}

Out<FdTarget> examine_fd(const Context& ctx, Caller& caller, int theirs) {
  auto copy = caller.fd(theirs);
  if (!copy.ok()) return CallError{copy.err};
  FdTarget t;
  t.fd = std::move(copy.value);
  if (::fstat(t.fd.get(), &t.st) != 0) return CallError{errno};
  t.private_mount = ctx.is_private(t.st.st_dev);
  auto p = link_of(t.proc_path());
  if (!p || p->empty() || (*p)[0] != '/') return t;  // a pipe, socket or anonymous inode
  bool deleted = strip_deleted(*p);
  t.unlinked = deleted && S_ISREG(t.st.st_mode) && t.st.st_nlink == 0;
  if (deleted) return t;
  // The same inode at the same path in the sandbox's tree, or not reachable at all: a host
  // file given on stdin is not judged by a look-alike name in the sandbox's private /tmp.
  UniqueFd here(open_in_sandbox(ctx, *p, O_NOFOLLOW));
  struct stat hs;
  if (here.valid() && ::fstat(here.get(), &hs) == 0 && hs.st_dev == t.st.st_dev &&
      hs.st_ino == t.st.st_ino) {
    t.reachable = true;
    t.path = std::move(*p);
  }
  return t;
}

}  // namespace paddock::mediator
