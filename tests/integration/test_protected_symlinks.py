"""Threat: write a protected file through the symlink that gives it its protected name (issue 8,
finding 6). The mediator judged a write where it lands, so a stow-style `~/.bashrc ->
dotfiles/bashrc` (run from $HOME), `.vscode -> editor-settings`, a nested repository whose
`.git/hooks -> ../githooks` or whose `.git -> ../real.git` left the file the tool will read or run
writable under its unprotected real name. And a --deny-write entry that is a symlink could be
deleted and replaced. A protected name that is a symlink protects both the link and where it
leads.

Host oracle: the link is still the same link, its target is unchanged or was not created."""

import os
import stat

import pytest

from conftest import Sandbox, file_digest, init_repo, snapshot

EVIL = "echo pwned"

# Ways of writing PATH (relative to the sandbox's cwd); {p} is the path.
WRITES = {
    "append": "echo '" + EVIL + "' >> {p}",
    "overwrite": "echo '" + EVIL + "' > {p}",
    "sed-i": "sed -i 's/^/# /' {p}",
    "python-open": "python3 -c \"import os; open(os.path.expanduser('{p}'), 'a').write('" + EVIL + "')\"",
    "cp-over": "cp /etc/hostname {p}",
    "chmod": "chmod 777 {p}",
    "truncate": "truncate -s0 {p}",
}


def digest_tree(root):
    """Every entry under root (links as links), with content and mode."""
    return {k: v for k, v in snapshot(root).items() if k != "."}


@pytest.fixture
def sb_home(paddock, home):
    """A sandbox whose project is the user's HOME (paddock run from ~)."""
    return Sandbox(paddock, home, home)


@pytest.fixture
def stow(home):
    """~/.bashrc and ~/.config/fish managed by a dotfiles directory (GNU stow's layout)."""
    dot = home / "dotfiles"
    (dot / "fish" / "conf.d").mkdir(parents=True)
    (dot / "bashrc").write_text("# the user's bashrc\n")
    (dot / "fish" / "config.fish").write_text("# the user's fish config\n")
    (dot / "gitconfig").write_text("[user]\n\tname = Paddock Test\n")
    (home / ".bashrc").unlink()
    os.symlink("dotfiles/bashrc", home / ".bashrc")
    os.symlink("../dotfiles/fish", home / ".config" / "fish")
    (home / ".gitconfig").unlink()
    os.symlink(str(dot / "gitconfig"), home / ".gitconfig")  # an absolute link this time
    return dot


STOW_TARGETS = {
    "bashrc": "~/.bashrc",
    "gitconfig": "~/.gitconfig",
    "fish-config": "~/.config/fish/config.fish",
    "fish-new-conf-d": "~/.config/fish/conf.d/evil.fish",
}


CREATING = ("overwrite", "python-open", "cp-over")  # the writes that can make a new file


@pytest.mark.parametrize("target,how", [
    pytest.param(t, h, id=f"{t}-{h}") for t in STOW_TARGETS for h in WRITES
    if t != "fish-new-conf-d" or h in CREATING])
def test_stow_dotfile_links_from_home(sb_home, stow, home, target, how):
    before = digest_tree(stow)
    links = {n: file_digest(home / n) for n in (".bashrc", ".gitconfig", ".config/fish")}
    r = sb_home.sh(WRITES[how].format(p=STOW_TARGETS[target]) + "; exit 0")
    assert digest_tree(stow) == before, r
    assert {n: file_digest(home / n) for n in links} == links, r


def test_stow_control_other_dotfiles_writable(sb_home, stow):
    """Control: from HOME, an unprotected file in dotfiles/ is writable (so the refusals above
    come from the protection, not from a read-only home)."""
    r = sb_home.sh("echo ok >> dotfiles/notes.txt && echo OK")
    assert "OK" in r.out and (stow / "notes.txt").read_text() == "ok\n", r


# Symlinked protected names inside a project: (setup on the host, attack inside, what must hold).

def _vscode(sb):
    p = sb.project
    (p / "editor-settings").mkdir()
    (p / "editor-settings" / "settings.json").write_text("{}\n")
    os.symlink("editor-settings", p / ".vscode")
    return p / "editor-settings"


def _nested_hooks_link(sb):
    p = sb.project
    init_repo(sb, p / "sub")
    hooks = p / "sub" / ".git" / "hooks"
    os.rename(hooks, p / "sub" / "githooks")
    os.symlink("../githooks", hooks)
    return p / "sub" / "githooks"


def _nested_git_link(sb):
    p = sb.project
    init_repo(sb, p / "sub")
    os.rename(p / "sub" / ".git", p / "real.git")
    os.symlink("../real.git", p / "sub" / ".git")
    return p / "real.git"


LINKED = {
    "vscode-tasks": (_vscode, "echo '{}' > .vscode/tasks.json"),
    "vscode-settings": (_vscode, "echo '{\"x\": 1}' >> .vscode/settings.json"),
    "vscode-via-target-cd": (_vscode, "cd .vscode && echo '{}' > launch.json"),
    "nested-hooks-link-new-hook": (_nested_hooks_link,
                                   "echo '" + EVIL + "' > sub/.git/hooks/pre-commit; "
                                   "chmod +x sub/.git/hooks/pre-commit"),
    "nested-hooks-link-rename-sample": (_nested_hooks_link,
                                        "mv sub/.git/hooks/pre-commit.sample sub/.git/hooks/pre-commit"),
    "nested-git-link-config": (_nested_git_link,
                               "printf '[core]\\n\\tfsmonitor = " + EVIL + "\\n' >> sub/.git/config"),
    "nested-git-link-git-config": (_nested_git_link, "git -C sub config core.fsmonitor 'echo pwned'"),
    "nested-git-link-hook": (_nested_git_link, "echo '" + EVIL + "' > sub/.git/hooks/x"),
    "nested-git-link-hook-sample": (_nested_git_link,
                                    "cp sub/.git/hooks/pre-commit.sample sub/.git/hooks/pre-commit"),
}


@pytest.mark.parametrize("case", list(LINKED))
def test_symlinked_protected_name_in_project(sb, case):
    setup, attack = LINKED[case]
    p = sb.project
    target = setup(sb)
    before = digest_tree(target)
    links = {k: v for k, v in snapshot(p).items() if v and v[0] == "link"}
    assert links  # control: the layout has its links
    r = sb.sh(attack + "; exit 0")
    assert digest_tree(target) == before, r
    assert {k: v for k, v in snapshot(p).items() if v and v[0] == "link"} == links, r


def test_symlinked_protected_name_control(sb):
    """Control: the real directories behind the links are writable under other names."""
    p = sb.project
    _vscode(sb)
    (p / "other").mkdir()
    os.symlink("other", p / "notvscode")
    r = sb.sh("echo x > notvscode/tasks.json && echo x > editor-settings-2.json && echo OK")
    assert "OK" in r.out and (p / "other" / "tasks.json").exists(), r


@pytest.fixture
def deploy(sb):
    p = sb.project
    (p / "scripts").mkdir()
    (p / "scripts" / "deploy.sh").write_text("#!/bin/sh\necho deploying\n")
    (p / "scripts" / "deploy.sh").chmod(0o755)
    os.symlink("scripts/deploy.sh", p / "deploy.sh")
    return p


DENY_ATTACKS = {
    # the reproducer
    "rm-and-recreate": "rm deploy.sh && echo evil > deploy.sh",
    "mv-away-and-recreate": "mv deploy.sh old.sh && echo evil > deploy.sh",
    "rename-over": "echo evil > x && mv -f x deploy.sh",
    "relink": "ln -sfn /tmp/evil.sh deploy.sh",
    "sed-i-replaces-link": "sed -i s/deploying/evil/ deploy.sh",
    "write-through": "echo evil >> deploy.sh",
    "write-target": "echo evil >> scripts/deploy.sh",
    "python-unlink": "python3 -c \"import os; os.unlink('deploy.sh'); open('deploy.sh', 'w').write('evil')\"",
}


@pytest.mark.parametrize("attack", list(DENY_ATTACKS))
def test_deny_write_symlink_entry(sb, deploy, attack):
    before = file_digest(deploy / "scripts" / "deploy.sh")
    r = sb.sh(DENY_ATTACKS[attack] + "; exit 0", flags=["--deny-write", "./deploy.sh"])
    assert os.path.islink(deploy / "deploy.sh"), r
    assert os.readlink(deploy / "deploy.sh") == "scripts/deploy.sh", r
    assert file_digest(deploy / "scripts" / "deploy.sh") == before, r
    assert stat.S_IMODE(os.stat(deploy / "scripts" / "deploy.sh").st_mode) == 0o755


def test_deny_write_symlink_control(sb, deploy):
    """Control: without --deny-write, the same replacement goes through."""
    r = sb.sh(DENY_ATTACKS["rm-and-recreate"] + " && echo OK")
    assert "OK" in r.out and not os.path.islink(deploy / "deploy.sh"), r
