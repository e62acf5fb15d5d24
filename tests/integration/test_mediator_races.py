"""Threat: make the write mediator act on the host through a name another sandbox swaps under it
(issue 8, finding 1). Two `paddock run` in one project (agents run tool calls in parallel): one
asks for a chmod (or binds a unix socket, which the mediator follows with a chmod by name), the
other keeps swapping that name with a symlink to a file the sandbox must not change. The mediator
checks the name, then acts on it by name: if the symlink landed in between, the chmod follows it
with the supervisor's view of the host.

Host oracle: the victim's mode never changes. Each race is bounded in time (the audit saw it
within ~1.3 s); the acting side stops as soon as the victim changed. Concurrent sandboxes on one
tree are a supported case, so a positive test shows two of them writing at once."""

import os
import stat

import pytest

from conftest import TIMEOUT, init_repo, wait_until
from netutil import last_json

RACE_SECONDS = 4.0  # the acting side's budget; it stops early once the victim changed

# The other spellings run with the project in one place only: a race that holds costs its whole
# budget.
ONE_PLACE = pytest.mark.parametrize("project", ["home"], indirect=True)


def mode_of(p):
    return stat.S_IMODE(os.lstat(p).st_mode)


def race(sb, probe, actor, name, octal, victim, swap, a, b):
    """Runs the swapping side (`flip` A<->B or `relink` A -> B) in one sandbox and the acting side
    in a second one on the same project. Returns both sides' reports (acting, swapping)."""
    exe = probe("mediator_race")
    ready, stop = "race-ready", "race-stop"
    swapper = sb.popen(["--quiet", "--", exe, swap, str(RACE_SECONDS + 20), a, b, ready, stop])
    try:
        assert wait_until(lambda: (sb.project / ready).exists() or swapper.poll() is not None,
                          10), "the swapping sandbox did not start"
        assert swapper.poll() is None, swapper.communicate(timeout=TIMEOUT)
        r = sb.exec([exe, actor, str(RACE_SECONDS), name, octal, str(victim), stop],
                    flags=["--quiet"], timeout=RACE_SECONDS + TIMEOUT)
        (sb.project / stop).touch()  # the actor makes it too; this is for when it failed
        out, err = swapper.communicate(timeout=TIMEOUT)
    finally:
        if swapper.poll() is None:
            swapper.kill()
            swapper.wait()
    rep = last_json(r.out)
    assert r.rc == 0 and rep, r
    flips = last_json(out.decode())
    assert flips, (out, err)
    return rep, flips


def chmod_race(sb, probe, outside, actor):
    victim = outside / "victim"
    victim.write_text("secret key\n")
    victim.chmod(0o600)
    race_dir = sb.project / "race"
    race_dir.mkdir()
    (race_dir / "f").write_text("ordinary\n")
    os.symlink(victim, race_dir / "g")
    rep, flips = race(sb, probe, actor, "race/f", "644", victim, "flip", "race/f", "race/g")
    assert mode_of(victim) == 0o600, (rep, flips)
    assert not rep["victim_changed"], rep
    # control: the acting side did reach the mediator, many times, while the names flipped
    assert rep["iterations"] > 50 and flips["iterations"] > 50, (rep, flips)


def test_chmod_never_follows_a_swapped_symlink(sb, probe, outside):
    """The issue's reproducer: chmod race/f while another sandbox exchanges race/f with
    race/g -> victim (renameat2 RENAME_EXCHANGE)."""
    chmod_race(sb, probe, outside, "chmod")


@ONE_PLACE
@pytest.mark.parametrize("actor", ["fchmodat", "fchmodat2_nofollow"])
def test_fchmodat_never_follows_a_swapped_symlink(sb, probe, outside, actor):
    """The same through raw fchmodat, and through fchmodat2(AT_SYMLINK_NOFOLLOW), whose caller
    asked for a symlink never to be followed."""
    chmod_race(sb, probe, outside, actor)


@ONE_PLACE
def test_chmod_of_a_directory_never_follows_a_swapped_symlink(sb, probe, outside):
    victim = outside / "victim-dir"
    victim.mkdir()
    victim.chmod(0o700)
    race_dir = sb.project / "race"
    race_dir.mkdir()
    (race_dir / "d").mkdir()
    os.symlink(victim, race_dir / "g")
    try:
        rep, flips = race(sb, probe, "chmod", "race/d", "755", victim, "flip", "race/d", "race/g")
        assert mode_of(victim) == 0o700, (rep, flips)
        assert rep["iterations"] > 50 and flips["iterations"] > 50, (rep, flips)
    finally:
        victim.chmod(0o755)


@ONE_PLACE
def test_chmod_race_cannot_reach_a_protected_file(sb, probe):
    """The same race aimed inside the project: a disabled hook (0644) of a nested repository,
    whose chmod the mediator refuses, must not become executable through the swapped name."""
    init_repo(sb, sb.project / "sub")
    hook = sb.project / "sub" / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho pwned\n")
    hook.chmod(0o644)
    race_dir = sb.project / "race"
    race_dir.mkdir()
    (race_dir / "f").write_text("ordinary\n")
    os.symlink("../sub/.git/hooks/pre-commit", race_dir / "g")
    # control: a plain chmod of the hook is refused
    r = sb.sh("chmod 755 sub/.git/hooks/pre-commit")
    assert r.rc != 0 and mode_of(hook) == 0o644, r
    rep, flips = race(sb, probe, "chmod", "race/f", "755", hook, "flip", "race/f", "race/g")
    assert mode_of(hook) == 0o644, (rep, flips)
    assert rep["iterations"] > 50 and flips["iterations"] > 50, (rep, flips)


@ONE_PLACE
def test_unix_bind_never_chmods_through_a_swapped_symlink(sb, probe, outside):
    """bind() of a unix socket: the mediator binds, then sets the socket's mode by name. The other
    sandbox renames a symlink to the victim over that name in between (the binder's umask is 0,
    so a followed chmod makes the victim 0777)."""
    victim = outside / "victim"
    victim.write_text("secret key\n")
    victim.chmod(0o600)
    rep, flips = race(sb, probe, "bind", "s.sock", "0", victim, "relink", "s.sock", str(victim))
    assert mode_of(victim) == 0o600, (rep, flips)
    assert rep["iterations"] > 50 and flips["iterations"] > 50, (rep, flips)


def test_two_sandboxes_write_one_project_at_once(sb):
    """Positive: concurrent sandboxes on one tree both do their work (creates, renames, chmods,
    unlinks, sockets), and every result is there afterwards."""
    script = ("set -e; mkdir -p {d}; for i in $(seq 1 150); do echo $i > {d}/f$i; "
              "mv {d}/f$i {d}/g$i; chmod 600 {d}/g$i; done; for i in $(seq 1 50); do rm {d}/g$i; done;"
              "python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('{d}/s.sock')\";"
              "echo DONE-{d}")
    a = sb.popen(["-c", script.format(d="a")])
    try:
        b = sb.run(["-c", script.format(d="b")], timeout=60)
        out_a, err_a = a.communicate(timeout=60)
    finally:
        if a.poll() is None:
            a.kill()
            a.wait()
    assert a.returncode == 0 and b"DONE-a" in out_a, (out_a, err_a)
    assert b.rc == 0 and "DONE-b" in b.out, b
    for d in ("a", "b"):
        names = sorted(os.listdir(sb.project / d))
        assert names == sorted([f"g{i}" for i in range(51, 151)] + ["s.sock"]), (d, names)
        for i in range(51, 151):
            p = sb.project / d / f"g{i}"
            assert p.read_text() == f"{i}\n" and mode_of(p) == 0o600, p
        assert stat.S_ISSOCK(os.lstat(sb.project / d / "s.sock").st_mode)

