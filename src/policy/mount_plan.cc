#include "policy/mount_plan.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "policy/home_layer.h"
#include "policy/paths.h"

namespace paddock {

const char* mount_op_name(MountOp::Kind k) {
  switch (k) {
    case MountOp::Kind::Tmpfs:
      return "tmpfs";
    case MountOp::Kind::MakeDir:
      return "mkdir";
    case MountOp::Kind::MakeFile:
      return "mkfile";
    case MountOp::Kind::Symlink:
      return "symlink";
    case MountOp::Kind::Bind:
      return "bind";
    case MountOp::Kind::HideDir:
      return "hide-dir";
    case MountOp::Kind::HideFile:
      return "hide-file";
    case MountOp::Kind::Proc:
      return "proc";
    case MountOp::Kind::Dev:
      return "dev";
    case MountOp::Kind::ReadOnly:
      return "read-only";
    case MountOp::Kind::Overlay:
      return "overlay";
    case MountOp::Kind::Whiteout:
      return "whiteout";
    case MountOp::Kind::OpaqueDir:
      return "opaque-dir";
    case MountOp::Kind::MaskDir:
      return "mask-dir";
    case MountOp::Kind::MaskFile:
      return "mask-file";
  }
  return "?";
}

bool is_mask_op(MountOp::Kind k) {
  return k == MountOp::Kind::Whiteout || k == MountOp::Kind::OpaqueDir ||
         k == MountOp::Kind::MaskDir || k == MountOp::Kind::MaskFile;
}

namespace {

struct Node {
  enum class Kind {
    Inherit,   // present through an ancestor's bind; only carries overrides
    Skeleton,  // a directory we build: a tmpfs, or a plain directory inside the parent's tmpfs
    Bind,      // host path bound here
    Symlink,
    Hidden,  // absent: not created in the parent skeleton
    HideDir,
    HideFile,
    Tmpfs,  // writable private tmpfs (/tmp; with a source, a home-layer directory of that mode)
    Proc,
    Dev,
    Overlay,     // overlayfs over host `source`: the home layer (writable), or read-only
    Masked,      // absent from an overlay: a whiteout in its mask
    MaskOpaque,  // in an overlay: a directory of the mask hiding the host's beneath it
    MaskDir,     // in an overlay, beneath a MaskOpaque: a plain directory of the mask
  };
  Kind kind = Kind::Inherit;
  std::string source;  // host path for Bind/Overlay/Tmpfs, target for Symlink
  bool writable = false;
  std::string rel;     // Overlay of the home layer: the path relative to the home
  bool is_dir = true;  // for Bind
  std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
};

using K = Node::Kind;

// Hiding an entry of a directory with at least this many entries uses a read-only overlay with
// a mask instead of a skeleton (a bind per remaining entry, ~8 µs each).
constexpr size_t kOverlayAbove = 32;

class Planner {
 public:
  Planner(const FsPolicy& p, const HostFs& fs) : p_(p), fs_(fs), writable_(p.writable) {}

  Result<MountPlan> run() {
    build_root();
    if (p_.home_layer.enabled()) layer_dir(p_.home_layer.path, "");
    apply_read_rules();
    for (const auto& d : p_.deny_read_absent) mask_absent(d);
    for (const auto& w : p_.writable) {
      if (w == "/") return plain_error("allowWrite", "refusing to make / writable", w);
      for (const char* special : {"/proc", "/dev", "/sys"})
        if (path_within(w, special))
          return plain_error("allowWrite", std::string("cannot be writable: inside ") + special, w);
      // Nested writable paths are reached through the outer bind.
      if (writable_.covering(w, /*strictly_above=*/true) == nullptr) reopen(w, /*writable=*/true);
    }
    for (const auto& w : p_.writable) protect_existing(w);
    for (const auto& e : p_.protect.exact())
      if (writable_.covering(e, /*strictly_above=*/true) != nullptr) cover_read_only(e);
    PathSet denied_in_writable;
    for (const auto& d : p_.deny_read)
      if (writable_.covering(d, /*strictly_above=*/true) != nullptr) {
        hide_in_writable(d);
        denied_in_writable.insert(d);
      }
    // A re-opened path beneath a denied one inside a writable root: the empty cover becomes a
    // read-only skeleton holding only the way to it.
    for (const auto& a : p_.allow_read)
      if (denied_in_writable.covering(a, /*strictly_above=*/true) != nullptr) reopen(a, false);
    for (const auto& s : p_.unix_sockets) bind_socket(s);
    if (!p_.self_binary.empty()) bind_self();
    for (const auto& f : p_.view_files) stub_file(f);

    MountPlan plan;
    if (root_.kind == K::Skeleton)
      emit_skeleton_mount(root_, "/", plan);
    else
      emit(root_, "/", plan, /*parent_skeleton=*/false);
    for (auto& p : ro_tmpfs_) plan.ops.push_back({MountOp::Kind::ReadOnly, p, {}, false});
    plan.notes = std::move(notes_);
    return plan;
  }

 private:
  // denyRead hides, allowRead re-opens beneath a hidden path, and the more specific rule wins:
  // a denied path beneath a re-opened one (a credential store under an allowed ~/.config) stays
  // hidden. So rules apply from the shallowest path down, and for one path, allow after deny.
  void apply_read_rules() {
    struct Rule {
      const std::string* path;
      bool allow;
      size_t depth;
    };
    std::vector<Rule> rules;
    for (const auto& d : p_.deny_read)
      if (writable_.covering(d) == nullptr) rules.push_back({&d, false, path_components(d).size()});
    for (const auto& a : p_.allow_read) rules.push_back({&a, true, path_components(a).size()});
    std::stable_sort(rules.begin(), rules.end(), [](const Rule& x, const Rule& y) {
      return x.depth != y.depth ? x.depth < y.depth : (!x.allow && y.allow);
    });
    // An allowRead re-opens only beneath a denyRead in effect; elsewhere it is readable already.
    PathSet hidden;
    for (const auto& r : rules) {
      if (r.allow) {
        if (hidden.covering(*r.path) != nullptr) reopen(*r.path, /*writable=*/false);
      } else if (hide(*r.path) || hidden.covering(*r.path) != nullptr) {
        hidden.insert(*r.path);
      }
    }
  }

  std::unique_ptr<Node> node_for_host(const std::string& host_path, EntryType t) {
    auto n = std::make_unique<Node>();
    switch (t) {
      case EntryType::Dir:
        n->kind = K::Bind;
        n->source = host_path;
        n->is_dir = true;
        return n;
      case EntryType::File:
        n->kind = K::Bind;
        n->source = host_path;
        n->is_dir = false;
        return n;
      case EntryType::Symlink:
        n->kind = K::Symlink;
        n->source = fs_.read_link(host_path);
        return n;
      default:
        // sockets, fifos and devices are left out of rebuilt directories: a host unix socket
        // must not be reachable unless network.allowUnixSockets names it.
        return nullptr;
    }
  }

  void build_root() {
    // The host's root bound read-only as a whole (its own mounts included), with the sandbox's
    // /proc, /dev, /tmp and an empty /run over it: one bind instead of one per top-level entry.
    // When the host lacks one of those mount points, or something directly under / is hidden
    // (make_skeleton), the root is rebuilt entry by entry on a tmpfs instead.
    EntryType run = type_of("/run");
    if (type_of("/proc") == EntryType::Dir && type_of("/dev") == EntryType::Dir &&
        type_of("/tmp") == EntryType::Dir && (run == EntryType::Dir || run == EntryType::Missing)) {
      root_.kind = K::Bind;
      root_.source = std::string(1, '/');  // (a literal trips GCC 12 -Wrestrict)
      auto over = [this](const char* name, K kind) {
        auto n = std::make_unique<Node>();
        n->kind = kind;
        root_.children.emplace(name, std::move(n));
      };
      over("proc", K::Proc);
      over("dev", K::Dev);
      over("tmp", K::Tmpfs);
      // empty: host sockets (docker, dbus, ssh-agent) are absent
      if (run == EntryType::Dir) over("run", K::Skeleton);
      cover_var_dirs();
      return;
    }
    root_.kind = K::Skeleton;
    for (const auto& e : fs_.list("/")) {
      std::unique_ptr<Node> n;
      if (e.name == "proc") {
        n = std::make_unique<Node>();
        n->kind = K::Proc;
      } else if (e.name == "dev") {
        n = std::make_unique<Node>();
        n->kind = K::Dev;
      } else if (e.name == "tmp") {
        n = std::make_unique<Node>();
        n->kind = K::Tmpfs;
      } else if (e.name == "run" && e.type == EntryType::Dir) {
        n = std::make_unique<Node>();
        n->kind = K::Skeleton;  // empty: host sockets (docker, dbus, ssh-agent) are absent
      } else {
        n = node_for_host("/" + e.name, e.type);
      }
      if (n) root_.children[e.name] = std::move(n);
    }
    if (root_.children.count("tmp") == 0) {
      auto n = std::make_unique<Node>();
      n->kind = K::Tmpfs;
      root_.children["tmp"] = std::move(n);
    }
    cover_var_dirs();
  }

  // /var/run and /var/tmp when they are real directories.
  void cover_var_dirs() {
    if (type_of("/var/run") == EntryType::Dir) cover_empty("/var/run", true);
    if (type_of("/var/tmp") == EntryType::Dir) {
      Node* n = walk("/var/tmp", /*through_hidden=*/false);
      if (n) {
        n->kind = K::Tmpfs;
        n->children.clear();
      }
    }
  }

  // Turns a node that exists through a bind (or is bound itself) into a skeleton whose
  // children are rebuilt from the host directory, so one of them can be left out. False when
  // the node does not show the host's directory (the sandbox's own /proc and /dev, a directory
  // shown empty): rebuilding it from the host listing would expose what it hides.
  bool make_skeleton(Node* n, const std::string& path) {
    if (n->kind == K::Skeleton || n->kind == K::Tmpfs || is_mask_dir(n->kind)) return true;
    if (n->kind != K::Bind && n->kind != K::Inherit) return false;
    std::string source = n->kind == K::Bind ? n->source : path;
    auto old = std::move(n->children);
    n->children.clear();
    n->kind = K::Skeleton;
    n->source.clear();
    for (const auto& e : listing(source)) {
      auto it = old.find(e.name);
      if (it != old.end()) {
        auto child = std::move(it->second);
        if (child->kind == K::Inherit) {
          // was reachable through our bind; now needs a bind of its own
          std::string cpath = join_path(source, e.name);
          auto fresh = node_for_host(cpath, e.type);
          if (fresh) {
            fresh->children = std::move(child->children);
            child = std::move(fresh);
          }
        }
        n->children[e.name] = std::move(child);
        old.erase(it);
      } else if (auto c = node_for_host(join_path(source, e.name), e.type)) {
        n->children[e.name] = std::move(c);
      }
    }
    for (auto& [name, child] : old) n->children[name] = std::move(child);  // overrides kept
    return true;
  }

  // Walks (creating Inherit nodes) to `path`. Stops at a Symlink/Hidden (returns null) unless
  // through_hidden, in which case hidden directories become empty skeletons.
  Node* walk(const std::string& path, bool through_hidden) {
    Node* n = &root_;
    for (auto c : path_components(path)) {
      auto it = n->children.find(c);
      if (it == n->children.end()) {
        if ((n->kind == K::Skeleton || is_mask_dir(n->kind)) && !through_hidden)
          return nullptr;  // not in the view
        auto child = std::make_unique<Node>();
        // inside a tmpfs (or a mask) we build, a missing directory is simply created
        child->kind = (n->kind == K::Skeleton || n->kind == K::Tmpfs) ? K::Skeleton
                      : is_mask_dir(n->kind)                          ? K::MaskDir
                                                                      : K::Inherit;
        it = n->children.emplace(std::string(c), std::move(child)).first;
      }
      Node* child = it->second.get();
      if (child->kind == K::Hidden || child->kind == K::HideDir) {
        if (!through_hidden) return nullptr;
        child->kind = K::Skeleton;  // empty: only what is re-opened beneath it appears
        child->children.clear();
      }
      if (child->kind == K::Masked) {
        if (!through_hidden) return nullptr;
        child->kind = K::MaskOpaque;  // the same, in an overlay's mask
        child->children.clear();
      }
      if (child->kind == K::Symlink || child->kind == K::HideFile) return nullptr;
      n = child;
    }
    return n;
  }

  // True when `d` is now hidden by this call.
  bool hide(const std::string& d) {
    if (d == "/") return false;
    if (type_of(d) == EntryType::Missing) return false;
    const std::string pp = parent_path(d);
    Node* parent = walk(pp, false);
    if (parent == nullptr) return false;  // already absent
    // In an overlay (the home layer, a large directory) an entry is hidden by its mask: one
    // whiteout, not one bind per sibling.
    if (!in_overlay(pp) && !overlay_instead_of_skeleton(parent, pp) && !make_skeleton(parent, pp))
      return false;  // not the host's contents anyway
    auto& slot = parent->children[base_name(d)];
    if (!slot) slot = std::make_unique<Node>();
    slot->kind = in_overlay(pp) ? K::Masked : K::Hidden;
    slot->children.clear();
    return true;
  }

  // A denied name not on the host now: in an overlay, whose lower layer is live, it is masked
  // anyway (elsewhere the view is fixed when the sandbox starts).
  void mask_absent(const std::string& d) {
    if (d == "/" || writable_.covering(d) != nullptr) return;
    const std::string pp = parent_path(d);
    // Where the host has no such directory either, nothing can appear beneath it but with it
    // (a store made with its directory during the run shows: the price of not making every
    // such directory, empty, inside).
    if (!in_overlay(pp) || type_of(pp) != EntryType::Dir) return;
    Node* parent = walk(pp, false);
    if (parent == nullptr || parent->children.count(base_name(d)) != 0) return;
    auto n = std::make_unique<Node>();
    n->kind = K::Masked;
    parent->children.emplace(base_name(d), std::move(n));
  }

  // Is `path` shown through an overlay (its nearest node that is not Inherit is one, or is in
  // one's mask)? Looks at existing nodes only.
  bool in_overlay(const std::string& path) const {
    const Node* n = &root_;
    K realm = root_.kind;
    for (auto c : path_components(path)) {
      auto it = n->children.find(c);
      if (it == n->children.end()) break;  // beneath n: inherited from it
      n = it->second.get();
      if (n->kind != K::Inherit) realm = n->kind;
    }
    return realm == K::Overlay || is_mask_dir(realm);
  }

  static bool is_mask_dir(K k) { return k == K::MaskOpaque || k == K::MaskDir; }

  // Is a path the plan mounts on its own (re-opened, writable, a socket) beneath `dir`?
  bool opened_beneath(const std::string& dir) {
    if (!opened_) {
      std::vector<std::string> v = p_.allow_read;
      v.insert(v.end(), p_.writable.begin(), p_.writable.end());
      v.insert(v.end(), p_.unix_sockets.begin(), p_.unix_sockets.end());
      std::sort(v.begin(), v.end());
      opened_ = std::move(v);
    }
    std::string prefix = dir == "/" ? dir : dir + "/";
    auto it = std::lower_bound(opened_->begin(), opened_->end(), prefix);
    return it != opened_->end() && it->compare(0, prefix.size(), prefix) == 0;
  }

  // The overlay `path` is shown through, if any (nearest node that is not Inherit).
  const Node* overlay_of(const std::string& path) const {
    const Node* n = &root_;
    const Node* realm = &root_;
    const Node* overlay = nullptr;
    for (auto c : path_components(path)) {
      auto it = n->children.find(c);
      if (it == n->children.end()) break;
      n = it->second.get();
      if (n->kind == K::Overlay) overlay = n;
      if (n->kind != K::Inherit) realm = n;
    }
    return realm->kind == K::Overlay || is_mask_dir(realm->kind) ? overlay : nullptr;
  }

  // Host mount points, read once when first needed.
  const std::vector<std::string>& host_mounts() {
    if (!host_mounts_) host_mounts_ = fs_.mount_points();
    return *host_mounts_;
  }
  bool has_mount_beneath(const std::string& dir) {
    const auto& m = host_mounts();
    std::string prefix = dir == "/" ? dir : dir + "/";
    auto it = std::lower_bound(m.begin(), m.end(), prefix);
    return it != m.end() && it->compare(0, prefix.size(), prefix) == 0;
  }
  bool is_mount_point(const std::string& p) {
    const auto& m = host_mounts();
    return std::binary_search(m.begin(), m.end(), p);
  }

  // Hiding one entry of a directory of many (/etc) by rebuilding it costs a bind per sibling; a
  // read-only overlay over it with a masked entry costs one mount. Not for "/", nor where a
  // filesystem is mounted beneath (an overlay in a user namespace cannot take such a lower).
  bool overlay_instead_of_skeleton(Node* n, const std::string& path) {
    if (path == "/" || (n->kind != K::Inherit && (n->kind != K::Bind || n->writable))) return false;
    // Something mounted beneath a masked entry would need an opaque directory in the mask, and
    // tmpfs takes the xattr that marks one only from Linux 6.6: a skeleton does without.
    if (opened_beneath(path)) return false;
    const std::string source = n->kind == K::Bind ? n->source : path;
    if (type_of(source) != EntryType::Dir || listing(source).size() < kOverlayAbove) return false;
    if (has_mount_beneath(source)) return false;
    n->kind = K::Overlay;
    n->source = source;
    n->writable = false;
    return true;
  }

  // The home layer at `dir` (`rel` to the home). An overlay over the host's directory; but a
  // directory with filesystems mounted beneath it cannot be an unprivileged overlay's lower
  // layer, so it becomes a writable tmpfs holding its entries (written for the run only), each
  // layered in turn, mounts bound as they are.
  void layer_dir(const std::string& dir, const std::string& rel) {
    if (writable_.covering(dir) != nullptr) return;  // bound writable as it is
    Node* n = walk(dir, false);
    if (n == nullptr || (n->kind != K::Inherit && n->kind != K::Bind)) return;
    if (!has_mount_beneath(dir)) {
      n->kind = K::Overlay;
      n->source = dir;
      n->writable = true;
      n->rel = rel;
      return;
    }
    if (!make_skeleton(n, dir)) return;
    n->kind = K::Tmpfs;
    n->source = dir;
    for (auto& [name, c] : n->children) {
      std::string cp = join_path(dir, name);
      if (c->kind == K::Bind && c->is_dir && !is_mount_point(cp))
        layer_dir(cp, rel.empty() ? name : rel + "/" + name);
    }
  }

  void reopen(const std::string& a, bool writable) {
    EntryType t = type_of(a);
    if (t == EntryType::Missing) return;
    Node* parent = walk(parent_path(a), true);
    if (parent == nullptr) return;
    auto& slot = parent->children[base_name(a)];
    // Re-opening a masked entry of the home layer unmasks it: readable through the overlay,
    // and written like the rest of the home, into the layer (a tool's state file such as
    // ~/.claude.json keeps working).
    if (!writable && slot && slot->kind == K::Masked) {
      const Node* o = overlay_of(parent_path(a));
      if (o != nullptr && o->writable && !is_mask_dir(parent->kind)) {
        slot->kind = K::Inherit;
        slot->children.clear();
        return;
      }
    }
    auto n = std::make_unique<Node>();
    n->kind = K::Bind;
    n->source = a;
    n->writable = writable;
    n->is_dir = t == EntryType::Dir;
    if (slot && !writable) n->children = std::move(slot->children);
    slot = std::move(n);
  }

  void cover_read_only(const std::string& p) {
    EntryType t = type_of(p);
    if (t != EntryType::Dir && t != EntryType::File) return;  // symlinks: judged where they land
    Node* parent = walk(parent_path(p), false);
    if (parent == nullptr) return;
    auto n = std::make_unique<Node>();
    n->kind = K::Bind;
    n->source = p;
    n->is_dir = t == EntryType::Dir;
    parent->children[base_name(p)] = std::move(n);
  }

  void protect_existing(const std::string& w) {
    // The project's own repository: .git is bound onto itself (still writable) so it is a mount
    // point that cannot be renamed or removed and swapped for a gitfile; a gitfile (worktree)
    // is bound read-only.
    if (type_of(w) != EntryType::Dir) return;  // nothing there yet, nothing to protect
    const std::vector<std::string>& names = bind_query().names;
    std::vector<EntryType> types = fs_.types_in(w, names);
    std::string git = join_path(w, ".git");
    EntryType gt = types[bind_query().git];
    if (gt == EntryType::Dir) {
      if (Node* parent = walk(w, false)) {
        auto n = std::make_unique<Node>();
        n->kind = K::Bind;
        n->source = git;
        n->writable = true;
        parent->children[".git"] = std::move(n);
      }
    } else if (gt == EntryType::File) {
      cover_read_only(git);
    }
    // A name under a symlinked directory (.claude -> elsewhere) is not bound: the bind would
    // land wherever the link points, outside what the name rules describe. A repository's .git
    // is the exception: a user's `.git -> elsewhere` (the sandbox cannot create one) is the
    // repository git runs, and binding its hooks and config read-only is what is wanted.
    for (const BindQuery::Entry& e : bind_query().entries) {
      const EntryType t = types[e.index];
      if (t != EntryType::Dir && t != EntryType::File) continue;
      bool real_parents = true;
      for (size_t pi : e.parents) real_parents = real_parents && types[pi] == EntryType::Dir;
      if (real_parents) cover_read_only(join_path(w, names[e.index]));
    }
  }

  // The names asked of each writable root: the protected names to bind, the directories they
  // lie in, and .git; built once per plan.
  struct BindQuery {
    struct Entry {
      size_t index;                 // of the name in `names`
      std::vector<size_t> parents;  // of its leading directories in `names`
    };
    std::vector<std::string> names;
    std::vector<Entry> entries;
    size_t git = 0;
  };
  const BindQuery& bind_query() {
    if (bind_query_) return *bind_query_;
    BindQuery q;
    std::unordered_map<std::string, size_t> seen;
    auto index_of = [&q, &seen](const std::string& n) {
      auto [it, added] = seen.emplace(n, q.names.size());
      if (added) q.names.push_back(n);
      return it->second;
    };
    for (const std::string& n : p_.protect.names_to_bind_in_root()) {
      BindQuery::Entry e{index_of(n), {}};
      const bool git = n.rfind(".git/", 0) == 0;
      for (size_t slash = n.find('/'); !git && slash != std::string::npos;
           slash = n.find('/', slash + 1))
        e.parents.push_back(index_of(n.substr(0, slash)));
      q.entries.push_back(std::move(e));
    }
    q.git = index_of(".git");
    bind_query_ = std::move(q);
    return *bind_query_;
  }

  void cover_empty(const std::string& p, bool is_dir) {
    Node* parent = walk(parent_path(p), false);
    if (parent == nullptr) return;
    auto n = std::make_unique<Node>();
    n->kind = is_dir ? K::HideDir : K::HideFile;
    parent->children[base_name(p)] = std::move(n);
  }

  void hide_in_writable(const std::string& d) {
    EntryType t = type_of(d);
    if (t == EntryType::Missing) return;
    // A writable directory cannot be rebuilt from a tmpfs without losing writes, so the denied
    // entry keeps its name and shows as empty.
    cover_empty(d, t == EntryType::Dir);
    notes_.push_back(d + " is inside a writable path: shown empty instead of absent");
  }

  void bind_self() {
    if (type_of(p_.self_binary) != EntryType::File) return;
    Node* parent = walk(parent_path(kSelfInSandbox), true);
    if (parent == nullptr || parent->kind != K::Skeleton) return;
    auto n = std::make_unique<Node>();
    n->kind = K::Bind;
    n->source = p_.self_binary;
    n->is_dir = false;
    parent->children[base_name(kSelfInSandbox)] = std::move(n);
  }

  void stub_file(const std::string& f) {
    if (type_of(f) == EntryType::Dir) return;
    Node* parent = walk(parent_path(f), true);
    if (parent == nullptr || parent->kind != K::Skeleton) return;
    auto& slot = parent->children[base_name(f)];
    if (slot) return;  // something the policy put there already
    slot = std::make_unique<Node>();
    slot->kind = K::HideFile;  // an empty read-only file, covered by the generated one
    slot->is_dir = false;
  }

  void bind_socket(const std::string& s) {
    if (type_of(s) != EntryType::Socket) return;
    Node* parent = walk(parent_path(s), true);
    if (parent == nullptr) return;
    auto n = std::make_unique<Node>();
    n->kind = K::Bind;
    n->source = s;
    n->is_dir = false;
    n->writable = true;  // connect() needs write permission on the socket inode
    parent->children[base_name(s)] = std::move(n);
  }

  // --- emission ---

  // Creates the entries of a skeleton directory (inside a tmpfs) and recurses.
  void emit_skeleton_entries(const Node& n, const std::string& path, MountPlan& plan) {
    for (const auto& [name, c] : n.children) {
      std::string cp = join_path(path, name);
      switch (c->kind) {
        case K::Hidden:
          break;
        case K::Symlink:
          plan.ops.push_back({MountOp::Kind::Symlink, cp, c->source});
          break;
        case K::Bind:
        case K::HideFile:
          plan.ops.push_back(
              {c->kind == K::Bind && c->is_dir ? MountOp::Kind::MakeDir : MountOp::Kind::MakeFile,
               cp});
          break;
        default:
          plan.ops.push_back({MountOp::Kind::MakeDir, cp});
          break;
      }
      if (c->kind == K::Skeleton) emit_skeleton_entries(*c, cp, plan);
    }
  }

  void emit_skeleton_mount(const Node& n, const std::string& path, MountPlan& plan) {
    if (path != "/") plan.ops.push_back({MountOp::Kind::Tmpfs, path});
    emit_skeleton_entries(n, path, plan);
    ro_tmpfs_.push_back(path);
    emit_children(n, path, plan, /*in_skeleton=*/true);
  }

  // The mask first (it is a lower layer of the overlay), then the overlay, then what is mounted
  // on top of it (writable roots, re-opened paths).
  void emit_overlay(const Node& n, const std::string& path, MountPlan& plan) {
    emit_mask(n, path, path, plan);
    MountOp op{MountOp::Kind::Overlay, path, n.source, n.writable};
    if (n.writable && p_.home_layer.mode == HomeLayer::Mode::Persistent) {
      op.store = p_.home_layer.store;
      op.upper = layer_upper_rel(n.rel);
      op.work = layer_work_rel(n.rel, p_.home_layer.run);
    }
    plan.ops.push_back(std::move(op));
    emit_children(n, path, plan, false);
  }

  void emit_mask(const Node& n, const std::string& path, const std::string& overlay,
                 MountPlan& plan) {
    for (const auto& [name, c] : n.children) {
      std::string cp = join_path(path, name);
      if (c->kind == K::Inherit) {
        emit_mask(*c, cp, overlay, plan);
      } else if (c->kind == K::Masked) {
        plan.ops.push_back({MountOp::Kind::Whiteout, cp, overlay});
      } else if (c->kind == K::MaskOpaque) {
        plan.ops.push_back({MountOp::Kind::OpaqueDir, cp, overlay});
        emit_mask_entries(*c, cp, overlay, plan);
      }
    }
  }

  // Beneath an opaque directory only what the mask holds appears: the ways to the mount points.
  void emit_mask_entries(const Node& n, const std::string& path, const std::string& overlay,
                         MountPlan& plan) {
    for (const auto& [name, c] : n.children) {
      std::string cp = join_path(path, name);
      switch (c->kind) {
        case K::Masked:
        case K::Symlink:
          break;
        case K::Bind:
          plan.ops.push_back(
              {c->is_dir ? MountOp::Kind::MaskDir : MountOp::Kind::MaskFile, cp, overlay});
          break;
        case K::HideFile:
          plan.ops.push_back({MountOp::Kind::MaskFile, cp, overlay});
          break;
        default:
          plan.ops.push_back({MountOp::Kind::MaskDir, cp, overlay});
          if (is_mask_dir(c->kind)) emit_mask_entries(*c, cp, overlay, plan);
          break;
      }
    }
  }

  void emit_children(const Node& n, const std::string& path, MountPlan& plan, bool in_skeleton) {
    for (const auto& [name, c] : n.children) emit(*c, join_path(path, name), plan, in_skeleton);
  }

  void emit(const Node& n, const std::string& path, MountPlan& plan, bool parent_skeleton) {
    switch (n.kind) {
      case K::Inherit:
        emit_children(n, path, plan, false);
        break;
      case K::Skeleton:
        if (parent_skeleton) {
          emit_children(n, path, plan, true);  // a plain directory in the parent's tmpfs
        } else {
          emit_skeleton_mount(n, path, plan);
        }
        break;
      case K::Bind:
        plan.ops.push_back({MountOp::Kind::Bind, path, n.source, n.writable});
        emit_children(n, path, plan, false);
        break;
      case K::Symlink:
        if (!parent_skeleton) plan.ops.push_back({MountOp::Kind::Symlink, path, n.source});
        break;
      case K::Hidden:
        break;
      case K::HideDir:
        plan.ops.push_back({MountOp::Kind::HideDir, path});
        break;
      case K::HideFile:
        plan.ops.push_back({MountOp::Kind::HideFile, path});
        break;
      case K::Tmpfs:
        plan.ops.push_back({MountOp::Kind::Tmpfs, path, n.source, true});
        emit_skeleton_entries(n, path, plan);
        emit_children(n, path, plan, /*in_skeleton=*/true);
        break;
      case K::Overlay:
        emit_overlay(n, path, plan);
        break;
      case K::Masked:
        break;
      case K::MaskOpaque:
      case K::MaskDir:
        emit_children(n, path, plan, false);  // their mount points are in the mask
        break;
      case K::Proc:
        plan.ops.push_back({MountOp::Kind::Proc, path});
        break;
      case K::Dev:
        plan.ops.push_back({MountOp::Kind::Dev, path});
        break;
    }
  }

  const std::vector<HostEntry>& listing(const std::string& dir) {
    auto it = listings_.find(dir);
    if (it == listings_.end()) it = listings_.emplace(dir, fs_.list(dir)).first;
    return it->second;
  }

  // Host lookups, each made once: the same path is asked about by several rules.
  EntryType type_of(const std::string& path) {
    auto it = types_.find(path);
    if (it == types_.end()) it = types_.emplace(path, fs_.type(path)).first;
    return it->second;
  }

  const FsPolicy& p_;
  const HostFs& fs_;
  std::unordered_map<std::string, EntryType> types_;
  std::unordered_map<std::string, std::vector<HostEntry>> listings_;
  std::optional<std::vector<std::string>> host_mounts_;
  std::optional<std::vector<std::string>> opened_;
  const PathSet writable_;
  std::optional<BindQuery> bind_query_;
  Node root_;
  std::vector<std::string> ro_tmpfs_;
  std::vector<std::string> notes_;
};

}  // namespace

bool starts_from_host_root(const MountPlan& plan) {
  return !plan.ops.empty() && plan.ops.front().kind == MountOp::Kind::Bind &&
         plan.ops.front().path == "/";
}

std::vector<std::string> home_layer_mounts(const MountPlan& plan) {
  std::vector<std::string> out;
  for (const auto& op : plan.ops)
    if ((op.kind == MountOp::Kind::Overlay && op.writable) ||
        (op.kind == MountOp::Kind::Tmpfs && op.writable && !op.source.empty()))
      out.push_back(op.path);
  return out;
}

Result<MountPlan> plan_mounts(const FsPolicy& policy, const HostFs& fs) {
  return Planner(policy, fs).run();
}

}  // namespace paddock
