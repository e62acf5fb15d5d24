#include "policy/protected_paths.h"

#include <algorithm>

#include "policy/protected_names.h"

namespace paddock {

namespace {

bool has_glob(std::string_view s) {
  return s.find('*') != std::string_view::npos;
}

// '*' matches any run of characters (within one component: callers pass components).
bool glob_match(std::string_view pattern, std::string_view text) {
  size_t p = 0;
  size_t t = 0;
  size_t star = std::string_view::npos;
  size_t resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool component_match(const std::string& pattern, std::string_view c) {
  return has_glob(pattern) ? glob_match(pattern, c) : pattern == c;
}

std::vector<std::string> split(std::string_view name) {
  std::vector<std::string> out;
  for (auto c : path_components(name)) out.emplace_back(c);
  return out;
}

}  // namespace

const std::vector<std::string>& ProtectedPaths::builtin_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const ProtectedNameGroup& g : builtin_protected_name_groups())
      for (std::string_view n : g.names) v.emplace_back(n);
    return v;
  }();
  return names;
}

ProtectedPaths::ProtectedPaths(std::vector<std::string> exact, std::vector<std::string> aliases,
                               const std::vector<std::string>& extra_names,
                               const std::vector<std::pair<std::string, std::string>>& linked)
    : exact_(std::move(exact)), aliases_(std::move(aliases)) {
  for (const auto& [path, rule] : linked) {
    if (std::find(exact_.begin(), exact_.end(), path) != exact_.end()) continue;
    exact_.push_back(path);
    labels_.emplace(path, rule);
  }
  exact_set_ = PathSet(exact_);
  for (const auto& a : aliases_) exact_set_.insert(a);
  for (const auto* list : {&exact_, &aliases_}) {
    for (const std::string& e : *list) {
      for (std::string p = parent_path(e); p != e; p = parent_path(p)) {
        exact_ancestors_.emplace(p, e);
        if (p == "/") break;
      }
    }
  }
  index_ = make_index(extra_names);
}

std::shared_ptr<const ProtectedPaths::NameIndex> ProtectedPaths::make_index(
    const std::vector<std::string>& extra_names) {
  auto build = [](const std::vector<std::string>& extra) {
    auto index = std::make_shared<NameIndex>();
    for (const std::string& n : builtin_names()) index->add(n);
    for (const std::string& n : extra) index->add(n);
    // The project's own repository: its hooks bound read-only as a second lock. Its config is
    // not: git changes it (remote add, push -u, config user.email) through a checked install.
    index->bind_names.emplace_back(".git/hooks");
    return std::shared_ptr<const NameIndex>(std::move(index));
  };
  if (!extra_names.empty()) return build(extra_names);
  static const std::shared_ptr<const NameIndex> builtin = build({});
  return builtin;
}

void ProtectedPaths::NameIndex::add(const std::string& text) {
  if (!seen.insert(text).second) return;
  names.push_back(text);
  if (!has_glob(text)) bind_names.push_back(text);
  std::vector<std::string> comps = split(text);
  if (comps.empty()) return;
  if (comps.size() == 1 && !has_glob(text)) {
    single.insert(text);
    return;
  }
  const size_t index = multi.size();
  if (has_glob(comps.front()))
    glob_first.push_back(index);
  else
    by_first[comps.front()].push_back(index);
  multi.push_back(Name{text, std::move(comps)});
}

const ProtectedPaths::Name* ProtectedPaths::match_at(const std::vector<std::string_view>& comps,
                                                     size_t i) const {
  auto matches = [&](const Name& n) {
    if (n.comps.size() > comps.size() - i) return false;
    for (size_t k = 0; k < n.comps.size(); ++k)
      if (!component_match(n.comps[k], comps[i + k])) return false;
    return true;
  };
  const NameIndex& x = *index_;
  if (auto it = x.by_first.find(comps[i]); it != x.by_first.end()) {
    for (size_t index : it->second)
      if (matches(x.multi[index])) return &x.multi[index];
  }
  for (size_t index : x.glob_first)
    if (matches(x.multi[index])) return &x.multi[index];
  return nullptr;
}

ProtectionVerdict ProtectedPaths::check(std::string_view path) const {
  // Every mediated write asks this: a lookup per ancestor, not a scan of the denyWrite list.
  if (const std::string* e = exact_covering(path)) {
    if (auto it = labels_.find(*e); it != labels_.end()) return {true, it->second};
    return {true, "denyWrite " + *e};
  }
  auto comps = path_components(path);
  for (size_t i = 0; i < comps.size(); ++i) {
    if (index_->single.find(comps[i]) != index_->single.end()) return {true, std::string(comps[i])};
    if (const Name* n = match_at(comps, i)) return {true, n->text};
  }
  return {};
}

ProtectionVerdict ProtectedPaths::check_container(std::string_view path) const {
  if (auto it = exact_ancestors_.find(path); it != exact_ancestors_.end())
    return {true, "denyWrite " + it->second + " (an ancestor of it)"};
  auto comps = path_components(path);
  for (const Name& n : index_->multi) {
    // The path's last j components against the name's first j, for every proper leading part.
    for (size_t j = 1; j < n.comps.size() && j <= comps.size(); ++j) {
      const size_t from = comps.size() - j;
      bool all = true;
      for (size_t k = 0; k < j && all; ++k) all = component_match(n.comps[k], comps[from + k]);
      if (all) return {true, n.text + " (an ancestor of it)"};
    }
  }
  return {};
}

ProtectionVerdict ProtectedPaths::check_rename(std::string_view src, std::string_view dst) const {
  if (auto v = check(src); v.is_protected) return v;
  if (auto v = check(dst); v.is_protected) return v;
  if (auto v = check_container(src); v.is_protected) {
    v.rule += ", moved away";
    return v;
  }
  if (auto v = check_container(dst); v.is_protected) {
    v.rule += ", replaced";
    return v;
  }
  return {};
}

}  // namespace paddock
