#pragma once
// Reading a MountPlan in the planner's unit tests: what is on top at a view path, which host path
// shows there, and the invariants every plan keeps.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "fake_host_fs.h"
#include "policy/mount_plan.h"
#include "policy/paths.h"

namespace paddock {

using Kind = MountOp::Kind;

// ---------------------------------------------------------------------------------------------
// Reading a plan.

inline bool is_mount(Kind k) {
  return k == Kind::Tmpfs || k == Kind::Bind || k == Kind::HideDir || k == Kind::HideFile ||
         k == Kind::Proc || k == Kind::Dev || k == Kind::Overlay;
}
inline bool is_entry(Kind k) {
  return k == Kind::MakeDir || k == Kind::MakeFile || k == Kind::Symlink;
}

inline std::string dump(const MountPlan& plan) {
  std::ostringstream o;
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    const auto& op = plan.ops[i];
    o << "  " << i << ": " << mount_op_name(op.kind) << " " << op.path;
    if (!op.source.empty()) o << (op.kind == Kind::Symlink ? " -> " : " <- ") << op.source;
    if (op.writable) o << " rw";
    if (!op.store.empty()) o << " [" << op.store << " " << op.upper << " " << op.work << "]";
    o << "\n";
  }
  for (const auto& n : plan.notes) o << "  note: " << n << "\n";
  return o.str();
}

inline MountPlan plan_ok(const FsPolicy& policy, const HostFs& fs) {
  auto r = plan_mounts(policy, fs);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(*r) : MountPlan{};
}

// Index of the first op of `kind` at `path`, or -1.
inline int find(const MountPlan& plan, Kind kind, const std::string& path) {
  for (size_t i = 0; i < plan.ops.size(); ++i)
    if (plan.ops[i].kind == kind && plan.ops[i].path == path) return static_cast<int>(i);
  return -1;
}

inline const MountOp* op_at(const MountPlan& plan, Kind kind, const std::string& path) {
  int i = find(plan, kind, path);
  return i < 0 ? nullptr : &plan.ops[size_t(i)];
}

inline int count(const MountPlan& plan, Kind kind) {
  return static_cast<int>(std::count_if(plan.ops.begin(), plan.ops.end(),
                                        [&](const MountOp& op) { return op.kind == kind; }));
}

// Does any op's path or source contain `s`?
inline bool mentions(const MountPlan& plan, const std::string& s) {
  for (const auto& op : plan.ops)
    if (op.path.find(s) != std::string::npos || op.source.find(s) != std::string::npos) return true;
  return false;
}

// The mount on top at view path `v` once the plan has run: the last mount op at `v` or above it
// (a later mount over an ancestor hides earlier ones beneath it). -1: the root tmpfs.
inline int top_mount(const MountPlan& plan, const std::string& v, size_t before = SIZE_MAX) {
  int top = -1;
  for (size_t i = 0; i < plan.ops.size() && i < before; ++i)
    if (is_mount(plan.ops[i].kind) && path_within(v, plan.ops[i].path)) top = static_cast<int>(i);
  return top;
}

// The mask steps of the overlay at op index `overlay` (those just before it).
inline std::vector<const MountOp*> mask_of(const MountPlan& plan, size_t overlay) {
  std::vector<const MountOp*> out;
  for (size_t i = overlay; i-- > 0 && is_mask_op(plan.ops[i].kind);) out.push_back(&plan.ops[i]);
  return out;
}

// Does the mask of the overlay at index `overlay` keep view path `v` from showing the host's
// (a whiteout or an opaque directory at `v` or above it)?
inline bool masked(const MountPlan& plan, size_t overlay, const std::string& v) {
  for (const MountOp* m : mask_of(plan, overlay)) {
    if (m->kind == Kind::Whiteout && path_within(v, m->path)) return true;
    if (m->kind == Kind::OpaqueDir && path_within(v, m->path) && v != m->path) return true;
  }
  return false;
}

// The host path whose contents appear at view path `v`, if a bind or an overlay shows one.
inline std::optional<std::string> host_at(const MountPlan& plan, const std::string& v) {
  int t = top_mount(plan, v);
  if (t < 0) return std::nullopt;
  const auto& op = plan.ops[size_t(t)];
  if (op.kind == Kind::Overlay) {
    if (op.source.empty() || masked(plan, size_t(t), v)) return std::nullopt;
  } else if (op.kind != Kind::Bind) {
    return std::nullopt;
  }
  return op.source + v.substr(op.path.size());
}

// Is host path `d` (or anything beneath it) visible anywhere in the view?
inline ::testing::AssertionResult Hidden(const MountPlan& plan, const std::string& d) {
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    const auto& op = plan.ops[i];
    if (op.kind != Kind::Bind && op.kind != Kind::Overlay) continue;
    if (op.kind == Kind::Overlay && op.source.empty()) continue;
    std::string v;
    if (path_within(op.source, d)) {
      v = op.path;
    } else if (path_within(d, op.source)) {
      v = op.source == "/" ? (op.path == "/" ? d : op.path + d)
                           : op.path + d.substr(op.source.size());
    } else {
      continue;
    }
    if (op.kind == Kind::Overlay && masked(plan, i, v)) continue;
    if (top_mount(plan, v) == static_cast<int>(i))
      return ::testing::AssertionFailure()
             << d << " is visible at " << v << " through op " << i << "\n"
             << dump(plan);
  }
  return ::testing::AssertionSuccess();
}

// Invariants every plan must keep, whatever the policy:
//  - entries (mkdir, mkfile, symlink) are only made inside a tmpfs we mounted (or the root
//    tmpfs), never in a bound host directory (host litter) nor beneath a hidden one;
//  - every mount point exists when it is mounted on: made earlier in the enclosing tmpfs, or
//    present on the host beneath the enclosing bind, with a matching file/directory type;
//  - every read-only skeleton tmpfs gets exactly one ReadOnly, after all entries made in it;
//    the writable tmpfs (/tmp) gets none.
inline void expect_well_formed(const MountPlan& plan, const FakeFs& fs) {
  SCOPED_TRACE(dump(plan));
  std::map<std::string, int> entry_index;  // path -> index of the op that made it
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    const auto& op = plan.ops[i];
    if (op.kind == Kind::ReadOnly) continue;
    if (is_mask_op(op.kind)) {
      // A mask step belongs to the next overlay, beneath it (never at it).
      size_t j = i;
      while (j < plan.ops.size() && is_mask_op(plan.ops[j].kind)) ++j;
      ASSERT_LT(j, plan.ops.size()) << "op " << i << ": a mask step with no overlay after it";
      EXPECT_EQ(plan.ops[j].kind, Kind::Overlay) << "op " << i;
      EXPECT_EQ(op.source, plan.ops[j].path) << "op " << i;
      EXPECT_TRUE(path_within(op.path, op.source) && op.path != op.source) << "op " << i;
      continue;
    }
    if (op.path == "/") {
      // Only as the first step: the host's root, read-only.
      EXPECT_TRUE(i == 0 && op.kind == Kind::Bind && op.source == "/" && !op.writable)
          << "op " << i << " at /";
      continue;
    }
    ASSERT_EQ(op.path, normalize_path(op.path)) << "op " << i;
    int c = top_mount(plan, parent_path(op.path), i);
    Kind ck = c < 0 ? Kind::Tmpfs : plan.ops[size_t(c)].kind;
    std::string cpath = c < 0 ? "/" : plan.ops[size_t(c)].path;
    if (is_entry(op.kind)) {
      EXPECT_EQ(ck, Kind::Tmpfs) << "op " << i << " makes " << op.path << " inside a "
                                 << mount_op_name(ck) << " at " << cpath;
      std::string parent = parent_path(op.path);
      if (parent != cpath) {
        auto it = entry_index.find(parent);
        EXPECT_TRUE(it != entry_index.end() && it->second > c)
            << "op " << i << ": parent " << parent << " not made in the tmpfs at " << cpath;
      }
      EXPECT_EQ(entry_index.count(op.path), 0u) << "op " << i << " makes " << op.path << " twice";
      entry_index[op.path] = static_cast<int>(i);
      continue;
    }
    ASSERT_TRUE(is_mount(op.kind));
    bool wants_dir = op.kind != Kind::HideFile &&
                     !(op.kind == Kind::Bind && fs.type(op.source) != EntryType::Dir);
    if (op.kind == Kind::Bind || (op.kind == Kind::Overlay && !op.source.empty())) {
      EXPECT_NE(fs.type(op.source), EntryType::Missing) << "op " << i;
    }
    if (ck == Kind::Tmpfs) {
      auto it = entry_index.find(op.path);
      ASSERT_TRUE(it != entry_index.end() && it->second > c)
          << "op " << i << ": mount point " << op.path << " not made in the tmpfs at " << cpath;
      Kind made = plan.ops[size_t(it->second)].kind;
      EXPECT_EQ(made, wants_dir ? Kind::MakeDir : Kind::MakeFile) << "op " << i;
    } else if (ck == Kind::Overlay) {
      // On an overlay: the host's entry through it, unmasked, or one its mask made.
      const auto& o = plan.ops[size_t(c)];
      bool in_mask = false;
      for (const MountOp* m : mask_of(plan, size_t(c)))
        if (m->path == op.path && m->kind != Kind::Whiteout)
          in_mask = (m->kind == Kind::MaskFile) != wants_dir;
      std::string hp = o.source + op.path.substr(o.path.size());
      bool from_host = !o.source.empty() && !masked(plan, size_t(c), op.path) &&
                       fs.type(hp) != EntryType::Missing &&
                       (fs.type(hp) == EntryType::Dir) == wants_dir;
      EXPECT_TRUE(in_mask || from_host)
          << "op " << i << ": mount point " << op.path << " missing on the overlay at " << cpath;
    } else if (ck == Kind::Bind) {
      const auto& b = plan.ops[size_t(c)];
      std::string hp = b.source + op.path.substr(b.path.size());
      EntryType t = fs.type(hp);
      EXPECT_NE(t, EntryType::Missing) << "op " << i << ": mount point " << hp << " missing";
      if (t != EntryType::Missing) {
        EXPECT_EQ(t == EntryType::Dir, wants_dir) << "op " << i << " type mismatch at " << hp;
      }
    } else {
      ADD_FAILURE() << "op " << i << " mounts " << op.path << " beneath a " << mount_op_name(ck)
                    << " at " << cpath;
    }
  }
  // ReadOnly: one per read-only tmpfs (and "/"), after every entry made inside it.
  std::set<std::string> ro_wanted;
  if (!starts_from_host_root(plan)) ro_wanted.insert("/");
  for (const auto& op : plan.ops) {
    if (op.kind == Kind::Tmpfs && !op.writable) ro_wanted.insert(op.path);
  }
  std::set<std::string> ro_seen;
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    const auto& op = plan.ops[i];
    if (op.kind != Kind::ReadOnly) continue;
    EXPECT_TRUE(ro_wanted.count(op.path)) << "ReadOnly " << op.path << " is no read-only tmpfs";
    EXPECT_TRUE(ro_seen.insert(op.path).second) << "ReadOnly " << op.path << " twice";
    for (size_t j = i + 1; j < plan.ops.size(); ++j) {
      if (!is_entry(plan.ops[j].kind) && !is_mount(plan.ops[j].kind)) continue;
      EXPECT_FALSE(path_within(plan.ops[j].path, op.path) &&
                   top_mount(plan, parent_path(plan.ops[j].path), j) ==
                       (op.path == "/" ? -1 : find(plan, Kind::Tmpfs, op.path)))
          << "op " << j << " changes the tmpfs at " << op.path << " after its ReadOnly " << i;
    }
  }
  EXPECT_EQ(ro_seen, ro_wanted);
}

}  // namespace paddock
