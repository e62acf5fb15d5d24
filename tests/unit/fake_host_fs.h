#pragma once
// An in-memory host tree for the planner's unit tests. Adding a path creates its missing parents
// as directories; mount points are listed by mount_points() as the real host's are.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "policy/host_fs.h"
#include "policy/paths.h"

namespace paddock {

class FakeFs final : public HostFs {
 public:
  FakeFs() { entries_["/"] = {EntryType::Dir, {}}; }

  FakeFs& dir(const std::string& p) { return add(p, EntryType::Dir); }
  FakeFs& file(const std::string& p) { return add(p, EntryType::File); }
  FakeFs& sock(const std::string& p) { return add(p, EntryType::Socket); }
  FakeFs& other(const std::string& p) { return add(p, EntryType::Other); }
  FakeFs& link(const std::string& p, const std::string& target) {
    return add(p, EntryType::Symlink, target);
  }
  // A directory with a filesystem mounted on it.
  FakeFs& mount(const std::string& p) {
    dir(p);
    mounts_.insert(p);
    return *this;
  }

  EntryType type(const std::string& p) const override {
    auto it = entries_.find(p);
    return it == entries_.end() ? EntryType::Missing : it->second.type;
  }
  std::vector<HostEntry> list(const std::string& d) const override {
    ++list_calls;
    std::vector<HostEntry> out;
    auto it = children_.find(d);
    if (it == children_.end()) return out;
    for (const auto& name : it->second) out.push_back({name, type(join_path(d, name))});
    return out;
  }
  std::string read_link(const std::string& p) const override {
    auto it = entries_.find(p);
    return it == entries_.end() ? std::string() : it->second.target;
  }
  std::vector<std::string> mount_points() const override {
    ++mount_calls;
    std::vector<std::string> out(mounts_.begin(), mounts_.end());
    out.insert(out.begin(), "/");
    return out;
  }

  mutable int list_calls = 0;
  mutable int mount_calls = 0;

 private:
  FakeFs& add(const std::string& p, EntryType t, std::string target = {}) {
    if (p == "/") return *this;
    std::string parent = parent_path(p);
    if (entries_.count(parent) == 0) add(parent, EntryType::Dir);
    entries_[p] = {t, std::move(target)};
    children_[parent].insert(base_name(p));
    return *this;
  }

  struct Entry {
    EntryType type;
    std::string target;
  };
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::set<std::string>> children_;
  std::set<std::string> mounts_;
};

}  // namespace paddock
