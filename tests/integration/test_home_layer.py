"""The home layer (issue 10, item 1): writes beneath the home land in a layer of paddock's own,
kept per project in paddock's state directory, and never in the host's home. The host's files
stay readable through it and are live; credential stores and paddock's state stay absent;
`paddock reset` discards the layer; `paddock policy` shows where it is and its size; where the
layer cannot be built paddock says why and exits 125, unless --ephemeral-home."""

import fcntl
import json
import os
import socket
import stat
import struct
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (IS_ROOT, SECRET_PREFIX, TIMEOUT, Sandbox, diff_snapshots, home_snapshot,
                      layer_store, layer_upper, state_dir, unique, wait_until)
from netutil import UnixRecorder


def other_project(sb, scratch, name="other"):
    p = scratch / name
    p.mkdir()
    return Sandbox(sb.binary, sb.home, p)


def paddock_cmd(sb, *args, cwd=None, env=None):
    p = subprocess.run([sb.binary, *args], cwd=str(cwd or sb.project), capture_output=True,
                       text=True, timeout=TIMEOUT, env=sb.env(env), stdin=subprocess.DEVNULL)
    return p


def waiting_sandbox(sb, script, flags=()):
    """A sandbox that runs `script` once the host touches ./go in the project, then prints."""
    go = sb.project / "go"
    if go.exists():
        go.unlink()
    cmd = f"while [ ! -e go ]; do sleep 0.02; done; {script}"
    p = sb.popen(["-c", cmd], flags=flags, text=True)
    return p, go


# ---------------------------------------------------------------------------------------------
# writes: kept for the project, never on the host


def test_writes_are_kept_across_runs_of_the_project(sb, home):
    before = home_snapshot(home, sb.project)
    r = sb.sh("mkdir -p ~/.cache/tool && echo cached > ~/.cache/tool/entry && "
              "echo appended >> ~/.config/ordinary/ok.txt && echo new > ~/newfile")
    assert r.rc == 0, r
    assert home_snapshot(home, sb.project) == before
    assert (home / ".config/ordinary/ok.txt").read_text() == "ordinary readable config\n"
    r = sb.sh("cat ~/.cache/tool/entry ~/.config/ordinary/ok.txt ~/newfile")
    assert r.out == "cached\nordinary readable config\nappended\nnew\n", r
    upper = layer_upper(home, sb.project)
    assert (upper / ".cache/tool/entry").read_text() == "cached\n"
    # The store is paddock's, the user's alone.
    for d in (state_dir(home), state_dir(home) / "homes", layer_store(home, sb.project)):
        st = os.lstat(d)
        assert stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid(), d
        assert stat.S_IMODE(st.st_mode) & 0o077 == 0, (d, oct(st.st_mode))
    assert (layer_store(home, sb.project) / "project").read_text().strip() == \
        os.path.realpath(sb.project)


def test_work_directories_of_earlier_runs_are_swept_in_batches(sb, home):
    # Each run mounts the layer with a work directory of its own (overlayfs leaves a `volatile`
    # marker in it); earlier ones are removed once 16 have gathered (stale_work_sweep.h).
    # The spare one made for the next run (home_layer.h) is no run's and is never swept.
    def work_dirs():
        work = layer_store(home, sb.project) / "work"
        if not work.is_dir():
            return []
        return [d for o in work.iterdir() for d in o.iterdir() if d.name != "spare"]

    counts = []
    for _ in range(40):
        assert sb.run(["--", "/bin/true"]).rc == 0
        counts.append(len(work_dirs()))
    # control: they do gather between sweeps, and a sweep removed them (the count fell back)
    assert max(counts) == 16, counts
    assert any(b < a for a, b in zip(counts, counts[1:])), counts
    assert all(n <= 16 for n in counts), counts


def test_a_run_takes_the_work_directory_the_run_before_made_for_it(sb, home):
    # Made while the command runs, so that the next start makes no directory on the store's
    # filesystem; the next run renames it to its own.
    assert sb.run(["--", "/bin/true"]).rc == 0
    spares = list((layer_store(home, sb.project) / "work").glob("*/spare"))
    assert len(spares) == 1, spares
    st = spares[0].stat()
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700, oct(st.st_mode)
    assert not any(spares[0].iterdir())
    inode = st.st_ino
    assert sb.run(["--", "/bin/true"]).rc == 0
    taken = [d for d in spares[0].parent.iterdir() if d.stat().st_ino == inode]
    assert len(taken) == 1 and taken[0].name != "spare", taken
    # ... and a new spare stands ready again.
    assert spares[0].is_dir() and spares[0].stat().st_ino != inode


FS_IOC_GETFLAGS = 0x80086601
FS_TOPDIR_FL = 0x00020000


def dir_flags(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return struct.unpack("i", fcntl.ioctl(fd, FS_IOC_GETFLAGS, b"\0" * 4))[0]
    finally:
        os.close(fd)


def test_the_work_directories_are_spread_over_the_filesystem(sb, home):
    # ext4 (without a journal) scans past every inode freed in the last minute in a block group
    # before it allocates one there: the runs' work directories, made and removed at every run,
    # are asked to land apart (walls/dir_spread.h), not all beside the last ones freed.
    store = layer_store(home, sb.project)
    fs = subprocess.run(["stat", "-f", "-c", "%T", str(home)], capture_output=True, text=True)
    if fs.stdout.strip() != "ext2/ext3":
        pytest.skip(f"the store is on {fs.stdout.strip()}, which takes no such hint")
    assert sb.run(["--", "/bin/true"]).rc == 0
    parents = [p.parent for p in (store / "work").glob("*/spare")]
    assert len(parents) == 1, parents
    assert dir_flags(parents[0]) & FS_TOPDIR_FL
    # Only there: the upper layer holds the home's own files, which stay together.
    assert not dir_flags(store / "upper") & FS_TOPDIR_FL
    assert not dir_flags(store) & FS_TOPDIR_FL


def test_host_files_stay_readable_and_live(sb, home):
    (home / "live.txt").write_text("v1\n")
    assert sb.sh("cat ~/live.txt").out == "v1\n"
    # Changed on the host between runs: the next run reads the new content.
    (home / "live.txt").write_text("v2\n")
    assert sb.sh("cat ~/live.txt").out == "v2\n"
    # Created on the host while a sandbox runs: it appears.
    p, go = waiting_sandbox(sb, "cat ~/during.txt; cat ~/.config/ordinary/later.txt")
    try:
        time.sleep(0.3)
        (home / "during.txt").write_text("made during the run\n")
        (home / ".config/ordinary/later.txt").write_text("later\n")
        go.touch()
        out, err = p.communicate(timeout=TIMEOUT)
    finally:
        p.kill()
    assert out == "made during the run\nlater\n", err


def test_a_second_project_does_not_see_the_first_ones_layer(sb, home, scratch):
    assert sb.sh("mkdir -p ~/.cache && echo first > ~/.cache/marker").rc == 0
    other = other_project(sb, scratch)
    r = other.sh("cat ~/.cache/marker; echo second > ~/.cache/marker2; ls ~/.cache")
    assert "first" not in r.out and "No such file" in r.err, r
    r = sb.sh("cat ~/.cache/marker; ls ~/.cache")
    assert "first" in r.out and "marker2" not in r.out, r
    assert layer_store(home, sb.project) != layer_store(home, other.project)
    # Nor can it reach the first one's layer through the host's tree: the state is absent.
    store = layer_store(home, sb.project)
    r = other.sh(f'ls "{state_dir(home)}"; cat "{store}/upper/.cache/marker"; ls -A ~/.local/state')
    assert "first" not in r.out and "paddock" not in r.out.split(), r


def test_state_directory_is_absent_inside(sb, home, scratch):
    assert sb.sh("true").rc == 0  # the store exists from here on
    assert layer_store(home, sb.project).is_dir()
    r = sb.sh(f'ls -A ~/.local/state; ls "{state_dir(home)}"; '
              f'cat "{layer_store(home, sb.project)}/project"; exit 0')
    assert "paddock" not in r.out.split(), r
    assert os.path.realpath(sb.project) not in r.out, r
    assert "No such file or directory" in r.err, r
    # Elsewhere (XDG_STATE_HOME outside the home) it is absent just the same.
    xdg = scratch / "xdg-state"
    xdg.mkdir()
    env = {"XDG_STATE_HOME": str(xdg)}
    r = sb.sh(f'echo x > ~/elsewhere; ls -A "{xdg}"; ls "{xdg}/paddock"; exit 0', env=env)
    assert r.rc == 0, r
    assert (xdg / "paddock" / "homes").is_dir()
    assert "paddock" not in r.out.split() and "No such file" in r.err, r
    assert not (home / "elsewhere").exists()


def test_stores_stay_absent_whatever_the_layer_holds(sb, home):
    # The sandbox makes its own ~/.ssh and ~/.aws (in the layer) and tries every overlay trick
    # on them; the next run sees its own files, never the host's.
    r = sb.exec(["python3", "-c", """
import os
h = os.path.expanduser("~")
os.makedirs(h + "/.ssh", exist_ok=True)
open(h + "/.ssh/mine", "w").write("sandbox key\\n")
os.makedirs(h + "/.aws", exist_ok=True)
for path in (h + "/.ssh", h + "/.aws", h + "/.config", h):
    for name in ("user.overlay.opaque", "user.overlay.redirect", "user.overlay.origin",
                 "trusted.overlay.opaque", "user.overlay.whiteout"):
        try:
            os.setxattr(path, name, b"y")
        except OSError:
            pass
try:
    os.mknod(h + "/.netrc2", 0o20000, os.makedev(0, 0))
except OSError as e:
    print("mknod", e.errno)
print("done")
"""])
    assert "done" in r.out, r
    for _ in range(2):
        r = sb.sh("ls -A ~/.ssh ~/.aws ~/.config; cat ~/.ssh/* ~/.aws/* 2>&1; "
                  "cat ~/.config/gh/hosts.yml 2>&1; exit 0")
        assert SECRET_PREFIX not in r.out, r
        assert "sandbox key" in r.out and "id_rsa" not in r.out, r
        assert "region" not in r.out, r  # ~/.aws/config is inside a store
        assert "ordinary" in r.out, r  # the host's ~/.config still merges in
    assert not (home / ".netrc2").exists()
    assert (home / ".ssh" / "id_rsa").read_text().startswith(SECRET_PREFIX)


def test_store_created_on_the_host_during_a_run_stays_absent(sb, home):
    p, go = waiting_sandbox(sb, "cat ~/.pgpass ~/.config/doctl/config.yaml; ls -A ~ ~/.config")
    try:
        time.sleep(0.3)
        (home / ".pgpass").write_text(f"{SECRET_PREFIX} pgpass\n")
        (home / ".config" / "doctl").mkdir()
        (home / ".config" / "doctl" / "config.yaml").write_text(f"{SECRET_PREFIX} doctl\n")
        go.touch()
        out, err = p.communicate(timeout=TIMEOUT)
    finally:
        p.kill()
    assert SECRET_PREFIX not in out, out
    assert ".pgpass" not in out.split() and "doctl" not in out.split(), out
    assert "No such file or directory" in err, err


def test_protected_names_in_the_layer_never_reach_the_host(sb, home):
    """Inside the layer an rc file may be written (later sandboxes of this project read it, and
    they are sandboxed); the host's stays as it was, and so does every other project's view."""
    bashrc = (home / ".bashrc").read_text()
    r = sb.sh("echo 'echo planted-in-layer' >> ~/.bashrc; mkdir -p ~/.config/autostart; "
              "echo x > ~/.config/autostart/a.desktop; bash -ic true 2>/dev/null")
    assert r.rc == 0, r
    assert (home / ".bashrc").read_text() == bashrc
    assert not (home / ".config" / "autostart").exists()
    assert "planted-in-layer" in sb.sh("cat ~/.bashrc").out


@pytest.mark.parametrize("target", ["redirected", "/newroot/usr/local/bin"])
def test_next_run_mounts_nothing_through_a_symlink_of_the_layer(sb, home, target):
    """A symlink the sandbox leaves in its layer where a later run mounts something (here the
    allowWrite path ~/.npm, added after npm failed) would carry the host's directory to wherever
    the sandbox chose in the view (over /usr/local/bin, say): the run stops instead."""
    npm = home / ".npm"
    r = sb.sh(f"mkdir -p ~/redirected && ln -s {target} ~/.npm && ls -la ~/.npm")
    assert r.rc == 0, r
    npm.mkdir()
    marker = unique("npm")
    (npm / marker).write_text("the host's npm cache\n")
    r = sb.sh(f"ls -A ~/redirected /usr/local/bin; cat ~/.npm/{marker}",
              flags=["--allow-write", str(npm)])
    assert marker not in r.out, r
    assert r.rc == 125, r
    assert "symlink" in r.err and "paddock reset" in r.err, r
    # After a reset the layer holds nothing and the host's directory is where it belongs.
    assert paddock_cmd(sb, "reset").returncode == 0
    r = sb.sh(f"cat ~/.npm/{marker} && touch ~/.npm/written", flags=["--allow-write", str(npm)])
    assert r.rc == 0 and "the host's npm cache" in r.out, r
    assert (npm / "written").exists()


def test_host_unix_socket_in_the_home_stays_unreachable(sb, home):
    """The layer counts as the sandbox's own to the write mediator; a host socket seen through
    its lower layer must still not connect."""
    path = home / f"svc-{os.getpid()}.sock"
    with UnixRecorder(path=path) as srv:
        r = sb.exec(["python3", "-c", f"""
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect({str(path)!r})
    print("connected", s.recv(64))
except OSError as e:
    print("refused", e.errno)
"""])
        time.sleep(0.2)
        assert "refused" in r.out, r
        assert srv.accepted == 0


# ---------------------------------------------------------------------------------------------
# concurrent runs, reset, policy


def test_second_run_of_a_busy_project_keeps_its_writes_in_memory(sb, home):
    p, go = waiting_sandbox(sb, "echo first > ~/first-run; echo ok")
    try:
        time.sleep(0.3)
        r = sb.sh("echo second > ~/second-run; cat ~/second-run")
        assert r.rc == 0 and r.out == "second\n", r
        assert "in use by another paddock run" in r.err, r
        # While the first run holds the layer, reset refuses to discard it.
        rr = paddock_cmd(sb, "reset")
        assert rr.returncode == 1 and "in use" in rr.stderr, rr
        go.touch()
        out, err = p.communicate(timeout=TIMEOUT)
        assert "ok" in out, err
    finally:
        p.kill()
    r = sb.sh("cat ~/first-run ~/second-run")
    assert "first" in r.out and "second" not in r.out, r


def test_reset_discards_this_projects_layer_only(sb, home, scratch):
    other = other_project(sb, scratch)
    assert sb.sh("echo a > ~/mine").rc == 0
    assert other.sh("echo b > ~/theirs").rc == 0
    r = paddock_cmd(sb, "reset")
    assert r.returncode == 0, r
    assert "discarded the home layer of " + os.path.realpath(sb.project) in r.stdout, r
    assert not layer_store(home, sb.project).exists()
    r = paddock_cmd(sb, "reset")
    assert r.returncode == 0 and "no home layer kept" in r.stdout, r
    assert sb.sh("cat ~/mine").rc != 0
    assert other.sh("cat ~/theirs").out == "b\n"
    assert sb.sh("echo c > ~/mine").rc == 0
    r = paddock_cmd(sb, "reset", "--all")
    assert r.returncode == 0, r
    assert r.stdout.count("discarded the home layer") == 2, r
    assert not list((state_dir(home) / "homes").glob("*/upper"))
    # The host's home itself is untouched by all this.
    assert (home / ".bashrc").exists() and (home / ".ssh" / "id_rsa").exists()


def test_reset_follows_no_symlink_and_clears_what_a_sandbox_locked(sb, home, outside):
    victim = outside / "existing.txt"
    r = sb.sh(f'mkdir -p ~/trap/deep; ln -s "{outside}" ~/trap/dirlink; '
              f'ln -s "{victim}" ~/trap/filelink; mkfifo ~/trap/fifo; '
              'echo x > ~/trap/deep/f; chmod 000 ~/trap/deep; chmod 500 ~/trap; '
              'd=~/trap/chain; for i in $(seq 80); do d=$d/d; done; mkdir -p ~/chain; '
              'cd ~/chain && for i in $(seq 80); do mkdir d && cd d; done; echo deep > f')
    assert r.rc == 0, r
    assert (layer_upper(home, sb.project) / "trap").exists()
    pol = paddock_cmd(sb, "policy", "--json")  # sizes the layer: walks it, opens no file
    assert pol.returncode == 0, pol
    hl = json.loads(pol.stdout)["filesystem"]["homeLayer"]
    # 80 levels deep: the walk stops at 64 and says the size is a lower bound
    assert hl["bytes"] > 0 and hl["entries"] > 64 and hl["sizePartial"], hl
    r = paddock_cmd(sb, "reset")
    assert r.returncode == 0, r
    assert not layer_store(home, sb.project).exists()
    assert victim.read_text() == "original outside content\n"
    assert sorted(os.listdir(outside)) == ["existing.txt"]


def test_policy_shows_the_layer(sb, home):
    r = paddock_cmd(sb, "policy", "--json")
    assert r.returncode == 0, r
    hl = json.loads(r.stdout)["filesystem"]["homeLayer"]
    assert hl["mode"] == "persistent", hl
    assert hl["path"] == os.path.realpath(home)
    assert hl["upper"] == str(layer_upper(home, sb.project))
    assert hl["bytes"] == 0, hl
    assert sb.sh("head -c 200000 /dev/zero > ~/big").rc == 0
    hl = json.loads(paddock_cmd(sb, "policy", "--json").stdout)["filesystem"]["homeLayer"]
    assert hl["bytes"] >= 200000, hl
    text = paddock_cmd(sb, "policy").stdout
    assert f"home layer: writes beneath {os.path.realpath(home)} land in " \
           f"{layer_store(home, sb.project)}/upper" in text, text
    r = paddock_cmd(sb, "policy", "--json", "--ephemeral-home")
    assert json.loads(r.stdout)["filesystem"]["homeLayer"]["mode"] == "ephemeral"
    # The home as the project: no layer, and the policy says why.
    r = paddock_cmd(sb, "policy", "--json", cwd=home)
    hl = json.loads(r.stdout)["filesystem"]["homeLayer"]
    assert hl["mode"] == "none" and "writable" in hl["reason"], hl


# ---------------------------------------------------------------------------------------------
# in memory, and when the layer cannot be kept


def test_ephemeral_home_is_gone_at_exit(sb, home):
    r = sb.sh("echo e > ~/eph && cat ~/eph && echo x >> ~/.bashrc", flags=["--ephemeral-home"])
    assert r.rc == 0 and r.out == "e\n", r
    assert not (home / "eph").exists()
    assert not state_dir(home).exists()  # nothing kept, not even a store
    r = sb.sh("cat ~/eph", flags=["--ephemeral-home"])
    assert r.rc != 0, r
    assert "host bashrc" in sb.sh("cat ~/.bashrc", flags=["--ephemeral-home"]).out


def test_layer_that_cannot_be_kept_is_an_error_unless_ephemeral(sb, home, scratch):
    blocker = scratch / "not-a-directory"
    blocker.write_text("x")
    env = {"XDG_STATE_HOME": str(blocker / "state")}
    r = sb.sh("echo x > ~/f; echo ran", env=env)
    assert r.rc == 125 and "ran" not in r.out, r
    assert "--ephemeral-home" in r.err and str(blocker) in r.err, r
    r = sb.sh("echo x > ~/f; echo ran", env=env, flags=["--ephemeral-home"])
    assert r.rc == 0 and "ran" in r.out, r
    assert not (home / "f").exists()


def test_store_directory_of_another_owner_is_refused(sb, home):
    if not IS_ROOT:
        pytest.skip("making a directory another user's needs root")
    d = state_dir(home)
    d.mkdir(parents=True)
    os.chown(d, 65534, 65534)
    r = sb.sh("echo ran")
    assert r.rc == 125 and "belongs to another user" in r.err, r


def test_home_with_a_filesystem_mounted_beneath_it(sb, home, scratch):
    """A mount beneath the home cannot be an unprivileged overlay's lower layer: the layer is
    split around it. Writes still never reach the host, and are kept where they can be."""
    if not IS_ROOT:
        pytest.skip("mounting on the host needs root")
    mnt = home / "mnt" / "disk"
    mnt.mkdir(parents=True)
    (home / "mnt" / "note.txt").write_text("note\n")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], check=True)
    try:
        (mnt / "data.txt").write_text("on the mount\n")
        before = home_snapshot(home, sb.project)
        r = sb.sh("cat ~/mnt/disk/data.txt ~/mnt/note.txt; echo x > ~/top; "
                  "mkdir -p ~/.cache/t && echo kept > ~/.cache/t/f; echo y > ~/mnt/disk/new; "
                  "ls -A ~; cat ~/.ssh/id_rsa; exit 0")
        assert "on the mount" in r.out and "note" in r.out, r
        assert SECRET_PREFIX not in r.out and ".ssh" not in r.out.split(), r
        assert home_snapshot(home, sb.project) == before
        assert not (mnt / "new").exists()  # the mount is read-only inside
        r = sb.sh("cat ~/.cache/t/f")
        assert r.out == "kept\n", r
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
