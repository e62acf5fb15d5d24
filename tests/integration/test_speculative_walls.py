"""Speculative walls (src/sandbox/spec_speculation.h): a run sends the walls the last run of the
same invocation had to the sandbox side before it plans, and sends the command only when its own
plan has exactly those walls. What is kept in the state directory is never trusted: changed
settings take effect on the next run, and kept walls that grant more than the policy are thrown
away with the sandbox built on them."""

import json
import os
import shutil
import subprocess

from conftest import SECRET_PREFIX, state_dir, unique


def kept_walls(home):
    d = state_dir(home) / "specs"
    return sorted(d.iterdir(), key=lambda p: p.stat().st_mtime_ns) if d.is_dir() else []


def test_walls_are_kept_for_the_next_run(sb, home):
    assert sb.exec(["/bin/true"]).rc == 0
    kept = kept_walls(home)
    assert len(kept) == 1, kept
    st = kept[0].stat()
    assert st.st_uid == os.geteuid() and st.st_mode & 0o077 == 0
    before = kept[0].read_bytes()
    # The second run finds them (the same walls): nothing is rewritten.
    assert sb.exec(["/bin/true"]).rc == 0
    assert [p.read_bytes() for p in kept_walls(home)] == [before]


def test_changed_settings_take_effect_on_the_next_run(sb, home):
    secret = sb.project / "notes.txt"
    secret.write_text("visible at first\n")
    settings = sb.project.parent / f"{unique('s')}.json"
    settings.write_text(json.dumps({"filesystem": {"denyRead": []}}))
    r = sb.exec(["cat", str(secret)], flags=["--settings", str(settings)])
    assert r.rc == 0 and r.out == "visible at first\n", r  # control
    settings.write_text(json.dumps({"filesystem": {"denyRead": [str(secret)]}}))
    r = sb.exec(["cat", str(secret)], flags=["--settings", str(settings)])
    assert "visible" not in r.out, r  # a denied file in the project reads as empty
    # and back: the walls kept by the second run are not the first's
    settings.write_text(json.dumps({"filesystem": {"denyRead": []}}))
    r = sb.exec(["cat", str(secret)], flags=["--settings", str(settings)])
    assert r.rc == 0 and r.out == "visible at first\n", r


def test_kept_walls_that_grant_more_are_not_used(sb, home, scratch):
    # Walls kept for an invocation that may read a file, put where the walls of one that may
    # not are kept: the run plans its own, finds them different, and its command never runs on
    # the planted ones. (Reads: nothing but the walls stands in their way; writes would still
    # meet the mediator, which always follows this run's policy.)
    secret = scratch / "guarded.txt"
    secret.write_text("guarded content\n")
    os.chmod(secret, 0o644)
    r = sb.exec(["cat", str(secret)])
    assert r.rc == 0 and r.out == "guarded content\n", r  # control: that invocation may read it
    reader = kept_walls(home)
    assert len(reader) == 1
    flags = ["--deny-read", str(secret)]
    r = sb.exec(["cat", str(secret)], flags=flags)
    assert "guarded" not in r.out, r  # control: this one may not
    others = [p for p in kept_walls(home) if p != reader[0]]
    assert len(others) == 1, kept_walls(home)
    shutil.copyfile(reader[0], others[0])
    for _ in range(3):
        r = sb.exec(["cat", str(secret)], flags=flags)
        assert "guarded" not in r.out, "kept walls were trusted"


def test_damaged_kept_walls_are_ignored(sb, home):
    assert sb.exec(["/bin/true"]).rc == 0
    (kept,) = kept_walls(home)
    data = kept.read_bytes()
    for damaged in (b"", data[: len(data) // 2], b"\x00" * len(data), data + b"x"):
        kept.write_bytes(damaged)
        r = sb.sh("cat ~/.ssh/id_ed25519 2>/dev/null; echo rc=$?")
        assert r.out.strip().endswith("rc=1"), r
        assert SECRET_PREFIX not in r.out, r


def test_ephemeral_home_keeps_nothing(sb, home):
    assert sb.exec(["/bin/true"], flags=["--ephemeral-home"]).rc == 0
    assert kept_walls(home) == []


def test_reset_all_forgets_kept_walls(sb, home):
    assert sb.exec(["/bin/true"]).rc == 0
    assert kept_walls(home)  # control
    r = subprocess.run([sb.binary, "reset", "--all"], cwd=str(sb.project), env=sb.env(),
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 0, r
    assert kept_walls(home) == []
