"""Everyday git inside (issue 9), without a server: in a repository made on the host, in one made
inside, in a subdirectory, in worktrees, on the private /tmp. Each workflow must work end to end,
the host's git must see the result, and an operation that succeeded prints no `paddock: denied`
line. The attacks on the same machinery are in test_git_attacks.py."""

import os

import pytest

from conftest import init_repo, unique
from gitutil import config_entries, host_git


def assert_clean_run(r):
    assert r.rc == 0 and "DONE" in r.out, r
    assert not r.denials, r


def only_samples(hooks_dir):
    names = os.listdir(hooks_dir) if os.path.isdir(hooks_dir) else []
    return [n for n in names if not n.endswith(".sample")] == []


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
              "git tag -a -m annotated v2\n"
              "git stash list\n"
              "git worktree add -q wt-inside -b wtb\n"
              "(cd wt-inside && echo w > w.txt && git add w.txt && git commit -q -m 'worktree commit')\n"
              "git log --oneline --all\n"
              "git gc -q\n"
              "git config user.name 'Agent Inside'\n"
              "git config --unset user.name\n"
              "git branch -m feature feature2\n"
              "git branch -D feature2\n"
              "echo DONE\n")
    assert_clean_run(r)
    assert "commit from inside" in r.out and "worktree commit" in r.out

    log = sb.git("log", "--all", "--format=%s").stdout
    for msg in ("commit from inside", "topic commit", "worktree commit", "initial"):
        assert msg in log, log
    branches = sb.git("branch", "--format=%(refname:short)").stdout.split()
    assert {"main", "topic", "wtb"} <= set(branches) and "feature2" not in branches, branches
    assert {"v1", "v2"} <= set(sb.git("tag").stdout.split())
    assert (repo / "wt-inside" / ".git").is_file()
    wts = sb.git("worktree", "list", "--porcelain").stdout
    assert str(repo / "wt-inside") in wts
    assert sb.git("status", "--porcelain", "--untracked-files=no").stdout.strip() == ""
    assert sb.git("fsck", "--no-progress").returncode == 0
    assert not [e for e in config_entries(repo / ".git" / "config") if e.startswith("user.name")]


def test_git_in_nested_repo_inside(sb, repo):
    nested = repo / "sub" / "a" / "b" / "c"
    init_repo(sb, nested)
    r = sb.sh("set -e; cd sub/a/b/c; echo x >> file.txt; git commit -q -am nested-inside; "
              "git checkout -q -b nb; git config user.email nested@example.test; "
              "git log --oneline | head -1; echo DONE")
    assert_clean_run(r)
    assert "nested-inside" in sb.git("log", "--format=%s", "main", cwd=nested).stdout
    assert "user.email=nested@example.test" in config_entries(nested / ".git" / "config")


def test_init_and_clone_inside(sb):
    """A repository made inside: init writes config and the sample hooks, clone of a local
    repository checks out; both are usable by the host afterwards."""
    src = sb.project / "src-repo"
    init_repo(sb, src)
    r = sb.sh("set -e; git clone -q src-repo cloned; git init -q fresh; cd fresh;"
              "echo f > f.txt; git add f.txt; git commit -q -m fresh-commit; echo DONE")
    assert_clean_run(r)
    for d in ("cloned", "fresh"):
        assert only_samples(sb.project / d / ".git" / "hooks"), os.listdir(sb.project / d / ".git" / "hooks")
    assert (sb.project / "cloned" / "file.txt").read_text() == "hello\n"
    assert host_git(sb, ["log", "--format=%s"], sb.project / "fresh").stdout.strip() == "fresh-commit"
    assert host_git(sb, ["status", "--porcelain"], sb.project / "cloned").stdout == ""


def test_init_in_subdirectory(sb, repo):
    """git init in a subdirectory of the user's repository: the new repository is used there
    (issue 9: after a failed init, `git status` silently reported on the parent)."""
    r = sb.sh("set -e; git init -q sub; cd sub; git rev-parse --show-toplevel; echo a > a.txt;"
              "git add a.txt; git commit -q -m in-sub; git status --short; echo DONE")
    assert_clean_run(r)
    assert str(repo / "sub") in r.out, r
    assert (repo / "sub" / ".git").is_dir()
    assert host_git(sb, ["log", "--format=%s"], repo / "sub").stdout.strip() == "in-sub"
    assert "in-sub" not in host_git(sb, ["log", "--format=%s"], repo).stdout
    assert only_samples(repo / "sub" / ".git" / "hooks")


def test_init_bare_and_push_to_it(sb, repo):
    """A bare repository made inside (its config and hooks have no .git component), used as a
    push target by the repository next to it."""
    r = sb.sh("set -e; git init -q --bare remote.git; git remote add local \"$PWD/remote.git\";"
              "git push -q local main; git ls-remote local; echo DONE")
    assert_clean_run(r)
    head = sb.git("rev-parse", "main").stdout.strip()
    assert host_git(sb, ["rev-parse", "main"], repo / "remote.git").stdout.strip() == head


def test_stash_and_pop_without_denial(sb, repo):
    """issue 9: `git stash && git stash pop` printed `paddock: denied rmdir .../.git`."""
    (repo / "dir").mkdir()
    (repo / "dir" / "t.txt").write_text("tracked\n")
    sb.git("add", "dir/t.txt")
    sb.git("commit", "-q", "-m", "dir")
    r = sb.sh("set -e; echo change >> file.txt; echo more >> dir/t.txt; git stash -q;"
              "git status --porcelain; git stash pop -q;"
              "mkdir -p new/deep; echo u > new/deep/u.txt; git stash -q -u; test ! -e new;"
              "git stash pop -q; cat new/deep/u.txt; git stash list; echo DONE")
    assert_clean_run(r)
    assert (repo / "file.txt").read_text() == "hello\nchange\n"
    assert (repo / "new" / "deep" / "u.txt").read_text() == "u\n"
    assert host_git(sb, ["stash", "list"], repo).stdout == ""


def test_worktree_add_and_remove(sb, repo):
    """issue 9: `git worktree remove` half-deleted the worktree and the host had to prune."""
    r = sb.sh("set -e; git worktree add -q wt -b wtb; cd wt; echo w > w.txt; git add w.txt;"
              "git commit -q -m wt-commit; cd ..; git worktree list; git worktree remove wt;"
              "git worktree add -q wt2 main~0 --detach; echo junk > wt2/junk.txt;"
              "git worktree remove --force wt2; echo DONE")
    assert_clean_run(r)
    assert not os.path.lexists(repo / "wt") and not os.path.lexists(repo / "wt2"), r
    wts = host_git(sb, ["worktree", "list", "--porcelain"], repo).stdout
    assert wts.count("worktree ") == 1, wts
    assert not os.path.lexists(repo / ".git" / "worktrees" / "wt")
    assert host_git(sb, ["worktree", "prune", "-n", "-v"], repo).stdout == ""
    assert host_git(sb, ["log", "-1", "--format=%s", "wtb"], repo).stdout.strip() == "wt-commit"


def test_worktree_config_worktree(sb, repo):
    """extensions.worktreeConfig, then `git config --worktree` in a worktree: config.worktree
    of the worktree's gitdir is installed like any config."""
    r = sb.sh("set -e; git config extensions.worktreeConfig true; git worktree add -q wt -b wtb;"
              "cd wt; git config --worktree user.name 'Worktree Only'; git config user.name;"
              "git sparse-checkout set --no-cone /file.txt; echo DONE")
    assert_clean_run(r)
    assert "Worktree Only" in r.out
    cw = repo / ".git" / "worktrees" / "wt" / "config.worktree"
    assert "user.name=Worktree Only" in config_entries(cw), config_entries(cw)
    assert host_git(sb, ["config", "user.name"], repo / "wt").stdout.strip() == "Worktree Only"


def test_rebase_interactive_with_sed_sequence_editor(sb, repo):
    """A normal `git rebase -i` with a scripted sequence editor works: the todo list (no exec)
    is installed through the supervisor's check."""
    for n in ("second", "third", "fourth"):
        (repo / f"{n}.txt").write_text(n + "\n")
        sb.git("add", f"{n}.txt")
        sb.git("commit", "-q", "-m", n)
    r = sb.sh("set -e; GIT_SEQUENCE_EDITOR=\"sed -i -e '/ third$/s/^pick/drop/' "
              "-e '/ fourth$/s/^pick/reword/'\" GIT_EDITOR=\"sed -i 1s/.*/fourth-reworded/\" "
              "git rebase -q -i HEAD~3; git log --format=%s; echo DONE")
    assert_clean_run(r)
    log = host_git(sb, ["log", "--format=%s"], repo).stdout.split()
    assert log == ["fourth-reworded", "second", "initial"], log
    assert not (repo / ".git" / "rebase-merge").exists()


def test_sequencer_cherry_pick_revert_range(sb, repo):
    """cherry-pick and revert of a range keep their todo list in .git/sequencer/todo."""
    sb.git("checkout", "-q", "-b", "side")
    for n in ("s1", "s2", "s3"):
        (repo / f"{n}.txt").write_text(n + "\n")
        sb.git("add", f"{n}.txt")
        sb.git("commit", "-q", "-m", n)
    sb.git("checkout", "-q", "main")
    r = sb.sh("set -e; git cherry-pick main..side >/dev/null; git revert --no-edit HEAD~2..HEAD "
              ">/dev/null; git log --format=%s; echo DONE")
    assert_clean_run(r)
    log = host_git(sb, ["log", "--format=%s"], repo).stdout.splitlines()
    assert log == ['Revert "s2"', 'Revert "s3"', "s3", "s2", "s1", "initial"], log


def test_rebase_exec_is_refused(sb, repo):
    """Decided (issue 9): a todo list with exec lines is never installed, so `git rebase --exec`
    and an `exec` added by the sequence editor fail inside, and the command does not run (not
    inside, not later on the host)."""
    (repo / "second.txt").write_text("second\n")
    sb.git("add", "second.txt")
    sb.git("commit", "-q", "-m", "second")
    before = sb.git("rev-parse", "HEAD").stdout.strip()
    m1, m2 = repo / unique("exec"), repo / unique("exec")
    r = sb.sh(f"git rebase --exec 'touch {m1}' HEAD~1; echo rc1=$?; git rebase --abort;"
              f"GIT_SEQUENCE_EDITOR=\"sed -i '1i exec touch {m2}'\" git rebase -i HEAD~1;"
              "echo rc2=$?; git rebase --abort; exit 0")
    assert "rc1=0" not in r.out and "rc2=0" not in r.out, r
    assert not m1.exists() and not m2.exists(), r
    assert any("git-rebase-todo" in d for d in r.denials), r
    # the host's git: no rebase in progress that would run it, the branch where it was
    for args in (["status"], ["rebase", "--continue"]):
        host_git(sb, args, repo)
    assert not m1.exists() and not m2.exists()
    assert sb.git("rev-parse", "HEAD").stdout.strip() == before


def test_git_on_private_tmp_is_unmediated(sb):
    """The private /tmp vanishes at exit: git there is not mediated at all (what is refused in
    the project works, and nothing is reported)."""
    r = sb.sh("set -e; cd /tmp; git init -q t; cd t; git config core.fsmonitor false;"
              "git config alias.x '!true'; printf '#!/bin/sh\\nexit 0\\n' > .git/hooks/pre-commit;"
              "chmod +x .git/hooks/pre-commit; echo x > x; git add x; git commit -q -m tmp;"
              "echo y > y; git add y; git commit -q -m tmp2;"
              "git rebase -q --exec true HEAD~1; printf '[core]\\n\\tpager = cat\\n' >> .git/config;"
              "cd /tmp; rm -rf t; echo DONE")
    assert_clean_run(r)


def test_users_gitdir_stays_and_empty_gitdir_goes(sb, repo):
    """rmdir of the user's .git answers ENOTEMPTY, as the kernel would, with no refusal to
    report; an empty .git (no repository) may go."""
    (repo / "empty" / ".git").mkdir(parents=True)
    r = sb.exec(["python3", "-c",
                 "import os, errno\n"
                 "try:\n    os.rmdir('.git'); print('REMOVED')\n"
                 "except OSError as e:\n    print('ERR', errno.errorcode[e.errno])\n"
                 "os.rmdir('empty/.git'); print('DONE')\n"])
    assert_clean_run(r)
    assert "ERR ENOTEMPTY" in r.out, r
    assert (repo / ".git" / "HEAD").exists()
    assert not os.path.lexists(repo / "empty" / ".git")
    assert host_git(sb, ["log", "-1", "--format=%s"], repo).stdout.strip() == "initial"


def test_gitfile_may_be_removed_or_rewritten(sb, repo):
    """A gitfile is no control file: whatever it names is judged as a repository wherever it is.
    A worktree's gitfile may be rewritten (as `git worktree repair` does) and removed."""
    sb.git("worktree", "add", "-q", "wt", "-b", "wtb")
    gitfile = (repo / "wt" / ".git").read_text()
    r = sb.sh("set -e; cp wt/.git g; echo \"$(cat g)\" > wt/.git; git -C wt status --short;"
              "rm wt/.git; test ! -e wt/.git; mv g wt/.git; git worktree repair; echo DONE")
    assert_clean_run(r)
    assert (repo / "wt" / ".git").read_text().strip() == gitfile.strip()
    assert host_git(sb, ["status", "--porcelain"], repo / "wt").returncode == 0


def test_checkout_and_merge_branch_with_gitmodules(sb, repo):
    """A branch that adds .gitmodules: checkout, merge and stash write it as any tracked file
    (git writes a work tree file directly, not through a lock file)."""
    sb.git("checkout", "-q", "-b", "withmods")
    (repo / ".gitmodules").write_text('[submodule "lib"]\n\tpath = lib\n\turl = ./lib-src\n')
    sb.git("add", ".gitmodules")
    sb.git("commit", "-q", "-m", "gitmodules")
    sb.git("checkout", "-q", "main")
    r = sb.sh("set -e; git checkout -q withmods; cat .gitmodules; git checkout -q main;"
              "test ! -e .gitmodules; git merge -q --no-edit withmods; git log --format=%s -1;"
              "echo DONE")
    assert_clean_run(r)
    assert (repo / ".gitmodules").read_text().startswith('[submodule "lib"]')
    assert host_git(sb, ["status", "--porcelain", "--untracked-files=no"], repo).stdout == ""
