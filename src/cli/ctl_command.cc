#include "cli/ctl_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "base/printable.h"
#include "control/client.h"
#include "control/ctl_dir.h"
#include "control/run_control.h"

namespace paddock {

namespace {

using control::Request;
using control::Response;
using control::SocketEntry;

Error ctl_error(std::string detail, int code = 1) {
  Error e = plain_error("ctl", std::move(detail));
  e.exit_code = code;
  return e;
}

std::string local_time(int64_t seconds) {
  const time_t t = static_cast<time_t>(seconds);
  tm local{};
  char buf[32];
  if (::localtime_r(&t, &local) == nullptr ||
      std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &local) == 0)
    return "?";
  return buf;
}

std::string clock_time(int64_t ms) {
  const time_t t = static_cast<time_t>(ms / 1000);
  tm local{};
  char buf[16];
  if (::localtime_r(&t, &local) == nullptr ||
      std::strftime(buf, sizeof buf, "%H:%M:%S", &local) == 0)
    return "?";
  return buf;
}

// The command line as one printable string (arguments with spaces quoted), at most `max` bytes.
std::string command_line(const std::vector<std::string>& argv, size_t max) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a.find_first_of(" \t'\"") == std::string::npos && !a.empty() ? a : "'" + a + "'";
  }
  return printable(out, max);
}

struct Found {
  std::vector<control::CtlDir> dirs;
  std::vector<SocketEntry> sockets;
};

Found find_all() {
  Found f;
  std::vector<std::string> refused;
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  f.dirs = control::find_control_dirs(xdg ? xdg : "", refused);
  for (const auto& r : refused)
    std::fprintf(stderr, "paddock: ctl: not looking there: %s\n", printable(r).c_str());
  f.sockets = control::list_sockets(f.dirs);
  return f;
}

// The one socket whose id starts with `prefix`.
Result<SocketEntry> find_one(const Found& f, const std::string& raw) {
  std::string prefix;
  for (char c : raw) prefix += (c >= 'A' && c <= 'F') ? char(c - 'A' + 'a') : c;
  if (prefix.empty() || prefix.size() > control::kIdHexDigits ||
      prefix.find_first_not_of("0123456789abcdef") != std::string::npos)
    return ctl_error("\"" + printable(raw, 64) + "\" is not a sandbox id (" +
                         std::to_string(control::kIdHexDigits) +
                         " hex digits, or the first few of them: see paddock ctl list)",
                     kCtlUsage);
  std::vector<const SocketEntry*> match;
  for (const auto& s : f.sockets)
    if (s.id.starts_with(prefix)) match.push_back(&s);
  if (match.empty())
    return ctl_error("no running sandbox has the id " + prefix + " (paddock ctl list shows them)");
  if (match.size() > 1) {
    std::string ids;
    for (const auto* m : match) ids += " " + m->id;
    return ctl_error("the id " + prefix + " is ambiguous:" + ids);
  }
  return *match.front();
}

// Asks one sandbox; a socket nobody listens on any more is removed and reported as not running.
Result<Response> ask(const SocketEntry& s, const Request& req) {
  auto r = control::ask_sandbox(s, req);
  if (!r) {
    if (r.error().err == ECONNREFUSED || r.error().err == ENOENT) {
      if (r.error().err == ECONNREFUSED) control::remove_stale(s);
      return ctl_error("sandbox " + s.id + " is not running any more");
    }
    Error e = r.error();
    e.exit_code = 1;
    return e;
  }
  if (!r->ok) return ctl_error("sandbox " + s.id + " refused: " + printable(r->error));
  return r;
}

int list(const Found& f) {
  struct Row {
    std::string id, pid, started, questions, project, command;
  };
  std::vector<Row> rows;
  size_t removed = 0;
  for (const auto& s : f.sockets) {
    auto r = control::ask_sandbox(s, Request{Request::Op::Summary, {}});
    if (!r) {
      if (r.error().err == ECONNREFUSED && control::remove_stale(s)) {
        ++removed;
      } else if (r.error().err != ENOENT) {
        std::fprintf(stderr, "paddock: ctl: %s: %s\n", s.id.c_str(),
                     printable(r.error().message()).c_str());
      }
      continue;
    }
    if (!r->ok || !r->summary) {
      std::fprintf(stderr, "paddock: ctl: %s: %s\n", s.id.c_str(),
                   printable(r->ok ? "no summary" : r->error).c_str());
      continue;
    }
    const control::Summary& sum = *r->summary;
    rows.push_back(Row{s.id, std::to_string(sum.pid), local_time(sum.started),
                       sum.ask ? std::to_string(sum.questions) : "-", printable(sum.project, 80),
                       command_line(sum.command, 80)});
  }
  if (removed > 0)
    std::fprintf(stderr, "paddock: ctl: removed %zu socket%s left by runs that were killed\n",
                 removed, removed == 1 ? "" : "s");
  if (rows.empty()) {
    std::printf("no running sandboxes\n");
    return 0;
  }
  size_t wp = 3, wq = 9, wd = 7;
  for (const auto& r : rows) {
    wp = std::max(wp, r.pid.size());
    wd = std::max(wd, r.project.size());
  }
  const int w1 = int(control::kIdHexDigits), w2 = int(wp), w3 = 19, w4 = int(wq), w5 = int(wd);
  std::printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w1, "ID", w2, "PID", w3, "STARTED", w4,
              "QUESTIONS", w5, "PROJECT", "COMMAND");
  for (const auto& r : rows)
    std::printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w1, r.id.c_str(), w2, r.pid.c_str(), w3,
                r.started.c_str(), w4, r.questions.c_str(), w5, r.project.c_str(),
                r.command.c_str());
  return 0;
}

void print_show(const Response& r) {
  const control::Summary& s = *r.summary;
  std::printf("sandbox %s\n", printable(s.id, 64).c_str());
  std::printf("  pid %lld, started %s\n", static_cast<long long>(s.pid),
              local_time(s.started).c_str());
  std::printf("  project %s\n", printable(s.project).c_str());
  std::printf("  command %s\n", command_line(s.command, 1000).c_str());
  if (!s.ask) {
    std::printf("  asking: off (a destination no rule matches is refused)\n");
  } else {
    std::printf("  asking: on (--ask), %llu open question%s\n",
                static_cast<unsigned long long>(s.questions), s.questions == 1 ? "" : "s");
    for (const auto& q : r.questions)
      std::printf("    %s:%u (%s): %s\n", printable(q.host, 260).c_str(), unsigned(q.port),
                  printable(q.protocol, 16).c_str(), printable(q.reason, 300).c_str());
  }
  std::printf("rules added with paddock ctl (this run only; no settings file changed):%s\n",
              r.rules.empty() ? " none" : "");
  for (const auto& e : r.rules)
    std::printf("  %-5s %s\n", printable(e.action, 8).c_str(), printable(e.pattern, 300).c_str());
  std::printf("recent denials (oldest first, the last %zu at most):%s\n",
              control::RecentDenials::kKept, r.denials.empty() ? " none" : "");
  for (const auto& d : r.denials) {
    std::string line =
        clock_time(d.time_ms) + "  " + printable(d.kind, 16) + "  " + printable(d.what, 600);
    if (!d.rule.empty()) line += "  (" + printable(d.rule, 600) + ")";
    if (d.count > 1) line += " x" + std::to_string(d.count);
    std::printf("  %s\n", line.c_str());
  }
}

Result<int> change(const Found& f, const CtlFlags& flags, proxy::LiveAction action) {
  // Checked here too, so a typo is a usage error before any sandbox is asked.
  if (auto p = control::check_live_pattern(action, flags.domain); !p) {
    Error e = p.error();
    e.op = "ctl " + e.op;
    e.exit_code = kCtlUsage;
    return e;
  }
  auto s = find_one(f, flags.id);
  if (!s) return s.error();
  Request req;
  req.op = action == proxy::LiveAction::Allow ? Request::Op::Allow : Request::Op::Deny;
  req.domain = flags.domain;
  auto r = ask(*s, req);
  if (!r) return r.error();
  if (!r->change) return ctl_error("sandbox " + s->id + " gave no answer to " + flags.domain);
  const control::Change& c = *r->change;
  const bool allow = action == proxy::LiveAction::Allow;
  const std::string pattern = printable(c.pattern, 300);
  if (c.outcome == "unchanged")
    std::printf("sandbox %s: %s was %s already\n", s->id.c_str(), pattern.c_str(),
                allow ? "allowed" : "denied");
  else
    std::printf("sandbox %s: %s %s for the rest of this run%s (no settings file was changed)\n",
                s->id.c_str(), allow ? "allowed" : "denied", pattern.c_str(),
                c.outcome == "replaced" ? (allow ? ", replacing its deny rule"
                                                 : ", replacing its "
                                                   "allow rule")
                                        : "");
  if (c.answered > 0)
    std::printf("  answered %llu open question%s (%s)\n",
                static_cast<unsigned long long>(c.answered), c.answered == 1 ? "" : "s",
                allow ? "allow_run" : "deny");
  if (!c.note.empty()) std::printf("  note: %s\n", printable(c.note, 600).c_str());
  return 0;
}

}  // namespace

CtlCommands add_ctl_subcommand(CLI::App& app, CtlFlags& flags) {
  CtlCommands c;
  c.ctl = app.add_subcommand("ctl", "control a running sandbox from another terminal");
  c.ctl->require_subcommand(1);
  c.ctl->footer(
      "Rules added with allow and deny hold for the rest of that run only: no settings file is\n"
      "changed. Deny rules win over allow rules, and the settings' deniedDomains over both.\n"
      "Exit status: 0 done; 1 no such sandbox, or it refused; 2 usage.\n"
      "See paddock(1).");
  c.list = c.ctl->add_subcommand("list", "list your running sandboxes");
  c.show = c.ctl->add_subcommand(
      "show", "a sandbox's command, open questions, added rules and recent denials");
  c.show->add_option("id", flags.id, "the sandbox's id (or its first digits)")
      ->required()
      ->type_name("ID");
  c.allow = c.ctl->add_subcommand(
      "allow",
      "allow DOMAIN in a running sandbox for the rest of its run; answers its open "
      "questions about it");
  c.deny = c.ctl->add_subcommand(
      "deny",
      "deny DOMAIN in a running sandbox for the rest of its run; answers its open "
      "questions about it");
  for (CLI::App* a : {c.allow, c.deny}) {
    a->add_option("id", flags.id, "the sandbox's id (or its first digits)")
        ->required()
        ->type_name("ID");
    a->add_option("domain", flags.domain,
                  "host, host:port or *.domain[:port], as in allowedDomains")
        ->required()
        ->type_name("DOMAIN");
  }
  return c;
}

Result<int> ctl_command(const CtlCommands& cmds, const CtlFlags& flags) {
  const Found found = find_all();
  if (cmds.list->parsed()) return list(found);
  if (cmds.show->parsed()) {
    auto s = find_one(found, flags.id);
    if (!s) return s.error();
    auto r = ask(*s, Request{Request::Op::Show, {}});
    if (!r) return r.error();
    if (!r->summary) return ctl_error("sandbox " + s->id + " gave no summary");
    print_show(*r);
    return 0;
  }
  if (cmds.allow->parsed()) return change(found, flags, proxy::LiveAction::Allow);
  if (cmds.deny->parsed()) return change(found, flags, proxy::LiveAction::Deny);
  return ctl_error("give list, show, allow or deny (see paddock ctl --help)", kCtlUsage);
}

}  // namespace paddock
