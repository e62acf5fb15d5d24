#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "settings/git_key_pattern.h"

namespace paddock {
namespace {

GitKeyPattern pattern(std::string_view text) {
  Result<GitKeyPattern> p = parse_git_key_pattern(text);
  EXPECT_TRUE(p.ok()) << text << ": " << (p.ok() ? "" : p.error().detail);
  return p.ok() ? *p : GitKeyPattern{};
}

std::string error(std::string_view text) {
  Result<GitKeyPattern> p = parse_git_key_pattern(text);
  EXPECT_FALSE(p.ok()) << text;
  return p.ok() ? std::string() : p.error().detail;
}

const std::optional<std::string> kNone;
std::optional<std::string> sub(const char* s) {
  return std::string(s);
}

TEST(GitKeyPattern, SectionKey) {
  const GitKeyPattern p = pattern("Core.Pager");
  EXPECT_EQ(p.section, "core");
  EXPECT_EQ(p.key, "pager");
  EXPECT_EQ(p.sub, GitKeyPattern::Sub::kNone);
  EXPECT_EQ(p.text, "Core.Pager");
  EXPECT_TRUE(p.matches("core", kNone, "pager"));
  EXPECT_TRUE(p.matches("CORE", kNone, "PAGER"));
  EXPECT_FALSE(p.matches("core", sub("x"), "pager"));
  EXPECT_FALSE(p.matches("core", sub(""), "pager"));
  EXPECT_FALSE(p.matches("core", kNone, "editor"));
  EXPECT_FALSE(p.matches("pager", kNone, "core"));
}

TEST(GitKeyPattern, WholeSection) {
  const GitKeyPattern p = pattern("alias.*");
  EXPECT_EQ(p.sub, GitKeyPattern::Sub::kAnyOrNone);
  EXPECT_TRUE(p.matches("alias", kNone, "st"));
  EXPECT_TRUE(p.matches("alias", sub("x"), "st"));
  EXPECT_FALSE(p.matches("aliases", kNone, "st"));
}

TEST(GitKeyPattern, Subsections) {
  const GitKeyPattern exact = pattern("filter.LFS.clean");
  EXPECT_EQ(exact.subsection, "LFS");
  EXPECT_TRUE(exact.matches("filter", sub("LFS"), "Clean"));
  EXPECT_FALSE(exact.matches("filter", sub("lfs"), "clean"));  // subsections keep their case
  EXPECT_FALSE(exact.matches("filter", kNone, "clean"));
  const GitKeyPattern any_key = pattern("filter.lfs.*");
  EXPECT_TRUE(any_key.matches("filter", sub("lfs"), "smudge"));
  EXPECT_FALSE(any_key.matches("filter", sub("x"), "smudge"));
  const GitKeyPattern any_sub = pattern("diff.*.textconv");
  EXPECT_EQ(any_sub.sub, GitKeyPattern::Sub::kAny);
  EXPECT_TRUE(any_sub.matches("diff", sub("pdf"), "textconv"));
  EXPECT_TRUE(any_sub.matches("diff", sub(""), "textconv"));
  EXPECT_FALSE(any_sub.matches("diff", kNone, "textconv"));
  EXPECT_FALSE(any_sub.matches("diff", sub("pdf"), "command"));
  const GitKeyPattern both = pattern("remote.*.*");
  EXPECT_TRUE(both.matches("remote", sub("o"), "url"));
  EXPECT_FALSE(both.matches("remote", kNone, "pushdefault"));
  // The subsection lies between the first and the last dot, as in git.
  const GitKeyPattern dotted = pattern("url.https://x.example/.insteadOf");
  EXPECT_EQ(dotted.subsection, "https://x.example/");
  EXPECT_TRUE(dotted.matches("url", sub("https://x.example/"), "insteadof"));
}

TEST(GitKeyPattern, Errors) {
  EXPECT_EQ(error("core"), "expected section.key or section.subsection.key");
  EXPECT_EQ(error(".pager"), "the section name is empty");
  EXPECT_EQ(error("core."), "the key name is empty");
  EXPECT_EQ(error("*.pager"), "'*' cannot stand for the section");
  EXPECT_EQ(error("co*re.pager").rfind("a section name has only", 0), 0u);
  EXPECT_EQ(error("core.pag*").rfind("a key name has only", 0), 0u);
  EXPECT_EQ(error("core.1pager"), "a key name starts with a letter");
  EXPECT_EQ(error("core.pa_ger").rfind("a key name has only", 0), 0u);
  EXPECT_EQ(error("a..b"), "the subsection is empty");
  EXPECT_EQ(error("url.https://*.example/.insteadOf"),
            "'*' stands only for a whole subsection or key, not part of one");
  EXPECT_EQ(error("a.**.b"), "'*' stands only for a whole subsection or key, not part of one");
  EXPECT_EQ(error(std::string("a.b\nc.d")), "contains a NUL byte or a newline");
}

}  // namespace
}  // namespace paddock
