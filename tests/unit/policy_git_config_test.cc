// The strict git config parser: what git 2.39 reads, entry by entry. tests/unit/
// policy_git_config_differential_test.cc checks the same parser against the git binary.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "policy/git_config.h"

namespace paddock {
namespace {

// "name=value" per entry ("name" alone for a key without '='), joined by " | ".
std::string list(std::string_view text) {
  Result<std::vector<GitConfigEntry>> r = parse_git_config(text);
  if (!r.ok()) return "ERROR " + r.error().detail;
  std::string out;
  for (const GitConfigEntry& e : *r) {
    if (!out.empty()) out += " | ";
    out += e.name();
    if (e.value) out += "=" + *e.value;
  }
  return out;
}

// The error detail ("line N: ..."), or a failure if the text parses.
std::string error(std::string_view text) {
  Result<std::vector<GitConfigEntry>> r = parse_git_config(text);
  EXPECT_FALSE(r.ok()) << "parsed: " << list(text);
  return r.ok() ? std::string() : r.error().detail;
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.rfind(prefix, 0) == 0;
}

TEST(GitConfigParse, WhatGitWrites) {
  EXPECT_EQ(list("[core]\n"
                 "\trepositoryformatversion = 0\n"
                 "\tfilemode = true\n"
                 "\tbare = false\n"
                 "\tlogallrefupdates = true\n"
                 "[remote \"origin\"]\n"
                 "\turl = https://github.com/o/r.git\n"
                 "\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
                 "[branch \"main\"]\n"
                 "\tremote = origin\n"
                 "\tmerge = refs/heads/main\n"),
            "core.repositoryformatversion=0 | core.filemode=true | core.bare=false | "
            "core.logallrefupdates=true | remote.origin.url=https://github.com/o/r.git | "
            "remote.origin.fetch=+refs/heads/*:refs/remotes/origin/* | branch.main.remote=origin | "
            "branch.main.merge=refs/heads/main");
}

TEST(GitConfigParse, EmptyAndBlank) {
  EXPECT_EQ(list(""), "");
  EXPECT_EQ(list("\n\n  \t\n"), "");
  EXPECT_EQ(list("# only a comment"), "");
  EXPECT_EQ(list("; another\n[a]"), "");
}

TEST(GitConfigParse, CaseRules) {
  // Section and key names are lower-cased; a quoted subsection keeps its case.
  EXPECT_EQ(list("[CoRe]\nFileMode = x\n"), "core.filemode=x");
  EXPECT_EQ(list("[Remote \"OrIgIn\"]\nURL = u\n"), "remote.OrIgIn.url=u");
  // The deprecated dotted form lower-cases the subsection too.
  EXPECT_EQ(list("[Remote.OrIgIn]\nURL = u\n"), "remote.origin.url=u");
  EXPECT_EQ(list("[a.b.C]\nk\n"), "a.b.c.k");
  EXPECT_EQ(list("[a-1.b-2]\nk-3 = v\n"), "a-1.b-2.k-3=v");
}

TEST(GitConfigParse, SectionHeaders) {
  EXPECT_EQ(list("[a \"b\"]k=v"), "a.b.k=v");
  EXPECT_EQ(list("[a  \t \"b c\"]k=v"), "a.b c.k=v");
  EXPECT_EQ(list("[a\t\"b\"]k=v"), "a.b.k=v");
  EXPECT_EQ(list("[a\r\"b\"]k=v"), "a.b.k=v");  // a lone CR is space
  EXPECT_EQ(list("[a \"\"]k=v"), "a..k=v");     // an empty subsection
  EXPECT_EQ(list("[a \"]]\"]k=v"), "a.]].k=v");
  EXPECT_EQ(list("[a \"x.y.z\"]k=v"), "a.x.y.z.k=v");
  // The rest of the header's line is read as a variable.
  EXPECT_EQ(list("[a] k = v\n[b]j\n"), "a.k=v | b.j");
  EXPECT_EQ(list("[a]#c\n k=v"), "a.k=v");
  // A later header replaces the earlier one entirely.
  EXPECT_EQ(list("[a \"s\"]\n[b]\nk=v"), "b.k=v");
  // Headers without variables list nothing.
  EXPECT_EQ(list("[a]\n[b \"c\"]\n"), "");
}

TEST(GitConfigParse, SubsectionEscapes) {
  // \" and \\ are the quote and the backslash; a backslash before anything else is dropped.
  EXPECT_EQ(list("[a \"x\\\"y\"]k=v"), "a.x\"y.k=v");
  EXPECT_EQ(list("[a \"x\\\\y\"]k=v"), "a.x\\y.k=v");
  EXPECT_EQ(list("[a \"x\\ty\"]k=v"), "a.xty.k=v");
  EXPECT_EQ(list("[a \"x\\0y\"]k=v"), "a.x0y.k=v");
  EXPECT_EQ(list("[a \"\\]\"]k=v"), "a.].k=v");
  // Any other byte is itself, a tab or a CR too.
  EXPECT_EQ(list("[a \"x\ty\"]k=v"), "a.x\ty.k=v");
  EXPECT_EQ(list("[a \"x;#y\"]k=v"), "a.x;#y.k=v");
  EXPECT_EQ(list("[a \"\xc3\xa9\"]k=v"), "a.\xc3\xa9.k=v");
}

TEST(GitConfigParse, BadSectionHeaders) {
  EXPECT_TRUE(starts_with(error("[a"), "line 1: the section header is not closed"));
  EXPECT_TRUE(starts_with(error("[a\n]"), "line 1: the section header is not closed"));
  EXPECT_TRUE(starts_with(error("[]"), "line 1: empty section name"));
  EXPECT_TRUE(starts_with(error("[a_b]"), "line 1: '_' is not allowed in a section name"));
  EXPECT_TRUE(starts_with(error("[a \"b\" ]"), "line 1: expected ']' right after"));
  EXPECT_TRUE(starts_with(error("[a \"b\"c]"), "line 1: expected ']' right after"));
  EXPECT_TRUE(starts_with(error("[a b]"), "line 1: expected a quoted subsection"));
  EXPECT_TRUE(starts_with(error("[a \"b]\n"), "line 1: the subsection name is not closed"));
  EXPECT_TRUE(starts_with(error("[a \"b\\\n\"]"), "line 1: the subsection name is not closed"));
  EXPECT_TRUE(starts_with(error("[a \"b\"\n]"), "line 1: expected ']'"));
  EXPECT_TRUE(starts_with(error("[a \"b"), "line 1: the subsection name is not closed"));
  // git reads these; paddock refuses them (never written by git, structure unclear).
  EXPECT_TRUE(starts_with(error("[ \"b\"]k=v"), "line 1: a subsection without a section name"));
  EXPECT_TRUE(starts_with(error("[a.b \"c\"]k=v"), "line 1: a dotted section name [a.b]"));
  EXPECT_TRUE(starts_with(error("[a.]k=v"), "line 1: a section name [a.] with an empty part"));
  EXPECT_TRUE(starts_with(error("[.a]k=v"), "line 1: a section name [.a] with an empty part"));
  EXPECT_TRUE(starts_with(error("k = v\n"), "line 1: the variable k comes before any section"));
}

TEST(GitConfigParse, KeyNames) {
  EXPECT_EQ(list("[a]\nk"), "a.k");
  EXPECT_EQ(list("[a]\nk\n"), "a.k");
  EXPECT_EQ(list("[a]\n  k  \n"), "a.k");
  EXPECT_EQ(list("[a]\nk\t=\tv"), "a.k=v");
  EXPECT_EQ(list("[a]\nk=\n"), "a.k=");
  EXPECT_EQ(list("[a]\nk =   \n"), "a.k=");
  EXPECT_EQ(list("[a]\nk-1-\n"), "a.k-1-");
  EXPECT_TRUE(starts_with(error("[a]\n1k=v"), "line 2: '1' cannot start a variable name"));
  EXPECT_TRUE(starts_with(error("[a]\n-k=v"), "line 2: '-' cannot start a variable name"));
  EXPECT_TRUE(starts_with(error("[a]\nk_1=v"), "line 2: '_' after the variable name k"));
  EXPECT_TRUE(starts_with(error("[a]\nk.j=v"), "line 2: '.' after the variable name k"));
  EXPECT_TRUE(starts_with(error("[a]\nk j=v"), "line 2: 'j' after the variable name k"));
  EXPECT_TRUE(starts_with(error("[a]\nk : v"), "line 2: ':' after the variable name k"));
  // A comment after a bare key is an error in git.
  EXPECT_TRUE(starts_with(error("[a]\nk # c\n"), "line 2: '#' after the variable name k"));
  EXPECT_TRUE(starts_with(error("[a]\nk ; c\n"), "line 2: ';' after the variable name k"));
  // A lone CR after the name is not space here.
  EXPECT_TRUE(starts_with(error("[a]\nk\r= v\n"), "line 2: byte 0x0d after the variable name"));
  EXPECT_TRUE(starts_with(error("[a]\n\xc3\xa9=v"), "line 2: byte 0xc3 cannot start"));
}

TEST(GitConfigParse, UnquotedValues) {
  EXPECT_EQ(list("[a]k=v"), "a.k=v");
  EXPECT_EQ(list("[a]k = v w  x \n"), "a.k=v w  x");
  // Each whitespace character inside a value becomes one space; a tab too.
  EXPECT_EQ(list("[a]k = x\ty\n"), "a.k=x y");
  EXPECT_EQ(list("[a]k = x \t y\n"), "a.k=x   y");
  EXPECT_EQ(list("[a]k = x\ry\n"), "a.k=x y");
  // Comments end the value, outside quotes.
  EXPECT_EQ(list("[a]k = v # c\n"), "a.k=v");
  EXPECT_EQ(list("[a]k = v;c\n"), "a.k=v");
  EXPECT_EQ(list("[a]k = #\n"), "a.k=");
  EXPECT_EQ(list("[a]k = v # \"open quote in a comment\n[b]j=w"), "a.k=v | b.j=w");
  EXPECT_EQ(list("[a]k = v # comment \\\nj = w\n"), "a.k=v | a.j=w");
  // Other characters are themselves.
  EXPECT_EQ(list("[a]k = =[]'`$(x)\n"), "a.k==[]'`$(x)");
  EXPECT_EQ(list("[a]k = \xef\xbb\xbf\xc3\xa9\n"), "a.k=\xef\xbb\xbf\xc3\xa9");
}

TEST(GitConfigParse, QuotedValues) {
  EXPECT_EQ(list("[a]k = \"  v  \"\n"), "a.k=  v  ");
  EXPECT_EQ(list("[a]k = \"#;\"\n"), "a.k=#;");
  EXPECT_EQ(list("[a]k = x\"y\"z\n"), "a.k=xyz");
  EXPECT_EQ(list("[a]k = \"\"\n"), "a.k=");
  EXPECT_EQ(list("[a]k = \"a\tb\"\n"), "a.k=a\tb");
  // Spaces before an opening quote count once the value has begun.
  EXPECT_EQ(list("[a]k = x \"y\"\n"), "a.k=x y");
  EXPECT_EQ(list("[a]k = x \"\" \n"), "a.k=x ");
  EXPECT_EQ(list("[a]k = \"\" x\n"), "a.k=x");
  EXPECT_EQ(list("[a]k = \" \" x \n"), "a.k=  x");
  EXPECT_TRUE(starts_with(error("[a]k = \"v\n"), "line 1: a quoted value is not closed"));
  EXPECT_TRUE(starts_with(error("[a]k = \"v"), "line 1: a quoted value is not closed"));
  EXPECT_TRUE(starts_with(error("[a]\nk = \"v\r\n\""), "line 2: a quoted value is not closed"));
  // A lone CR inside quotes is kept.
  EXPECT_EQ(list("[a]k = \"x\ry\"\n"), "a.k=x\ry");
}

TEST(GitConfigParse, Escapes) {
  EXPECT_EQ(list("[a]k = x\\ny\n"), "a.k=x\ny");
  EXPECT_EQ(list("[a]k = x\\ty\n"), "a.k=x\ty");
  EXPECT_EQ(list("[a]k = x\\by\n"), "a.k=x\by");
  EXPECT_EQ(list("[a]k = x\\\\y\n"), "a.k=x\\y");
  EXPECT_EQ(list("[a]k = x\\\"y\n"), "a.k=x\"y");
  EXPECT_EQ(list("[a]k = \"x\\\"y\"\n"), "a.k=x\"y");
}

TEST(GitConfigParse, UnknownEscapes) {
  for (const char* v : {"\\a", "\\0", "\\x41", "\\r", "\\ ", "\\;", "\\#", "\\'"}) {
    const std::string text = std::string("[a]k = ") + v + "\n";
    EXPECT_TRUE(starts_with(error(text), "line 1: unknown escape")) << text;
  }
}

TEST(GitConfigParse, Continuations) {
  EXPECT_EQ(list("[a]k = x\\\ny\n"), "a.k=xy");
  EXPECT_EQ(list("[a]k = x\\\r\ny\n"), "a.k=xy");
  EXPECT_EQ(list("[a]k = x \\\n  y\n"), "a.k=x   y");
  EXPECT_EQ(list("[a]k = \"x\\\n y\"\n"), "a.k=x y");
  EXPECT_EQ(list("[a]k = \\\n\\\n\n[b]j"), "a.k= | b.j");
  // A backslash at the very end continues into nothing.
  EXPECT_EQ(list("[a]k = x\\"), "a.k=x");
  // A backslash before a lone CR is an unknown escape.
  EXPECT_TRUE(starts_with(error("[a]k = x\\\r"), "line 1: unknown escape"));
  // Line numbers count continuation lines.
  EXPECT_TRUE(starts_with(error("[a]k = x\\\ny\\\n\"\n"), "line 3: a quoted value"));
}

TEST(GitConfigParse, LineEndings) {
  EXPECT_EQ(list("[a]\r\nk = v\r\nj\r\n"), "a.k=v | a.j");
  EXPECT_EQ(list("[a]\r\n\r\n"), "");
  // CR CR LF: the first CR is space, the rest is a line end.
  EXPECT_EQ(list("[a]\nk = v\r\r\n"), "a.k=v");
  EXPECT_EQ(list("[a]\nk = v\rw\n"), "a.k=v w");
}

TEST(GitConfigParse, ByteOrderMark) {
  EXPECT_EQ(list("\xef\xbb\xbf[a]k=v"), "a.k=v");
  EXPECT_EQ(list("\xef\xbb\xbf"), "");
  EXPECT_TRUE(starts_with(error("\xef\xbb[a]k=v"), "line 1: the file starts with an incomplete"));
  EXPECT_TRUE(starts_with(error("\xef[a]k=v"), "line 1: the file starts with an incomplete"));
  EXPECT_TRUE(starts_with(error("\xef"), "line 1: the file starts with an incomplete"));
  // Only at the start.
  EXPECT_TRUE(starts_with(error("[a]\n\xef\xbb\xbfk=v"), "line 2: byte 0xef cannot start"));
  EXPECT_TRUE(starts_with(error(" \xef\xbb\xbf[a]"), "line 1: byte 0xef cannot start"));
}

TEST(GitConfigParse, NulBytes) {
  using namespace std::string_literals;
  // git cuts values and names at a NUL; paddock refuses the file.
  EXPECT_EQ(error("[a]\nk = v\0w\n"s), "line 2: a NUL byte (git would cut the text there)");
  EXPECT_EQ(error("[a \"x\0\"]\nk = v\n"s), "line 1: a NUL byte (git would cut the text there)");
  EXPECT_EQ(error("# \0\n"s), "line 1: a NUL byte (git would cut the text there)");
}

TEST(GitConfigParse, MainLoopErrors) {
  EXPECT_TRUE(starts_with(error("[a]\n=v"), "line 2: '=' cannot start a variable name"));
  EXPECT_TRUE(starts_with(error("[a]\n\"k\"=v"), "line 2: '\"' cannot start"));
  EXPECT_TRUE(starts_with(error("]"), "line 1: ']' cannot start"));
  EXPECT_TRUE(starts_with(error("\v"), "line 1: byte 0x0b cannot start"));
  EXPECT_TRUE(starts_with(error("\f"), "line 1: byte 0x0c cannot start"));
  EXPECT_TRUE(starts_with(error("\n\n\n["), "line 4: the section header is not closed"));
}

TEST(GitConfigParse, LinesOfEntries) {
  Result<std::vector<GitConfigEntry>> r = parse_git_config("[a]\n\nk = x\\\ny\nj\n[b]m=1");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].line, 3u);
  EXPECT_EQ((*r)[1].line, 5u);
  EXPECT_EQ((*r)[2].line, 6u);
  EXPECT_EQ((*r)[2].section, "b");
  EXPECT_FALSE((*r)[1].value.has_value());
  EXPECT_FALSE((*r)[0].subsection.has_value());
}

TEST(GitConfigParse, SizeLimit) {
  std::string big = "[a]\nk = ";
  big.append(kMaxGitConfigBytes, 'x');
  Result<std::vector<GitConfigEntry>> r = parse_git_config(big);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("the limit is"), std::string::npos);
}

TEST(GitConfigSerialize, RoundTrip) {
  const char* texts[] = {
      "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = https://x/y\n",
      "[a \"x\\\"y\\\\z\"]k = \"  lead and trail  \"\nj\nm = a\\nb\\tc\\bd;#\"q\"\n",
      "[a.B]k=v\n[a \"b\"]j=w\n[A \"b\"]m",
      "[a \"\"]k = \"x\ry\"\n[a \"\t\r\"]k=\\\\\n",
  };
  for (const char* t : texts) {
    Result<std::vector<GitConfigEntry>> a = parse_git_config(t);
    ASSERT_TRUE(a.ok()) << t;
    const std::string text = serialize_git_config(*a);
    Result<std::vector<GitConfigEntry>> b = parse_git_config(text);
    ASSERT_TRUE(b.ok()) << text;
    ASSERT_EQ(a->size(), b->size()) << text;
    for (std::size_t i = 0; i < a->size(); ++i) {
      EXPECT_TRUE((*a)[i].same_as((*b)[i])) << (*a)[i].name() << " in\n" << text;
    }
    EXPECT_EQ(serialize_git_config(*b), text);
  }
}

TEST(GitConfigSerialize, Format) {
  std::vector<GitConfigEntry> e = {
      {"user", std::nullopt, "email", std::string("a@b"), 0},
      {"user", std::nullopt, "name", std::string("A \"B\""), 0},
      {"remote", std::string("o\"r"), "url", std::string("u"), 0},
      {"remote", std::string("o\"r"), "mirror", std::nullopt, 0},
  };
  EXPECT_EQ(serialize_git_config(e),
            "[user]\n\temail = \"a@b\"\n\tname = \"A \\\"B\\\"\"\n"
            "[remote \"o\\\"r\"]\n\turl = \"u\"\n\tmirror\n");
}

}  // namespace
}  // namespace paddock
