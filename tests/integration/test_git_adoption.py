"""Threat (issue 9, audit findings 1-3 and 6): make a directory git will use as a repository
out of an ordinary one, so that what was written into it while it was ordinary (a config with
fsmonitor, hooks, legacy remote files, a todo list with exec) becomes control files. A gitfile
(`gitdir: X`), a submodule's `commondir` or an embedded bare repository then leads the host's git
there.

paddock's answer: a directory is a gitdir as soon as it holds HEAD, commondir, or objects and
refs; when a call makes it one, the supervisor adopts it: the config is moved away, judged and
reinstalled from its own copy (a descriptor opened earlier no longer reaches it), and hooks,
remote files and exec todo lists are set aside as NAME.paddock-refused with a `paddock: denied
planted ...` line. Whatever order the pieces are written in, and however the directory is moved
or named afterwards, the host's git runs nothing of it.

Oracle: host_battery (gitutil) where the user would run git, and a marker outside the writable
paths. Controls plant the same on the host without paddock and see the marker."""

import os
import subprocess

import pytest

from conftest import init_repo, unique
from gitutil import config_entries, host_battery, host_git, write_prog

HEAD = "echo 'ref: refs/heads/main' > {d}/HEAD"
MARKERS = "mkdir -p {d}/objects {d}/refs/heads"


def cfg_cmd(d, dest="config"):
    return (f"printf '[core]\\n\\trepositoryformatversion = 0\\n\\tfsmonitor = {{P}}\\n"
            f"\\tpager = {{PC}}\\n[alias]\\n\\tst = !{{P}}\\n' > {d}/{dest}")


def hooks_cmd(d):
    return (f"mkdir -p {d}/hooks && for h in pre-commit post-commit post-checkout "
            f"reference-transaction post-index-change; do cp {{P}} {d}/hooks/$h; done")


GITFILE = "mkdir -p sub && echo 'gitdir: ../gd' > sub/.git"
COPY = "cp -r .git/objects .git/refs gd/"


def steps(*parts):
    return " && ".join(parts)


CASES = {
    # (the commands inside, where the host's git runs, needs: extra host setup)
    "config-first-then-objects-refs-then-head": (steps(
        "mkdir gd", cfg_cmd("gd"), hooks_cmd("gd"), MARKERS.format(d="gd"), HEAD.format(d="gd"),
        GITFILE), "sub", None),
    "config-first-then-head": (steps(
        "mkdir gd", cfg_cmd("gd"), hooks_cmd("gd"), HEAD.format(d="gd"), MARKERS.format(d="gd"),
        GITFILE), "sub", None),
    "gitfile-first-then-gitdir": (steps(
        GITFILE, "mkdir gd", cfg_cmd("gd"), hooks_cmd("gd"), HEAD.format(d="gd"),
        MARKERS.format(d="gd")), "sub", None),
    "head-first-then-config-lock-rename": (steps(
        "mkdir gd", HEAD.format(d="gd"), MARKERS.format(d="gd"), cfg_cmd("gd", "config.lock"),
        "mv gd/config.lock gd/config; " + hooks_cmd("gd") + "; " + GITFILE), "sub", None),
    "renamed-afterwards": (steps(
        "mkdir gd", cfg_cmd("gd"), hooks_cmd("gd"), HEAD.format(d="gd"), MARKERS.format(d="gd"),
        GITFILE, "mv sub victim", "mv gd gd2", "echo 'gitdir: ../gd2' > victim/.git"),
        "victim", None),
    "pre-created-quarantine-name": (steps(
        "mkdir -p sub/.git.paddock-quarantined/x", "mkdir gd", cfg_cmd("gd"), hooks_cmd("gd"),
        HEAD.format(d="gd"), MARKERS.format(d="gd"), "echo 'gitdir: ../gd' > sub/.git"),
        "sub", None),
    "1000-decoy-gitfiles": (steps(
        "for i in $(seq 1000); do mkdir -p d/$i && echo 'gitdir: /nonexistent' > d/$i/.git;"
        " done", "mkdir gd", cfg_cmd("gd"), hooks_cmd("gd"), HEAD.format(d="gd"),
        MARKERS.format(d="gd"), GITFILE), "sub", None),
    "built-in-tmp-then-moved": (steps(
        "mkdir {T}/gd", cfg_cmd("{T}/gd"), hooks_cmd("{T}/gd"), HEAD.format(d="{T}/gd"),
        MARKERS.format(d="{T}/gd"), "mv {T}/gd gd", GITFILE), "sub", None),
    "tar-extracted-config-first": (steps(
        "mkdir -p {T}/s/gd", cfg_cmd("{T}/s/gd"), hooks_cmd("{T}/s/gd"),
        HEAD.format(d="{T}/s/gd"), MARKERS.format(d="{T}/s/gd"),
        "tar cf {T}/t.tar -C {T}/s gd/config gd/hooks gd/objects gd/refs gd/HEAD",
        "tar xf {T}/t.tar", GITFILE), "sub", None),
    "hooks-dir-symlink-then-head": (steps(
        "mkdir -p gd hk", "for h in pre-commit post-commit post-checkout; do cp {P} hk/$h; done",
        "ln -s ../hk gd/hooks", HEAD.format(d="gd"), MARKERS.format(d="gd"), GITFILE),
        "sub", None),
    "config-symlink-then-head": (steps(
        "mkdir gd", cfg_cmd(".", "evil.cfg"), "ln -s ../evil.cfg gd/config", HEAD.format(d="gd"),
        MARKERS.format(d="gd"), GITFILE), "sub", None),
    "config-hardlink-kept-written-after": (steps(
        "mkdir gd", "printf '[core]\\n\\tbare = false\\n' > gd/config", "ln gd/config keep",
        HEAD.format(d="gd"), MARKERS.format(d="gd"), GITFILE,
        "printf '\\tfsmonitor = {P}\\n[alias]\\n\\tst = !{P}\\n' >> keep"), "sub", None),
    "config-fd-kept-written-after": (
        "python3 -c \"import os\n"
        "os.mkdir('gd')\n"
        "fd = os.open('gd/config', os.O_WRONLY|os.O_CREAT, 0o644)\n"
        "os.write(fd, b'[core]\\\\n\\\\tbare = false\\\\n')\n"
        "open('gd/HEAD', 'w').write('ref: refs/heads/main\\\\n')\n"
        "os.makedirs('gd/objects'); os.makedirs('gd/refs/heads')\n"
        "os.makedirs('sub'); open('sub/.git', 'w').write('gitdir: ../gd\\\\n')\n"
        "os.write(fd, b'\\\\tfsmonitor = {P}\\\\n[alias]\\\\n\\\\tst = !{P}\\\\n')\n"
        "os.fsync(fd); os.close(fd)\"", "sub", None),
    "commondir-target-with-objects-refs": (steps(
        "mkdir ev", cfg_cmd("ev"), hooks_cmd("ev"), MARKERS.format(d="ev"),
        "echo \"$PWD/ev\" > .git/modules/lib/commondir"), "lib", "submodule"),
    "commondir-target-objects-refs-added-later": (steps(
        "mkdir ev", cfg_cmd("ev"), hooks_cmd("ev"),
        "echo \"$PWD/ev\" > .git/modules/lib/commondir", MARKERS.format(d="ev")),
        "lib", "submodule"),
    "commondir-in-users-gitdir": (steps(
        "mkdir ev", cfg_cmd("ev"), hooks_cmd("ev"), MARKERS.format(d="ev"),
        "echo \"$PWD/ev\" > .git/commondir"), ".", None),
    "embedded-bare-config-first": (steps(
        "mkdir tools", "printf '[core]\\n\\tbare = true\\n\\tpager = {PC}\\n[alias]\\n\\tst = "
        "!{P}\\n' > tools/config", hooks_cmd("tools"), MARKERS.format(d="tools"),
        HEAD.format(d="tools")), "tools", None),
    "embedded-bare-head-first": (steps(
        "mkdir tools", HEAD.format(d="tools"), MARKERS.format(d="tools"),
        "printf '[core]\\n\\tbare = true\\n\\tpager = {PC}\\n' > tools/config; "
        "cp {P} tools/hooks.tmp; mkdir -p tools/hooks; cp {P} tools/hooks/post-checkout; true"),
        "tools", None),
    # the repository's own objects and refs copied in: a gitdir with history, so that the
    # host's push and rebase --continue have something to work on
    "legacy-remote-file-then-head": (steps(
        "mkdir -p gd/remotes gd/branches", "echo 'URL: {EVIL}' > gd/remotes/origin",
        "echo '{EVIL}' > gd/branches/origin", COPY, HEAD.format(d="gd"), GITFILE),
        "sub", None),
    "exec-todo-then-head": (steps(
        "mkdir -p gd/rebase-merge", "echo 'exec {P}' > gd/rebase-merge/git-rebase-todo",
        "echo refs/heads/main > gd/rebase-merge/head-name", "touch gd/rebase-merge/interactive",
        "git rev-parse HEAD > gd/rebase-merge/onto", "git rev-parse HEAD > gd/rebase-merge/orig-head",
        "touch gd/rebase-merge/done", COPY, HEAD.format(d="gd"), GITFILE), "sub", None),
}

# Not live on the host (git refuses the directory), tried anyway: no control.
NOT_LIVE = {"commondir-target-without-objects-refs": (steps(
    "mkdir ev", cfg_cmd("ev"), hooks_cmd("ev"), "echo \"$PWD/ev\" > .git/modules/lib/commondir"),
    "lib", "submodule")}


def _setup(sb, outside, needs):
    p = sb.project
    init_repo(sb, p)
    evil = outside / "evil.git"
    sb.git("init", "-q", "--bare", str(evil))
    if needs == "submodule":
        lib = init_repo(sb, outside / "libsrc")
        sb.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "lib",
               cwd=p)
        sb.git("commit", "-q", "-m", "add lib", cwd=p)
    marker = outside / unique("pwned")
    prog = write_prog(p / "evilprog", marker)
    pager = write_prog(p / "evilpager", marker, cat=True)
    return marker, prog, pager, evil


def _fill(cmd, prog, pager, evil, tmp="/tmp"):
    """{P} payload, {PC} payload pager, {EVIL} a bare repository outside, {T} the private /tmp
    (in a control on the host: a directory of the test's own)."""
    return (cmd.replace("{PC}", str(pager)).replace("{P}", str(prog))
            .replace("{EVIL}", str(evil)).replace("{T}", tmp))


def _host_checks(sb, where, scratch, evil):
    # what a planted rebase or legacy remote would do (before the battery, whose own rebase
    # would abort a rebase in progress)
    results = []
    for args in (["status"], ["rebase", "--continue"],
                 ["push", "-q", "origin", "HEAD:refs/heads/evil"], ["fetch", "-q", "origin"]):
        results.append((tuple(args), host_git(sb, args, where, timeout=15,
                                              env={"EDITOR": "true"}).returncode))
    return results + host_battery(sb, where, scratch)


def _evil_refs(sb, evil):
    return host_git(sb, ["for-each-ref"], evil).stdout


@pytest.mark.parametrize("case", list(CASES) + list(NOT_LIVE))
def test_adoption(sb, outside, scratch, case):
    cmd, run_in, needs = CASES.get(case) or NOT_LIVE[case]
    marker, prog, pager, evil = _setup(sb, outside, needs)
    r = sb.sh(_fill(cmd, prog, pager, evil) + "\nexit 0", timeout=120)
    assert not marker.exists(), r
    where = sb.project / run_in
    results = _host_checks(sb, where, scratch, evil)
    assert not marker.exists(), f"host git ran what was planted ({case})\n{results}\n{r!r}"
    assert _evil_refs(sb, evil) == "", f"host git pushed to a planted remote\n{r!r}"
    # what was refused or set aside is reported (written through a descriptor or a link kept
    # from before: it lands in the old file, which git no longer reads; nothing to report)
    if case not in NOT_LIVE and "kept-written-after" not in case:
        assert any("planted" in d or "/config" in d or "/hooks/" in d for d in r.denials), r


@pytest.mark.parametrize("case", list(CASES))
def test_adoption_control(sb, outside, scratch, case):
    """Control, without paddock: the same commands on the host give the battery something to
    run (or a remote to push to)."""
    cmd, run_in, needs = CASES[case]
    marker, prog, pager, evil = _setup(sb, outside, needs)
    # the host's /tmp stands in for the sandbox's private one
    tmp = scratch / "tmpx"
    tmp.mkdir()
    h = sb.host_sh(_fill(cmd, prog, pager, evil, str(tmp)))
    assert h.rc == 0, h
    results = _host_checks(sb, sb.project / run_in, scratch, evil)
    assert marker.exists() or _evil_refs(sb, evil) != "", (case, h, results)


def test_adopted_gitdir_is_usable(sb):
    """Adoption keeps an inert config and the sample hooks: a repository assembled by hand (as
    tar or cp -r of a repository do) works on the host with its config."""
    init_repo(sb, sb.project / "src")
    r = sb.sh("set -e; mkdir gd; cp src/.git/config gd/config; git config --file gd/config "
              "user.name Assembled; mkdir -p gd/hooks; cp src/.git/hooks/*.sample gd/hooks/;"
              "cp -r src/.git/objects src/.git/refs gd/; cp src/.git/HEAD gd/HEAD;"
              "mkdir w; echo 'gitdir: ../gd' > w/.git; git -C w log --format=%s; echo DONE")
    assert r.rc == 0 and "DONE" in r.out and "initial" in r.out, r
    assert not r.denials, r
    assert "user.name=Assembled" in config_entries(sb.project / "gd" / "config")
    assert host_git(sb, ["log", "--format=%s"], sb.project / "w").stdout.strip() == "initial"


def test_set_aside_files_are_named(sb, outside):
    """The planted files are kept under a name git never reads, and each is reported."""
    init_repo(sb, sb.project)
    r = sb.sh("mkdir gd && printf '[core]\\n\\tfsmonitor = x\\n' > gd/config && mkdir gd/hooks &&"
              " echo x > gd/hooks/pre-commit && echo x > gd/hooks/pre-push.sample &&"
              " mkdir gd/remotes && echo 'URL: /x' > gd/remotes/origin && "
              "echo 'ref: refs/heads/main' > gd/HEAD; exit 0")
    gd = sb.project / "gd"
    assert not (gd / "config").exists() and (gd / "config.paddock-refused").exists(), r
    assert not (gd / "hooks" / "pre-commit").exists()
    assert (gd / "hooks" / "pre-commit.paddock-refused").exists()
    assert (gd / "hooks" / "pre-push.sample").exists()
    assert not (gd / "remotes" / "origin").exists()
    planted = [d for d in r.denials if "planted" in d]
    for name in ("gd/config", "gd/hooks/pre-commit", "gd/remotes/origin"):
        assert any(name in d for d in planted), (name, r)


# --- control files moved in whole: a directory renamed into a gitdir ---------------------------
#
# The files git reads as a rebase in progress, and the legacy remote definitions, live in
# directories of the gitdir: preparing such a directory elsewhere and renaming it into place must
# not install what it holds unjudged. (.git/sequencer/todo is judged too, but git 2.39 does not
# run an exec line of a cherry-pick's or revert's todo list: no live attack to test.)

def _rebase_state(d):
    return steps(f"mkdir -p {d}", f"echo 'exec {{P}}' > {d}/git-rebase-todo",
                 f"echo refs/heads/main > {d}/head-name", f"git rev-parse HEAD > {d}/onto",
                 f"git rev-parse HEAD > {d}/orig-head", f"touch {d}/interactive",
                 f"touch {d}/done", f"echo 1 > {d}/msgnum", f"echo 1 > {d}/end")


MOVED_IN = {
    "rebase-merge-direct": ("mkdir -p .git/rebase-merge && " + _rebase_state(".git/rebase-merge")),
    "rebase-merge-lock-rename": ("mkdir -p .git/rebase-merge; " + _rebase_state("rm") +
                                 "; cp rm/* .git/rebase-merge/ 2>/dev/null; "
                                 "echo 'exec {P}' > .git/rebase-merge/git-rebase-todo.lock; "
                                 "mv .git/rebase-merge/git-rebase-todo.lock "
                                 ".git/rebase-merge/git-rebase-todo"),
    "rebase-merge-dir-renamed-in": (_rebase_state("rm") + " && mv rm .git/rebase-merge"),
    "rebase-merge-dir-python-rename": (_rebase_state("rm") + " && python3 -c \"import os; "
                                       "os.rename('rm', '.git/rebase-merge')\""),
    "remotes-dir-renamed-in": ("mkdir rr && echo 'URL: {EVIL}' > rr/origin && mv rr .git/remotes"),
    "remotes-direct": ("mkdir -p .git/remotes && echo 'URL: {EVIL}' > .git/remotes/origin"),
    "branches-dir-renamed-in": ("mkdir bb && echo '{EVIL}' > bb/origin && mv bb .git/branches"),
}


def _moved_in_checks(sb, scratch):
    p = sb.project
    results = []
    for args in (["status"], ["rebase", "--continue"], ["cherry-pick", "--continue"],
                 ["push", "-q", "origin", "HEAD:refs/heads/evil"], ["fetch", "-q", "origin"],
                 ["pull", "-q", "origin"]):
        results.append((tuple(args), host_git(sb, args, p, timeout=15,
                                              env={"EDITOR": "true"}).returncode))
    return results


@pytest.mark.parametrize("case", list(MOVED_IN))
def test_control_dir_moved_into_gitdir(sb, outside, scratch, case):
    marker, prog, pager, evil = _setup(sb, outside, None)
    # the branches/ legacy directory: a fresh repository has none (git init makes it empty)
    r = sb.sh("rmdir .git/branches 2>/dev/null; " + _fill(MOVED_IN[case], prog, pager, evil) +
              "\nexit 0")
    results = _moved_in_checks(sb, scratch)
    assert not marker.exists(), f"host git ran a planted todo list ({case})\n{results}\n{r!r}"
    assert _evil_refs(sb, evil) == "", f"host git pushed to a planted remote ({case})\n{r!r}"


@pytest.mark.parametrize("case", list(MOVED_IN))
def test_control_dir_moved_into_gitdir_control(sb, outside, scratch, case):
    marker, prog, pager, evil = _setup(sb, outside, None)
    h = sb.host_sh("rmdir .git/branches 2>/dev/null; " + _fill(MOVED_IN[case], prog, pager, evil))
    results = _moved_in_checks(sb, scratch)
    assert marker.exists() or _evil_refs(sb, evil) != "", (case, h, results)


# --- a .git prepared inside, made a repository by the host's own git init ------------------------


@pytest.mark.parametrize("what", ["hooks", "config"])
def test_host_git_init_in_prepared_directory(sb, outside, scratch, what):
    """An agent scaffolds a new package; the user then runs `git init` there and commits. A
    `.git` directory the sandbox left (not yet a repository, so not adopted) must not hold hooks
    or a config that `git init` keeps and the next commit runs."""
    marker, prog, pager, evil = _setup(sb, outside, None)
    plant = (f"mkdir -p newpkg/.git/hooks && cp {prog} newpkg/.git/hooks/pre-commit"
             if what == "hooks" else
             f"mkdir -p newpkg/.git && printf '[core]\\n\\tfsmonitor = {prog}\\n' > newpkg/.git/config")
    r = sb.sh(f"{plant}; echo code > newpkg/a.txt; exit 0")
    assert (sb.project / "newpkg" / "a.txt").exists(), r
    where = sb.project / "newpkg"
    results = [(a, host_git(sb, a, where).returncode)
               for a in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "first"],
                         ["status"])]
    assert not marker.exists(), f"host git init kept what the sandbox planted\n{results}\n{r!r}"


def test_host_git_init_in_prepared_directory_control(sb, outside):
    marker, prog, pager, evil = _setup(sb, outside, None)
    where = sb.project / "newpkg"
    (where / ".git" / "hooks").mkdir(parents=True)
    (where / ".git" / "hooks" / "pre-commit").write_bytes(prog.read_bytes())
    (where / ".git" / "hooks" / "pre-commit").chmod(0o755)
    (where / "a.txt").write_text("code\n")
    for a in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "first"]):
        host_git(sb, a, where)
    assert marker.exists()


# --- a write racing the adoption -------------------------------------------------------------

RACE = r"""
import os, sys, threading, time, random
P = sys.argv[1]
N = 60
evil = ("\tfsmonitor = %s\n" % P).encode()
stats = {"writes": 0, "refused": 0}
def writer(d, flags):
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            fd = os.open(d + "/config", flags, 0o644)
        except OSError:
            stats["refused"] += 1
            if os.path.exists(d + "/HEAD"):
                return
            continue
        try:
            os.write(fd, evil)
            stats["writes"] += 1
        finally:
            os.close(fd)
        if os.path.exists(d + "/HEAD"):
            return
def maker(d):
    time.sleep(random.random() * 0.01)
    os.mkdir(d + "/objects"); os.mkdir(d + "/refs")
    open(d + "/HEAD", "w").write("ref: refs/heads/main\n")
for i in range(N):
    d = "race/gd%d" % i
    os.makedirs(d)
    open(d + "/config", "w").write("[core]\n\tbare = true\n")
    flags = [os.O_WRONLY | os.O_APPEND, os.O_WRONLY | os.O_CREAT | os.O_TRUNC][i % 2]
    ts = [threading.Thread(target=writer, args=(d, flags)), threading.Thread(target=maker, args=(d,))]
    for t in ts: t.start()
    for t in ts: t.join()
print("STATS", stats["writes"], stats["refused"])
"""


def test_write_racing_adoption(sb, outside):
    """One thread keeps writing fsmonitor into gd/config while another makes gd a gitdir: once
    gd is a gitdir, its config (if any) holds nothing the judge refuses, whatever the timing."""
    marker, prog, pager, evil = _setup(sb, outside, None)
    (sb.project / "race.py").write_text(RACE)
    r = sb.exec(["python3", "race.py", str(prog)], timeout=120)
    assert r.rc == 0 and "STATS" in r.out, r
    writes, refused = map(int, r.out.split("STATS")[1].split())
    assert writes > 0 and refused > 0, r  # control: both sides of the race happened
    bad = []
    for gd in sorted((sb.project / "race").iterdir()):
        cfg = gd / "config"
        if cfg.exists() and any("fsmonitor" in e for e in config_entries(cfg)):
            bad.append(gd.name)
    assert not bad, (bad, r)
