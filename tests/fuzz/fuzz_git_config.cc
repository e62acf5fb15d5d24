// libFuzzer target: the strict git config parser and the judge. Seeds:
// tests/fuzz/corpus/git_config/.
//
// Invariants checked on every input: no crash, hang or leak; a file that parses serializes to
// text that parses back to the same entries (and serializes to the same text again); the judge's
// verdict is one printable line and names a key the file holds.
//
// With PADDOCK_GIT_DIFFERENTIAL=1 each input is also compared with `git config --list` (one git
// process per input: too slow to fuzz with, so scripts/fuzz.sh runs it once over the corpus the
// fuzzing grew, with -runs=0).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "policy/git_config.h"
#include "policy/git_config_judge.h"
#include "support/git_config_differential.h"

namespace {

bool same(const std::vector<paddock::GitConfigEntry>& a,
          const std::vector<paddock::GitConfigEntry>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].same_as(b[i])) return false;
  }
  return true;
}

void check_verdict(const paddock::GitConfigVerdict& v,
                   const std::vector<paddock::GitConfigEntry>& entries) {
  if (v.allowed) {
    if (!v.reason.empty() || !v.key.empty()) __builtin_trap();
    return;
  }
  if (v.reason.empty() || v.reason.size() > 4000) __builtin_trap();
  for (char c : v.reason) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) __builtin_trap();
  }
  bool at_an_entry = false;
  for (const paddock::GitConfigEntry& e : entries) at_an_entry = at_an_entry || e.line == v.line;
  if (!at_an_entry) __builtin_trap();
  if (v.reason.rfind(v.key + " ", 0) != 0) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  static const bool differential = std::getenv("PADDOCK_GIT_DIFFERENTIAL") != nullptr;
  if (differential) {
    static const std::string path = "/tmp/paddock-fuzz-git-config-" + std::to_string(::getpid());
    const paddock::testing::DifferentialResult r = paddock::testing::compare_with_git(text, path);
    ::unlink(path.c_str());
    if (!r.disagreement.empty()) {
      std::fprintf(stderr, "git disagrees: %s\n", r.disagreement.c_str());
      __builtin_trap();
    }
  }

  paddock::Result<std::vector<paddock::GitConfigEntry>> parsed = paddock::parse_git_config(text);
  if (!parsed.ok()) {
    const std::string& d = parsed.error().detail;
    if (d.rfind("line ", 0) != 0 && d.rfind("the file is ", 0) != 0) __builtin_trap();
    for (char c : d) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) __builtin_trap();
    }
    return 0;
  }
  for (const paddock::GitConfigEntry& e : *parsed) {
    if (e.section.empty() || e.key.empty() || e.line == 0) __builtin_trap();
  }

  // parse -> serialize -> parse is the identity, and serializing is stable.
  const std::string once = paddock::serialize_git_config(*parsed);
  paddock::Result<std::vector<paddock::GitConfigEntry>> again = paddock::parse_git_config(once);
  if (!again.ok() || !same(*parsed, *again)) __builtin_trap();
  if (paddock::serialize_git_config(*again) != once) __builtin_trap();

  // The judge, as a strict and as a permissive mediator would call it.
  paddock::GitConfigJudgeContext strict;
  check_verdict(paddock::judge_git_config(*parsed, strict), *parsed);
  paddock::GitConfigJudgeContext lenient;
  lenient.url_allowed = [](const paddock::GitUrl& u) {
    if (u.kind == paddock::GitUrl::Kind::kNetwork && u.host.empty()) __builtin_trap();
    return true;
  };
  lenient.worktree_allowed = [](std::string_view) { return true; };
  lenient.superproject_remote_url = "https://example.com/org/app.git";
  lenient.previous = std::span<const paddock::GitConfigEntry>(*parsed).first(parsed->size() / 2);
  check_verdict(paddock::judge_git_config(*parsed, lenient), *parsed);
  return 0;
}
