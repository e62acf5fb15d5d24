"""The project root (issue 9): started inside a git work tree, the writable root is the top of
that work tree (git in a subdirectory writes .git/index.lock at the top), with a note; --project
sets it explicitly; a work tree whose top is the home directory is not made writable wholesale
(the current directory only, with a warning). A worktree's or submodule's repository, which lies
elsewhere, is writable too (its control files judged like any repository's)."""

import os

import pytest

from conftest import Sandbox, init_repo, unique
from gitutil import config_entries, host_git


def notes(r):
    return [l for l in r.err.splitlines() if l.startswith("paddock: note:")]


def warnings(r):
    return [l for l in r.err.splitlines() if l.startswith("paddock: warning")]


@pytest.fixture
def pkg_repo(sb, repo):
    pkg = repo / "packages" / "app"
    pkg.mkdir(parents=True)
    (pkg / "mod.py").write_text("x = 1\n")
    sb.git("add", "-A")
    sb.git("commit", "-q", "-m", "pkg")
    return pkg


def test_subdirectory_add_and_commit(sb, repo, pkg_repo):
    """Agents cd into a package first: add and commit work there (issue 9: .git/index.lock was
    outside the writable paths), and paddock says which directory it made writable."""
    r = sb.sh("set -e; echo 'x = 2' > mod.py; echo new > new.py; git add mod.py new.py;"
              "git commit -q -m from-package; echo top > ../../top.txt; echo DONE", cwd=pkg_repo)
    assert r.rc == 0 and "DONE" in r.out, r
    assert not r.denials, r
    assert any(str(repo) in n and "top of the git work tree" in n for n in notes(r)), r
    assert host_git(sb, ["log", "-1", "--format=%s"], repo).stdout.strip() == "from-package"
    assert host_git(sb, ["status", "--porcelain", "--untracked-files=no"], repo).stdout == ""
    assert (repo / "top.txt").read_text() == "top\n"


def test_no_note_at_the_top(sb, repo):
    r = sb.sh("git status --short >/dev/null; echo DONE")
    assert r.rc == 0 and "DONE" in r.out and notes(r) == [], r


def test_project_flag_narrows(sb, repo, pkg_repo):
    """--project . from the package: only the package is writable, so git cannot write its index
    at the top, and paddock makes no note of a work tree."""
    r = sb.sh("echo 'x = 3' > mod.py; git add mod.py; echo add_rc=$?; echo top > ../../top.txt",
              cwd=pkg_repo, flags=["--project", "."])
    assert "add_rc=0\n" not in r.out, r
    assert (pkg_repo / "mod.py").read_text() == "x = 3\n", r  # the package itself is writable
    # (when the project lies under the host's /tmp, its parents inside are the sandbox's own
    # tmpfs: writes there vanish; the host's files are what matter)
    assert not (repo / "top.txt").exists()
    assert "packages/app/mod.py" not in host_git(sb, ["diff", "--cached", "--name-only"],
                                                 repo).stdout
    assert notes(r) == [], r


def test_project_flag_explicit_top(sb, repo, pkg_repo):
    r = sb.sh("set -e; echo 'x = 4' > mod.py; git commit -q -am explicit; echo DONE",
              cwd=pkg_repo, flags=["--project", str(repo)])
    assert r.rc == 0 and "DONE" in r.out and not r.denials, r
    assert host_git(sb, ["log", "-1", "--format=%s"], repo).stdout.strip() == "explicit"


def test_project_flag_must_contain_cwd(sb, repo, pkg_repo, outside):
    marker = unique("ran")
    r = sb.sh(f"touch {marker}", cwd=pkg_repo, flags=["--project", str(outside)])
    assert r.rc != 0 and "--project" in r.err, r
    assert not (pkg_repo / marker).exists() and not (outside / marker).exists()


def test_home_as_work_tree_top_falls_back_to_cwd(paddock, home):
    """A user who keeps dotfiles in a repository at ~: starting in ~/src/proj does not make all of
    HOME writable (its rc files would be, less the protected names); only the current directory
    is, with a warning. (Writes elsewhere in the home land in the home layer, never on the
    host.)"""
    helper = Sandbox(paddock, home, home)
    helper.git("init", "-q", "-b", "main", str(home))
    proj = home / "src" / "proj"
    proj.mkdir(parents=True)
    (proj / "a.txt").write_text("a\n")
    sb = Sandbox(paddock, home, proj)
    r = sb.sh("echo b > b.txt; echo rc_cwd=$?; echo x > ../sibling.txt; echo rc_up=$?; "
              "echo x > ~/newfile; echo rc_home=$?")
    assert "rc_cwd=0" in r.out, r
    assert (proj / "b.txt").exists()
    assert not (home / "src" / "sibling.txt").exists() and not (home / "newfile").exists()
    w = warnings(r)
    assert any(str(home) in l and "not made writable" in l for l in w), r
    assert not any("top of the git work tree" in n for n in notes(r)), r


def test_worktree_elsewhere_commits(paddock, home, scratch):
    """cwd is a worktree whose repository lies outside it: the repository is writable too
    (objects, refs), a commit works; its config and hooks are still judged."""
    helper = Sandbox(paddock, home, scratch)
    main = init_repo(helper, scratch / "mainrepo")
    helper.git("worktree", "add", "-q", str(scratch / "wt"), "-b", "wtb", cwd=main)
    marker = scratch / unique("pwned")
    sb = Sandbox(paddock, home, scratch / "wt")
    r = sb.sh("set -e; echo w > w.txt; git add w.txt; git commit -q -m in-worktree;"
              f"git config core.fsmonitor 'touch {marker}' || true;"
              f"cp /bin/true \"$(git rev-parse --git-common-dir)/hooks/pre-commit\" || true;"
              "echo DONE")
    assert r.rc == 0 and "DONE" in r.out, r
    assert any("repository of this work tree" in n for n in notes(r)), r
    assert host_git(sb, ["log", "-1", "--format=%s", "wtb"], main).stdout.strip() == "in-worktree"
    assert not [e for e in config_entries(main / ".git" / "config") if "fsmonitor" in e]
    assert not (main / ".git" / "hooks" / "pre-commit").exists()
    host_git(sb, ["status"], scratch / "wt")
    assert not marker.exists()
    # the main repository's work tree is not writable
    r2 = sb.sh(f"echo x > {main}/file.txt; echo rc=$?")
    assert "rc=0" not in r2.out and (main / "file.txt").read_text() == "hello\n", r2


def test_submodule_as_cwd(sb, repo, outside):
    """cwd is a submodule (its gitdir is in the superproject's .git/modules): commits in the
    submodule work; the superproject's own files are not writable."""
    lib = init_repo(sb, outside / "libsrc")
    sb.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "lib")
    sb.git("commit", "-q", "-m", "add lib")
    r = sb.sh("set -e; git checkout -q -b work; echo s > s.txt; git add s.txt;"
              "git commit -q -m in-submodule; (echo x > ../file.txt) 2>/dev/null || true; echo DONE",
              cwd=repo / "lib")
    assert r.rc == 0 and "DONE" in r.out, r
    assert host_git(sb, ["log", "-1", "--format=%s"], repo / "lib").stdout.strip() == \
        "in-submodule"
    assert (repo / "file.txt").read_text() == "hello\n"
