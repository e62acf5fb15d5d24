// paddock's git config parser against the git binary on this machine: the seed corpus of tricky
// files (tests/fuzz/corpus/git_config) and a few hundred files generated from git's syntax and
// its edge cases. Every file paddock accepts must yield exactly git's list; every file git
// rejects must be rejected by paddock. Skipped when git is not installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "support/git_config_differential.h"
#include "temp_dir.h"

namespace paddock {
namespace {

namespace fs = std::filesystem;

class GitConfigDifferential : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::git_available()) GTEST_SKIP() << "git is not installed";
  }

  // Compares one text; counts the outcomes.
  void check(const std::string& text, const std::string& label) {
    const testing::DifferentialResult r =
        testing::compare_with_git(text, (fs::path(dir_) / "config").string());
    EXPECT_EQ(r.disagreement, "") << label << ":\n" << text;
    ++files_;
    if (r.paddock_accepts) ++both_accept_;
    if (!r.paddock_accepts && r.git_accepts) ++only_git_accepts_;
    if (!r.git_accepts) ++git_rejects_;
  }

  void report(const char* what) const {
    std::cout << what << ": " << files_ << " files; both accept " << both_accept_
              << " (identical lists); git rejects " << git_rejects_ << " (paddock too); "
              << "only git accepts " << only_git_accepts_ << "\n";
  }

  TempDir tmp_{"paddock-gitcfg-diff"};
  const std::string& dir_ = tmp_.path();
  int files_ = 0;
  int both_accept_ = 0;
  int only_git_accepts_ = 0;
  int git_rejects_ = 0;
};

TEST_F(GitConfigDifferential, SeedCorpus) {
  const fs::path corpus = fs::path(PADDOCK_SOURCE_DIR) / "tests/fuzz/corpus/git_config";
  ASSERT_TRUE(fs::is_directory(corpus)) << corpus;
  for (const fs::directory_entry& f : fs::directory_iterator(corpus)) {
    std::ifstream in(f.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    check(text, f.path().filename().string());
  }
  report("seed corpus");
  EXPECT_GE(files_, 60);
  // The corpus holds both kinds, so each half of the rule is exercised.
  EXPECT_GE(both_accept_, 20);
  EXPECT_GE(git_rejects_, 15);
}

// Files built from fragments of git's syntax, mostly valid, with its edge cases mixed in.
class ConfigGenerator {
 public:
  explicit ConfigGenerator(unsigned seed) : rng_(seed) {}

  std::string file() {
    std::string t;
    if (chance(10)) t += pick({"\xef\xbb\xbf", "\xef\xbb", "\xef", " \xef\xbb\xbf"});
    const int lines = 1 + static_cast<int>(rng_() % 8);
    for (int i = 0; i < lines; ++i) {
      const unsigned kind = rng_() % 10;
      if (kind < 2) {
        t += header();
      } else if (kind < 3) {
        t += pick({"", " ", "\t", "# c", "; c", "  # \"x", "#\\"});
      } else {
        if (i == 0 && chance(70)) t += header() + eol();
        t += pick({"", "", " ", "\t", "  "}) + key() + separator();
      }
      t += eol();
    }
    return t;
  }

 private:
  bool chance(unsigned percent) { return rng_() % 100 < percent; }

  std::string pick(std::initializer_list<const char*> options) {
    const std::size_t i = rng_() % options.size();
    return *(options.begin() + i);
  }

  std::string eol() {
    if (chance(3)) return pick({"\r", "", "\\\n"});
    return pick({"\n", "\n", "\n", "\n", "\r\n", "\r\n", "\r\r\n"});
  }

  std::string header() {
    if (chance(92)) {
      return pick({"[a]", "[Core]", "[remote \"Origin\"]", "[a \"b c\"]", "[a.B]", "[a.b.C]",
                   "[a \"x\\\"y\"]", "[a \"x\\\\y\"]", "[a \"x\\ty\"]", "[a\t\"b\"]", "[a \"\"]",
                   "[a-1 \"]\"]", "[url \"https://x/\"]", "[a \"#;\"]", "[a] k = v", "[a]#c",
                   "[a \"b\"]k"});
    }
    return pick({"[]", "[ \"s\"]", "[a.]", "[.a]", "[a_b]", "[a", "[a \"b", "[a.b \"c\"]",
                 "[a\r\"b\"]", "[a \"b\" ]", "[a \"b\"c]", "[a b]", "[a \"b\\\n\"]", "[a\n]",
                 "[a \"b\r\"]", "[\xc3\xa9]"});
  }

  std::string key() {
    if (chance(95)) return pick({"k", "K", "key", "k-1", "fsMonitor", "URL", "a1"});
    return pick({"1k", "k_1", "k.j", "-k", "\xc3\xa9", "=", "\"k\"", "k\r", "k \\"});
  }

  std::string separator() {
    const unsigned kind = rng_() % 20;
    if (kind < 2) return "";
    if (kind == 2) return pick({" ", "\t", " # c", " ; c", ":", " x", "\r"});
    std::string s = pick({"=", " = ", "\t=\t", " =", "= ", "  =  "});
    const int atoms = static_cast<int>(rng_() % 6);
    for (int i = 0; i < atoms; ++i) s += value_atom();
    return s;
  }

  std::string value_atom() {
    if (chance(93)) {
      return pick({"v",   "x y", " ",   "  ",       "\t",   "\"q q\"", "\"\"",
                   "\\n", "\\t", "\\b", "\\\"",     "\\\\", ";",       "#",
                   "]",   "[",   "=",   "\xc3\xa9", "\\\n", "\\\r\n",  "'"});
    }
    return pick({"\\x", "\\0", "\\r", "\\ ", "\r", "\\\r", "\\", "\"open", "\"", "\v", "\f",
                 "\xef\xbb\xbf"});
  }

  std::mt19937 rng_;
};

TEST_F(GitConfigDifferential, GeneratedFiles) {
  // Fixed seeds: the same files on every run, so a failure reproduces.
  constexpr unsigned kFiles = 300;
  for (unsigned seed = 1; seed <= kFiles; ++seed) {
    ConfigGenerator gen(seed);
    check(gen.file(), "seed " + std::to_string(seed));
  }
  report("generated");
  EXPECT_GE(both_accept_, 100);
  EXPECT_GE(git_rejects_, 30);
}

}  // namespace
}  // namespace paddock
