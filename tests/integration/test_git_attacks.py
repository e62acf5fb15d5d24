"""Threat (issue 9): make the host's git run code, by writing a repository's control files
inside. Every key family git would run (or that would send git elsewhere), written by every
spelling (git config, a config.lock renamed into place, in-place edits, sed -i, links, an
exchange, after removing the config), in every kind of repository (the user's, one made inside,
a nested one, a worktree's config.worktree, a submodule's, an embedded bare one, a `.git` that is
a symlink into `.repo/`); and hooks planted under every spelling.

The oracle is the host's own git: after the sandbox has run, `host_battery` does what a user does
in that repository (status, diff, log through a pager, commit, commit with the editor, signed
commit, aliases, fetch, pull, push, ssh and git:// transports, credential fill, rebase -i,
checkout) and the test asserts that the marker the payload would create (outside the writable
paths, so only the host could make it) does not exist. Each payload is proven live by a control
that plants the same thing on the host without paddock: the same battery then creates the marker.
"""

import os
import subprocess

import pytest

from conftest import TIMEOUT, init_repo, unique
from gitutil import config_entries, config_text, host_battery, host_git, write_prog


# The project lies under the fake HOME only (conftest's `project` also tries the host's /tmp):
# the attacks are many, and where the project lies changes nothing the git rules look at;
# test_git_workflows.py, test_git_remote.py and test_git_adoption.py run in both.
@pytest.fixture
def project(home):
    p = home / "src" / "proj"
    p.mkdir(parents=True)
    (p / "README.md").write_text("project readme\n")
    return p


# --- the repositories -------------------------------------------------------------------------


class Target:
    """Where the attack lands: `config` is the control file (relative to the project), `run_in`
    the directory where the host's git runs afterwards, `git_config` the natural command inside."""

    def __init__(self, config, run_in, git_config):
        self.config = config
        self.run_in = run_in
        self.git_config = git_config


def _origin(sb, repo, outside, name="origin.git"):
    bare = outside / name
    if not bare.exists():
        sb.git("init", "-q", "--bare", str(bare))
    sb.git("remote", "add", "origin", str(bare), cwd=repo)
    sb.git("push", "-q", "origin", "main", cwd=repo)


def _second_commit(sb, repo):
    (repo / "second.txt").write_text("second\n")
    sb.git("add", "second.txt", cwd=repo)
    sb.git("commit", "-q", "-m", "second", cwd=repo)


def setup_root(sb, p, outside):
    init_repo(sb, p)
    _second_commit(sb, p)
    _origin(sb, p, outside)
    return Target(".git/config", ".", "git config")


def setup_inside_made(sb, p, outside):
    """The repository is made by the sandbox, in the same run, before the attack."""
    return Target("fresh/.git/config", "fresh", "git -C fresh config")


INSIDE_MADE_PREFIX = ("git init -q fresh && (cd fresh && echo hello > file.txt && git add . && "
                      "git commit -q -m initial && echo 2 > second.txt && git add . && "
                      "git commit -q -m second)\n")


def setup_nested(sb, p, outside):
    init_repo(sb, p)
    setup_nested_only(sb, p, outside)
    return Target("sub/a/b/.git/config", "sub/a/b", "git -C sub/a/b config")


def setup_worktree(sb, p, outside):
    setup_root(sb, p, outside)
    sb.git("config", "extensions.worktreeConfig", "true", cwd=p)
    sb.git("worktree", "add", "-q", "wt", "-b", "wtb", cwd=p)
    return Target(".git/worktrees/wt/config.worktree", "wt", "git -C wt config --worktree")


def setup_main_config_worktree(sb, p, outside):
    setup_root(sb, p, outside)
    sb.git("config", "extensions.worktreeConfig", "true", cwd=p)
    return Target(".git/config.worktree", ".", "git config --worktree")


def setup_submodule(sb, p, outside):
    setup_root(sb, p, outside)
    lib = init_repo(sb, outside / "libsrc")
    _second_commit(sb, lib)
    sb.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "lib", cwd=p)
    sb.git("commit", "-q", "-m", "add lib", cwd=p)
    return Target(".git/modules/lib/config", "lib", "git -C lib config")


def setup_bare(sb, p, outside):
    """An embedded bare repository: tools/{HEAD,objects,refs,config}, no .git anywhere."""
    src = init_repo(sb, outside / "baresrc")
    _second_commit(sb, src)
    sb.git("clone", "-q", "--bare", str(src), str(p / "tools"))
    return Target("tools/config", "tools", "git -C tools config")


def setup_repo_link(sb, p, outside, direct=False):
    """Google's repo layout: x/.git -> ../.repo/projects/x.git, made by the host."""
    x = init_repo(sb, p / "x")
    _second_commit(sb, x)
    _origin(sb, x, outside, "x-origin.git")
    (p / ".repo" / "projects").mkdir(parents=True)
    os.rename(x / ".git", p / ".repo" / "projects" / "x.git")
    os.symlink("../.repo/projects/x.git", x / ".git")
    cfg = ".repo/projects/x.git/config" if direct else "x/.git/config"
    return Target(cfg, "x", "git -C x config")


PLACES = {
    "root": setup_root,
    "inside-made": setup_inside_made,
    "nested-depth-3": setup_nested,
    "worktree-config-worktree": setup_worktree,
    "main-config-worktree": setup_main_config_worktree,
    "submodule": setup_submodule,
    "embedded-bare": setup_bare,
    "dotgit-symlink": setup_repo_link,
    "dotgit-symlink-target": lambda sb, p, o: setup_repo_link(sb, p, o, direct=True),
}


# --- the key families -------------------------------------------------------------------------
#
# {P}: an executable in the project that creates the marker; {PC}: the same, then cat (a pager);
# {D}: the project. `prep` runs inside before the attack (files the payload needs: attributes,
# a hooks directory, a file to include). key_only: git reads the key, but no host command in the
# battery shows it (the config itself is the oracle).

FAMILIES = {
    "core.fsmonitor": dict(keys=[("core.fsmonitor", "{P}")]),
    "core.hooksPath": dict(
        prep="mkdir -p evilhooks && cp {P} evilhooks/pre-commit && cp {P} evilhooks/post-checkout",
        keys=[("core.hooksPath", "{D}/evilhooks")]),
    "core.pager": dict(keys=[("core.pager", "{PC}")]),
    "pager.log": dict(keys=[("pager.log", "{PC}"), ("pager.diff", "{PC}")]),
    "core.editor": dict(keys=[("core.editor", "{P}")]),
    "sequence.editor": dict(keys=[("sequence.editor", "{P}")]),
    "core.sshCommand": dict(keys=[("core.sshCommand", "{P}")]),
    "core.gitProxy": dict(keys=[("core.gitProxy", "{P}")]),
    "core.askPass": dict(keys=[("core.askPass", "{P}")]),
    "credential.helper": dict(keys=[("credential.helper", "!{P}"),
                                    ("credential.https://example.invalid.helper", "{P}")]),
    "alias": dict(keys=[("alias.st", "!{P}"), ("alias.co", "!{P}")]),
    "filter": dict(prep="echo '*.txt filter=evil' > .gitattributes",
                   keys=[("filter.evil.clean", "{P}"), ("filter.evil.smudge", "{P}")]),
    "filter.process": dict(prep="echo '*.txt filter=evil' > .gitattributes",
                           keys=[("filter.evil.process", "{P}")]),
    "diff.textconv": dict(prep="echo '*.txt diff=evil' > .gitattributes",
                          keys=[("diff.evil.textconv", "{P}")]),
    "diff.command": dict(prep="echo '*.txt diff=evil' > .gitattributes",
                         keys=[("diff.evil.command", "{P}")]),
    "diff.external": dict(keys=[("diff.external", "{P}")]),
    "include.path": dict(prep="printf '[core]\\n\\tfsmonitor = {P}\\n' > {D}/evil.inc",
                         keys=[("include.path", "{D}/evil.inc")]),
    "includeIf": dict(prep="printf '[core]\\n\\tfsmonitor = {P}\\n' > {D}/evil.inc",
                      keys=[("includeIf.gitdir:/.path", "{D}/evil.inc"),
                            ("includeIf.onbranch:main.path", "{D}/evil.inc")]),
    "gpg.program": dict(keys=[("gpg.program", "{P}"), ("gpg.openpgp.program", "{P}")]),
    "url.insteadOf+protocol.allow": dict(keys=[("protocol.ext.allow", "always"),
                                               ("url.ext::{P}.insteadOf", "{O}"),
                                               ("url.ext::{P}.pushInsteadOf", "{O}")]),
    "remote.uploadpack": dict(keys=[("remote.origin.uploadpack", "{P}")]),
    "remote.receivepack": dict(keys=[("remote.origin.receivepack", "{P}")]),
    # read by git, but no command of the battery shows them: the config is the oracle
    "remote.vcs": dict(keys=[("remote.origin.vcs", "evil")], key_only=True),
    # git init reads it from the user's configs only, not the repository's
    "init.templateDir": dict(prep="mkdir -p tpl/hooks && cp {P} tpl/hooks/pre-commit",
                             keys=[("init.templateDir", "{D}/tpl")], key_only=True),
    "merge.driver": dict(keys=[("merge.evil.driver", "{P}")], key_only=True),
    "difftool": dict(keys=[("diff.tool", "evil"), ("difftool.evil.cmd", "{P}"),
                           ("mergetool.evil.cmd", "{P}")], key_only=True),
    "interactive.diffFilter": dict(keys=[("interactive.diffFilter", "{P}")], key_only=True),
    "core.alternateRefsCommand": dict(keys=[("core.alternateRefsCommand", "{P}")], key_only=True),
    "uploadpack+receive": dict(keys=[("uploadpack.packObjectsHook", "{P}"),
                                     ("receive.procReceiveRefs", "refs/for")], key_only=True),
    "web.browser": dict(keys=[("web.browser", "evil"), ("browser.evil.cmd", "{P}")],
                        key_only=True),
    "http.proxy+ssl": dict(keys=[("http.proxy", "http://127.0.0.1:9"),
                                 ("http.sslVerify", "false"),
                                 ("http.extraHeader", "X-Evil: 1")], key_only=True),
    "core.worktree-outside": dict(keys=[("core.worktree", "{OUT}")], key_only=True),
    "trace2": dict(keys=[("trace2.eventTarget", "{OUT}/trace")], key_only=True),
    "core.sharedRepository": dict(keys=[("core.sharedRepository", "0777")], key_only=True),
    "unknown-key": dict(keys=[("lfs.url", "http://127.0.0.1:9/x"), ("safe.directory", "*")],
                        key_only=True),
}

# Families tried in every place; all of them are tried in the user's repository.
PLACE_FAMILIES = ["core.fsmonitor", "core.hooksPath", "alias", "include.path"]


def list_prefix(name):
    """How `git config --list` prints a key: section and key lower-cased, subsection as is."""
    section, _, rest = name.partition(".")
    sub, dot, key = rest.rpartition(".")
    return (f"{section.lower()}.{sub}.{key.lower()}=" if dot else
            f"{section.lower()}.{key.lower()}=")


class Ctx:
    def __init__(self, project, outside):
        self.project = project
        self.outside = outside
        self.marker = outside / unique("pwned")
        self.prog = write_prog(project / "evilprog", self.marker)
        self.pager = write_prog(project / "evilpager", self.marker, cat=True)

    def fill(self, s, origin=""):
        return (s.replace("{PC}", str(self.pager)).replace("{P}", str(self.prog))
                .replace("{D}", str(self.project)).replace("{OUT}", str(self.outside))
                .replace("{O}", origin))


def origin_of(sb, run_in):
    p = host_git(sb, ["config", "remote.origin.url"], run_in)
    return p.stdout.strip() or "/nonexistent/origin.git"


def q(s):
    return "'" + s.replace("'", "'\"'\"'") + "'"


# Spellings of "put this text into the config F". {F} the file, snippet.cfg the text to add,
# {GC} the natural `git config` command, {KEYS} one `{GC} key value` per key. The last ones remove
# the config first: they run after every other spelling was checked.
SPELLINGS = [
    ("git-config", "{KEYS}"),
    ("git-config-file", "{KEYS_FILE}"),
    ("lock-rename", "cp {F} {F}.lock; cat snippet.cfg >> {F}.lock; mv -f {F}.lock {F}; rm -f {F}.lock"),
    ("python-replace", "python3 -c \"import os; d=open('{F}').read() if os.path.exists('{F}') else ''; "
                       "open('{F}.new','w').write(d+open('snippet.cfg').read()); "
                       "os.replace('{F}.new','{F}')\"; rm -f {F}.new"),
    ("append", "cat snippet.cfg >> {F}"),
    ("sed-i", "sed -i '$r snippet.cfg' {F}"),
    ("overwrite", "cat full.cfg > {F}"),
    ("python-rdwr", "python3 -c \"import os; fd=os.open('{F}', os.O_RDWR|os.O_APPEND); "
                    "os.write(fd, open('snippet.cfg','rb').read())\""),
    ("truncate-then-write", "truncate -s 0 {F}; cat full.cfg >> {F}"),
    ("chmod-then-append", "chmod 666 {F}; cat snippet.cfg >> {F}"),
    ("hardlink-then-write", "ln {F} hl.cfg && cat snippet.cfg >> hl.cfg; rm -f hl.cfg"),
    ("exchange", "cp full.cfg x.cfg; python3 -c \"import ctypes; l=ctypes.CDLL(None); "
                 "print('exchange', l.renameat2(-100, b'x.cfg', -100, b'{F}', 2))\"; rm -f x.cfg"),
    ("mv-away-and-back", "mv {F} {F}.away && cat snippet.cfg >> {F}.away; mv {F}.away {F}"),
    ("rm-then-git-config", "rm -f {F}; {KEYS}"),
    ("rm-then-create", "rm -f {F}; cat full.cfg > {F}"),
    ("rm-then-symlink", "rm -f {F}; ln -s \"$PWD/full.cfg\" {F}"),
    ("rm-then-link", "rm -f {F}; ln full.cfg {F}"),
    ("rm-then-rename", "rm -f {F}; cp full.cfg n.cfg; mv n.cfg {F}"),
]


def attack_script(target, keys, prep):
    gc_lines = "; ".join(f"{target.git_config} {q(k)} {q(v)}" for k, v in keys)
    gcf_lines = "; ".join(f"git config --file {target.config} {q(k)} {q(v)}" for k, v in keys)
    check = ("git config --no-includes --file {F} --list 2>/dev/null | grep -qiF "
             + " ".join(f"-e {q(list_prefix(k))}" for k, _ in keys)
             + " && echo PLANTED:{name}")
    lines = [prep or ":"]
    for name, tpl in SPELLINGS:
        cmd = tpl.replace("{KEYS_FILE}", gcf_lines).replace("{KEYS}", gc_lines)
        lines.append("(" + cmd.replace("{F}", target.config) + ") >/dev/null 2>&1")
        lines.append(check.replace("{F}", target.config).replace("{name}", name))
    return "\n".join(lines) + "\nexit 0"


def run_config_attack(sb, outside, scratch, place, family):
    p = sb.project
    target = PLACES[place](sb, p, outside)
    ctx = Ctx(p, outside)
    fam = FAMILIES[family]
    run_in = p / target.run_in
    origin = origin_of(sb, run_in) if run_in.exists() else "/nonexistent/origin.git"
    keys = [(ctx.fill(k, origin), ctx.fill(v, origin)) for k, v in fam["keys"]]
    snippet = config_text(keys)
    (p / "snippet.cfg").write_text(snippet)
    cfg = p / target.config
    (p / "full.cfg").write_text((cfg.read_text() if cfg.exists() else "") + snippet)
    prefix = INSIDE_MADE_PREFIX if place == "inside-made" else ""
    script = prefix + attack_script(target, keys, ctx.fill(fam.get("prep", ""), origin))
    before = config_entries(cfg)
    r = sb.sh(script, timeout=120)
    planted = [l for l in r.out.splitlines() if l.startswith("PLANTED:")]
    assert not planted, f"{family} planted in {target.config} by {planted}\n{r!r}"
    after = config_entries(cfg)
    prefixes = tuple(list_prefix(k) for k, _ in keys)
    assert not [e for e in after if e.lower().startswith(tuple(x.lower() for x in prefixes))], \
        (after, r)
    if place != "inside-made":
        # unchanged, or gone (removing a config is allowed; it plants nothing)
        assert after in (before, []), (before, after, r)
    assert r.denials, r  # every refusal is reported
    if place == "inside-made":
        host_git(sb, ["remote", "add", "origin", str(outside / "origin.git")], run_in)
        sb.git("init", "-q", "--bare", str(outside / "origin.git"))
    results = host_battery(sb, run_in, scratch)
    assert not ctx.marker.exists(), (
        f"host git ran what the sandbox planted ({family} in {place})\n{results}\n{r!r}")
    return r, keys


@pytest.mark.parametrize("family", list(FAMILIES))
def test_config_key_family_in_users_repo(sb, outside, scratch, family):
    r, keys = run_config_attack(sb, outside, scratch, "root", family)
    # the summary names the file and the key
    names = [list_prefix(k)[:-1].lower() for k, _ in keys]
    assert any(f"/.git/config (" in d and any(n in d for n in names) for d in r.denials), r


@pytest.mark.parametrize("family", PLACE_FAMILIES)
@pytest.mark.parametrize("place", [p for p in PLACES if p != "root"])
def test_config_key_family_in_every_repo_kind(sb, outside, scratch, place, family):
    run_config_attack(sb, outside, scratch, place, family)


@pytest.mark.parametrize("family", [f for f in FAMILIES if not FAMILIES[f].get("key_only")])
def test_config_payload_control(sb, outside, scratch, family):
    """Control, without paddock: the same keys set on the host make the battery create the
    marker, so each attack above is live."""
    p = sb.project
    setup_root(sb, p, outside)
    ctx = Ctx(p, outside)
    fam = FAMILIES[family]
    origin = origin_of(sb, p)
    prep = ctx.fill(fam.get("prep", ""), origin)
    if prep:
        assert sb.host_sh(prep).rc == 0
    for k, v in fam["keys"]:
        sb.git("config", ctx.fill(k, origin), ctx.fill(v, origin))
    results = host_battery(sb, p, scratch)
    assert ctx.marker.exists(), (family, results)


@pytest.mark.parametrize("place", [p for p in PLACES if p not in ("root", "inside-made")])
def test_config_place_control(sb, outside, scratch, place):
    """Control: the same keys in each kind of repository, set on the host, fire the battery where
    the attacks above run it."""
    p = sb.project
    target = PLACES[place](sb, p, outside)
    ctx = Ctx(p, outside)
    # fsmonitor (no work tree: not run in a bare repository) and an alias (read before
    # config.worktree is: not run from there)
    r = sb.host_sh(f"{target.git_config} alias.st {q('!' + str(ctx.prog))} && "
                   f"{target.git_config} core.fsmonitor {q(str(ctx.prog))}")
    assert r.rc == 0, r
    host_battery(sb, p / target.run_in, scratch)
    assert ctx.marker.exists(), place


def test_allowed_change_lands_beside_refused_ones(sb, outside, scratch):
    """Control for the refusals: an inert key goes in through the same spellings (so the
    refusals above are about the content, not the mechanism)."""
    p = sb.project
    setup_root(sb, p, outside)
    r = sb.sh("set -e; git config user.email a@example.test;"
              "cp .git/config .git/config.lock; printf '[color]\\n\\tui = auto\\n' >> "
              ".git/config.lock; mv .git/config.lock .git/config;"
              "sed -i '$a [pull]\\n\\trebase = true' .git/config; echo DONE")
    assert r.rc == 0 and "DONE" in r.out and not r.denials, r
    cfg = config_entries(p / ".git" / "config")
    for e in ("user.email=a@example.test", "color.ui=auto", "pull.rebase=true",
              f"remote.origin.url={outside / 'origin.git'}"):
        assert e in cfg, cfg


# --- hooks ------------------------------------------------------------------------------------
#
# Only names ending in .sample may be made in a repository's hooks directory; the user's own
# hooks cannot be changed, removed, renamed or enabled. {P} is the payload, {M} the marker.

EVERY_HOOK = ("pre-commit prepare-commit-msg commit-msg post-commit pre-push post-checkout "
              "reference-transaction post-index-change pre-rebase post-rewrite pre-auto-gc "
              "post-merge")


def _py(code):
    return "python3 -c " + q(code)


HOOK_SPELLINGS = {
    # (host setup: none, or a key of HOOK_SETUPS; the command inside; where host git runs)
    "direct-write": (None, "printf '#!/bin/sh\\ntouch {M}\\n' > .git/hooks/pre-commit; "
                           "chmod +x .git/hooks/pre-commit", "."),
    "cp": (None, "cp {P} .git/hooks/pre-commit", "."),
    "cp-every-name": (None, f"for h in {EVERY_HOOK}; do cp {{P}} .git/hooks/$h; done", "."),
    "sample-edited-then-mv": (None, "cat {P} > .git/hooks/pre-commit.sample; "
                                    "chmod +x .git/hooks/pre-commit.sample; "
                                    "mv .git/hooks/pre-commit.sample .git/hooks/pre-commit", "."),
    "new-sample-then-mv": (None, "cp {P} .git/hooks/x.sample; "
                                 "mv .git/hooks/x.sample .git/hooks/post-commit", "."),
    "symlink": (None, "ln -s {P} .git/hooks/pre-commit", "."),
    "symlink-relative": (None, "ln -s ../../evilprog .git/hooks/pre-commit", "."),
    "hardlink": (None, "ln {P} .git/hooks/pre-commit", "."),
    "hardlink-of-sample": (None, "cp {P} .git/hooks/y.sample; "
                                 "ln .git/hooks/y.sample .git/hooks/pre-commit", "."),
    "python-rename": (None, _py("import shutil, os; shutil.copy('{P}', 'e'); "
                                "os.rename('e', '.git/hooks/pre-commit')"), "."),
    "dirfd-create": (None, _py("import os, shutil; d = os.open('.git/hooks', os.O_DIRECTORY); "
                               "fd = os.open('pre-commit', os.O_WRONLY|os.O_CREAT, 0o755, "
                               "dir_fd=d); os.write(fd, open('{P}','rb').read())"), "."),
    "tmpfile-linkat": (None, _py("import os, ctypes; l = ctypes.CDLL(None); "
                                 "fd = os.open('.git/hooks', os.O_TMPFILE|os.O_WRONLY, 0o755); "
                                 "os.write(fd, open('{P}','rb').read()); "
                                 "l.linkat(-100, f'/proc/self/fd/{fd}'.encode(), -100, "
                                 "b'.git/hooks/pre-commit', 0x400)"), "."),
    "via-proc-cwd": (None, "cp {P} /proc/self/cwd/.git/hooks/pre-commit", "."),
    "tar-into-gitdir": (None, "mkdir -p {T}/s/hooks && cp {P} {T}/s/hooks/pre-commit && "
                              "tar cf {T}/t.tar -C {T}/s hooks && tar xf {T}/t.tar -C .git",
                        "."),
    "cp-r-into-gitdir": (None, "mkdir -p {T}/s/hooks && cp {P} {T}/s/hooks/pre-commit && "
                               "cp -r {T}/s/hooks .git/", "."),
    "hooks-dir-moved-away": (None, "mv .git/hooks .git/hooks.old; mkdir .git/hooks; "
                                   "cp {P} .git/hooks/pre-commit", "."),
    "hooks-dir-removed": (None, "rm -rf .git/hooks; mkdir .git/hooks; "
                                "cp {P} .git/hooks/pre-commit", "."),
    "hooks-dir-renamed-in": (None, "mkdir -p h2 && cp {P} h2/pre-commit && rm -rf .git/hooks; "
                                   "mv h2 .git/hooks", "."),
    "hooks-dir-symlinked": (None, "mkdir -p h3 && cp {P} h3/pre-commit && rm -rf .git/hooks; "
                                  "ln -s ../h3 .git/hooks", "."),
    # the user's own hooks
    "user-hook-append": ("user-hook", "printf 'touch {M}\\n' >> .git/hooks/pre-commit", "."),
    "user-hook-overwrite": ("user-hook", "cp {P} .git/hooks/pre-commit", "."),
    "user-hook-sed-i": ("user-hook", "sed -i '$a touch {M}' .git/hooks/pre-commit", "."),
    "user-hook-rm-then-create": ("user-hook", "rm -f .git/hooks/pre-commit; "
                                              "cp {P} .git/hooks/pre-commit", "."),
    "user-hook-mv-then-create": ("user-hook", "mv .git/hooks/pre-commit x; "
                                              "cp {P} .git/hooks/pre-commit", "."),
    "user-hook-exchange": ("user-hook", "cp {P} e; " + _py(
        "import ctypes; ctypes.CDLL(None).renameat2(-100, b'e', -100, "
        "b'.git/hooks/pre-commit', 2)"), "."),
    "user-disabled-hook-enabled": ("disabled-hook", "chmod +x .git/hooks/post-commit", "."),
    # other repositories and other layouts
    "nested-depth-3": ("nested", "cp {P} sub/a/b/.git/hooks/pre-commit", "sub/a/b"),
    "inside-made": (None, "git init -q fresh && (cd fresh && echo hello > file.txt && "
                          "git add . && git commit -q -m one && echo 2 > second.txt && "
                          "git add . && git commit -q -m two); "
                          f"for h in {EVERY_HOOK}; do cp {{P}} fresh/.git/hooks/$h; done",
                    "fresh"),
    "worktree-common-dir": ("worktree", "cd wt && cp {P} \"$(git rev-parse --git-path hooks)"
                                        "/pre-commit\"", "wt"),
    "submodule": ("submodule", "cp {P} .git/modules/lib/hooks/pre-commit", "lib"),
    "embedded-bare": ("bare", f"for h in {EVERY_HOOK}; do cp {{P}} tools/hooks/$h; done", "tools"),
    "dotgit-symlink": ("repo-link", "cp {P} x/.git/hooks/pre-commit", "x"),
    "dotgit-symlink-target": ("repo-link", "cp {P} .repo/projects/x.git/hooks/pre-commit", "x"),
    "hooks-symlink-made-by-host": ("hooks-link", "cp {P} .git/hooks/pre-commit", "."),
    "hooks-symlink-target-directly": ("hooks-link", "cp {P} githooks/pre-commit", "."),
    "hook-symlink-target-edited": ("hook-symlink", "cat {P} > scripts/pre-commit", "."),
    "hookspath-set-by-host": ("hookspath", "cp {P} .githooks/pre-commit", "."),
    "hookspath-new-dir": ("hookspath-missing", "mkdir -p .githooks && cp {P} .githooks/pre-commit",
                          "."),
    "husky": ("husky", "cp {P} .husky/pre-commit", "."),
    "husky-mkdir": ("husky-missing", "mkdir -p .husky && cp {P} .husky/pre-commit", "."),
}


def _user_hook(sb, p, outside, ctx):
    h = p / ".git" / "hooks" / "pre-commit"
    h.write_text("#!/bin/sh\n# the user's own hook\ntrue\n")
    h.chmod(0o755)


def _disabled_hook(sb, p, outside, ctx):
    # a hook the user keeps disabled (not executable); enabling it would run it
    h = p / ".git" / "hooks" / "post-commit"
    h.write_text(f"#!/bin/sh\ntouch '{ctx.marker}'\n")
    h.chmod(0o644)


def _hooks_link(sb, p, outside, ctx):
    (p / "githooks").mkdir()
    (p / "githooks" / "README").write_text("versioned hooks\n")
    import shutil
    shutil.rmtree(p / ".git" / "hooks")
    os.symlink("../githooks", p / ".git" / "hooks")


def _hook_symlink(sb, p, outside, ctx):
    # a common layout: the hook is versioned in the project and linked into .git/hooks
    (p / "scripts").mkdir()
    (p / "scripts" / "pre-commit").write_text("#!/bin/sh\n# versioned hook\ntrue\n")
    (p / "scripts" / "pre-commit").chmod(0o755)
    os.symlink("../../scripts/pre-commit", p / ".git" / "hooks" / "pre-commit")


def _hookspath(sb, p, outside, ctx, make=True, path=".githooks"):
    if make:
        (p / path).mkdir(parents=True)
        (p / path / "README").write_text("hooks\n")
    sb.git("config", "core.hooksPath", path, cwd=p)


def _husky(sb, p, outside, ctx, make=True):
    # husky 9: core.hooksPath = .husky/_, whose scripts run .husky/<hook>
    d = p / ".husky" / "_"
    if make:
        d.mkdir(parents=True)
        for name in ("pre-commit", "post-checkout", "pre-push"):
            (d / name).write_text(f"#!/bin/sh\n[ -f .husky/{name} ] && . ./.husky/{name}\nexit 0\n")
            (d / name).chmod(0o755)
    sb.git("config", "core.hooksPath", ".husky/_", cwd=p)


HOOK_SETUPS = {
    "user-hook": _user_hook,
    "disabled-hook": _disabled_hook,
    "nested": lambda sb, p, o, c: setup_nested_only(sb, p, o),
    "worktree": lambda sb, p, o, c: sb.git("worktree", "add", "-q", "wt", "-b", "wtb", cwd=p),
    "submodule": lambda sb, p, o, c: setup_submodule_only(sb, p, o),
    "bare": lambda sb, p, o, c: setup_bare(sb, p, o),
    "repo-link": lambda sb, p, o, c: setup_repo_link(sb, p, o),
    "hooks-link": _hooks_link,
    "hook-symlink": _hook_symlink,
    "hookspath": _hookspath,
    "hookspath-missing": lambda sb, p, o, c: _hookspath(sb, p, o, c, make=False),
    "husky": _husky,
    "husky-missing": lambda sb, p, o, c: _husky(sb, p, o, c, make=False),
}


def setup_nested_only(sb, p, outside):
    n = init_repo(sb, p / "sub" / "a" / "b")
    _second_commit(sb, n)
    _origin(sb, n, outside, "nested-origin.git")


def setup_submodule_only(sb, p, outside):
    lib = init_repo(sb, outside / "libsrc")
    _second_commit(sb, lib)
    sb.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "lib", cwd=p)
    sb.git("commit", "-q", "-m", "add lib", cwd=p)


def runnable_hooks(run_in):
    """Names git could run in the hooks directory host git uses in run_in."""
    p = host_git_path(run_in, "hooks")
    if not p or not os.path.isdir(p):
        return set()
    return {n for n in os.listdir(p) if not n.endswith(".sample")}


def host_git_path(run_in, what):
    if not os.path.isdir(run_in):
        return None
    r = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-path", what],
                       cwd=str(run_in), capture_output=True, text=True, timeout=TIMEOUT,
                       env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                            "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(run_in)})
    return r.stdout.strip() if r.returncode == 0 else None


def prepare_hook_case(sb, outside, spelling, tmp="/tmp"):
    """{P} the payload, {M} its marker, {T} the sandbox's private /tmp (in a control on the host:
    a directory of the test's own)."""
    p = sb.project
    setup_root(sb, p, outside)
    ctx = Ctx(p, outside)
    setup, cmd, run_in = HOOK_SPELLINGS[spelling]
    if setup:
        HOOK_SETUPS[setup](sb, p, outside, ctx)
    cmd = cmd.replace("{P}", str(ctx.prog)).replace("{M}", str(ctx.marker)).replace("{T}", tmp)
    return ctx, cmd, p / run_in


@pytest.mark.parametrize("spelling", list(HOOK_SPELLINGS))
def test_hook_planted(sb, outside, scratch, spelling):
    ctx, cmd, run_in = prepare_hook_case(sb, outside, spelling)
    before = runnable_hooks(run_in)
    r = sb.sh(cmd + "\nexit 0")
    assert not ctx.marker.exists(), r
    assert runnable_hooks(run_in) == before, r
    results = host_battery(sb, run_in, scratch)
    assert not ctx.marker.exists(), f"host git ran a hook planted inside\n{results}\n{r!r}"
    # refused by the mediator (reported) or by the kernel (the project's own .git/hooks is also
    # bound read-only: EROFS)
    assert r.denials or "Read-only file system" in r.err, r


@pytest.mark.parametrize("spelling", [s for s in HOOK_SPELLINGS if s != "husky-mkdir"])
def test_hook_planted_control(sb, outside, scratch, spelling):
    """Control, without paddock: the same commands on the host plant a hook the battery runs."""
    tmp = scratch / "tmpx"
    tmp.mkdir()
    ctx, cmd, run_in = prepare_hook_case(sb, outside, spelling, str(tmp))
    h = sb.host_sh(cmd)
    results = host_battery(sb, run_in, scratch)
    assert ctx.marker.exists(), (spelling, h, results)
