#include "sandbox/git_judge.h"

#include <memory>

#include "policy/git_config_judge.h"
#include "policy/git_todo.h"
#include "policy/paths.h"
#include "proxy/decide/host_name.h"

namespace paddock {

namespace {

uint16_t default_port(const std::string& scheme) {
  if (scheme == "https") return 443;
  if (scheme == "http") return 80;
  if (scheme == "ssh") return 22;
  if (scheme == "git") return 9418;
  if (scheme == "ftp") return 21;
  if (scheme == "ftps") return 990;
  return 0;
}

bool in_writable(const std::vector<std::string>& roots, const std::string& path) {
  for (const auto& w : roots)
    if (path_within(path, w)) return true;
  return false;
}

// The work tree a gitdir belongs to: the directory holding `.git`, or the gitdir itself for a
// bare repository (relative local remotes are taken from there).
std::string work_tree_of(const std::string& gitdir) {
  return base_name(gitdir) == ".git" ? parent_path(gitdir) : gitdir;
}

// remote.origin.url of a config text, else the only remote's url; empty when unknown.
std::string default_remote_url(std::string_view config) {
  auto entries = parse_git_config(config);
  if (!entries) return {};
  std::string origin, only;
  int remotes = 0;
  for (const auto& e : *entries) {
    if (e.section != "remote" || e.key != "url" || !e.subsection || !e.value) continue;
    if (*e.subsection == "origin") origin = *e.value;
    ++remotes;
    only = *e.value;
  }
  if (!origin.empty()) return origin;
  return remotes == 1 ? only : std::string();
}

}  // namespace

mediator::GitContentJudge make_git_judge(const Policy& policy, proxy::NetworkRules network) {
  std::vector<std::string> writable = policy.fs.writable;
  std::vector<GitKeyPattern> extra = policy.git_allow_config_keys;
  auto rules = std::make_shared<const proxy::NetworkRules>(std::move(network));
  return [writable, extra, rules](const GitControl& where, const std::string& /*path*/,
                                  std::string_view text, std::string_view previous) -> std::string {
    if (where.role == GitRole::TodoList) return judge_todo_list(text);
    std::string base = work_tree_of(where.gitdir);
    GitConfigJudgeContext ctx;
    ctx.extra_allowed = extra;
    ctx.url_allowed = [&](const GitUrl& u) {
      if (u.kind == GitUrl::Kind::kLocal) {
        std::string p = u.path;
        if (p.empty()) return false;
        std::string abs = normalize_path(p[0] == '/' ? p : base + "/" + p);
        return in_writable(writable, abs);
      }
      auto host = proxy::normalise_host(u.host);
      if (!host) return false;
      uint16_t port = u.port ? *u.port : default_port(u.scheme);
      return rules->decide(*host, port).allowed;
    };
    std::string gitdir = where.gitdir;
    ctx.worktree_allowed = [&](std::string_view wt) {
      if (wt.empty()) return false;
      std::string abs =
          normalize_path(wt[0] == '/' ? std::string(wt) : gitdir + "/" + std::string(wt));
      return in_writable(writable, abs);
    };
    // A relative submodule URL is resolved against this repository's own remote, as git does.
    ctx.superproject_remote_url = default_remote_url(previous);
    GitConfigVerdict v = judge_git_config_replacement(text, previous, ctx);
    if (v.allowed) return {};
    return v.reason.empty() ? "refused" : v.reason;
  };
}

}  // namespace paddock
