"""Positive control for the protections: everyday git works inside, in a repository made on the
host, and the host sees the result."""

import os

from conftest import init_repo


def test_git_workflow_inside(sb, repo):
    r = sb.sh("set -e\n"
              "git status --short\n"
              "echo change >> file.txt\n"
              "echo new > new.txt\n"
              "git add -A\n"
              "git commit -q -m 'commit from inside'\n"
              "git branch feature\n"
              "git checkout -q -b topic\n"
              "echo topic > topic.txt && git add topic.txt && git commit -q -m 'topic commit'\n"
              "git checkout -q main\n"
              "git merge -q --no-edit topic\n"
              "git tag v1\n"
              "git stash list\n"
              "git worktree add -q wt-inside -b wtb\n"
              "(cd wt-inside && echo w > w.txt && git add w.txt && git commit -q -m 'worktree commit')\n"
              "git log --oneline --all\n"
              "git gc -q --auto\n"
              "echo GIT_OK\n")
    assert r.rc == 0 and "GIT_OK" in r.out, r
    assert "commit from inside" in r.out and "worktree commit" in r.out
    assert not r.denials, r  # ordinary git triggers no denial

    log = sb.git("log", "--all", "--format=%s").stdout
    for msg in ("commit from inside", "topic commit", "worktree commit", "initial"):
        assert msg in log, log
    branches = sb.git("branch", "--format=%(refname:short)").stdout.split()
    assert {"main", "feature", "topic", "wtb"} <= set(branches), branches
    assert "v1" in sb.git("tag").stdout
    assert (repo / "wt-inside" / ".git").is_file()
    wts = sb.git("worktree", "list", "--porcelain").stdout
    assert str(repo / "wt-inside") in wts
    assert sb.git("status", "--porcelain", "--untracked-files=no").stdout.strip() == ""
    assert sb.git("fsck", "--no-progress").returncode == 0


def test_git_in_nested_repo_inside(sb, repo):
    nested = repo / "sub" / "a" / "b" / "c"
    init_repo(sb, nested)
    r = sb.sh("set -e; cd sub/a/b/c; echo x >> file.txt; git commit -q -am nested-inside; "
              "git checkout -q -b nb; git log --oneline | head -1; echo OK")
    assert r.rc == 0 and "OK" in r.out, r
    assert "nested-inside" in sb.git("log", "--format=%s", "main", cwd=nested).stdout


def test_git_init_and_clone_inside(sb):
    """A fresh repository made inside: git init writes .git/config and .git/hooks/ as it creates
    the repository. Whether paddock allows that is its choice, but the host must never end up
    with hooks in it, and a clone of a local repository must work (objects, refs)."""
    src = sb.project / "src-repo"
    init_repo(sb, src)
    r = sb.sh("git clone -q src-repo cloned; echo rc=$?; git init -q fresh; echo rc=$?; exit 0")
    hooks = [p for p in (sb.project / "cloned" / ".git" / "hooks",
                         sb.project / "fresh" / ".git" / "hooks") if p.exists()]
    for h in hooks:
        assert not [f for f in os.listdir(h) if not f.endswith(".sample")], r
