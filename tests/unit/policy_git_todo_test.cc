#include <gtest/gtest.h>

#include "policy/git_todo.h"

namespace paddock {
namespace {

TEST(GitTodo, OrdinaryListsPass) {
  EXPECT_EQ(judge_todo_list(""), "");
  EXPECT_EQ(judge_todo_list("pick abc123 one\nsquash def456 two\n# comment\n\nbreak\n"), "");
  EXPECT_EQ(judge_todo_list("label onto\nreset onto\nmerge -C abc branch # msg\nupdate-ref x\n"),
            "");
  EXPECT_EQ(judge_todo_list("pick abc exec is only a word in the subject\n"), "");
}

TEST(GitTodo, ExecLinesRefusedInEverySpelling) {
  for (const char* t : {"exec touch /tmp/x\n", "x touch /tmp/x", "pick a b\n  exec make\n",
                        "\texec make\n", "EXEC make\n", "pick a\r\nx\tmake\r\n", "exec\n"})
    EXPECT_NE(judge_todo_list(t), "") << t;
  EXPECT_NE(judge_todo_list(std::string_view("pick a\0exec b", 13)), "");
  EXPECT_EQ(judge_todo_list("pick a\nexec b\n").rfind("line 2:", 0), 0u);
}

}  // namespace
}  // namespace paddock
