"""Threat: write (persist) outside the writable paths. The host tree is read-only; only the cwd,
--allow-write entries and the private /tmp are writable. Symlinks and hard links are judged by
where the write lands; mount tricks cannot make anything writable."""

import os
import stat

import pytest

from conftest import IS_ROOT, diff_snapshots, home_snapshot, layer_upper, snapshot, unique

WRITE_ATTACKS = [
    'echo evil > "{o}/new.txt"',
    'echo evil >> "{o}/existing.txt"',
    'echo evil > "{o}/existing.txt"',
    'truncate -s 0 "{o}/existing.txt"',
    'chmod 777 "{o}/existing.txt"',
    'touch "{o}/existing.txt"',
    'mkdir "{o}/newdir"',
    'rm -f "{o}/existing.txt"',
    'mv "{o}/existing.txt" "{o}/moved.txt"',
    'ln -s /etc/passwd "{o}/link"',
    'ln "{o}/existing.txt" "{o}/hardlink"',
    'mkfifo "{o}/fifo"',
    'cp /bin/true "{o}/bin"',
    'python3 -c "import os; os.close(os.open(\'{o}/py.txt\', os.O_WRONLY|os.O_CREAT))"',
    'python3 -c "open(\'{o}/existing.txt\', \'r+\').write(\'evil\')"',
    'dd if=/dev/zero of="{o}/existing.txt" bs=1 count=4 conv=notrunc',
    # truncate by path and by O_TRUNC (Landlock's truncate right is not handled; these must be
    # stopped by the read-only view and the supervisor)
    'python3 -c "import os; os.truncate(\'{o}/existing.txt\', 0)"',
    'python3 -c "import os; os.close(os.open(\'{o}/existing.txt\', os.O_WRONLY|os.O_TRUNC))"',
    'setfattr -n user.evil -v 1 "{o}/existing.txt" 2>/dev/null || python3 -c "import os; os.setxattr(\'{o}/existing.txt\', \'user.evil\', b\'1\')"',
    'touch -d 2000-01-01 "{o}/existing.txt"',
    'echo evil > "/proc/self/root{o}/new.txt"',
    'echo evil >> "/proc/self/root{o}/existing.txt"',
    'cd "{o}" && echo evil > /proc/self/cwd/new.txt',
    'echo evil > "/proc/self/cwd/../../../../../../../../..{o}/new.txt"',
    'python3 -c "import os; d=os.open(\'{o}\', os.O_RDONLY|os.O_DIRECTORY); os.close(os.open(\'new.txt\', os.O_WRONLY|os.O_CREAT, dir_fd=d))"',
]


@pytest.mark.parametrize("attack", WRITE_ATTACKS)
def test_write_outside_refused(sb, outside, attack):
    cmd = attack.format(o=outside)
    # control: the same command succeeds when pointed at a directory of the project
    ctl_dir = sb.project / "ctl"
    ctl_dir.mkdir()
    (ctl_dir / "existing.txt").write_text("original outside content\n")
    before_ctl = snapshot(ctl_dir)
    if "/proc/self" in attack:
        # the mediator refuses /proc/self/... paths outright, even into the project: prove the
        # command works on the host instead
        ctl = sb.host_sh(attack.format(o=ctl_dir))
    else:
        ctl = sb.sh(attack.format(o=ctl_dir))
    assert ctl.rc == 0, ctl
    assert snapshot(ctl_dir) != before_ctl, ctl

    before = snapshot(outside)
    r = sb.sh(cmd)
    assert r.rc != 0, r
    assert snapshot(outside) == before
    assert (outside / "existing.txt").read_text() == "original outside content\n"


def test_xattr_in_project_works(sb):
    """Positive control for xattr mediation: a user xattr on a project file is set."""
    f = sb.project / "plain.txt"
    f.write_text("x\n")
    r = sb.exec(["python3", "-c", "import os; os.setxattr('plain.txt', 'user.ok', b'1')"])
    assert r.rc == 0, r
    assert os.getxattr(f, "user.ok") == b"1"


def test_write_to_home_never_reaches_the_host(sb, home):
    """Writes beneath the home land in the project's home layer (the sandbox sees them), never in
    the host's home: rc files, autostart entries, units and $PATH directories included."""
    before = home_snapshot(home, sb.project)
    r = sb.sh('touch "$HOME/newfile"; echo x > ~/.config/newconf; mkdir -p ~/.local/bin; '
              'cp /bin/true ~/.local/bin/evil; echo evil >> ~/.bashrc; echo evil >> ~/.profile;'
              'mkdir -p ~/.config/autostart; echo x > ~/.config/autostart/evil.desktop;'
              'mkdir -p ~/.config/systemd/user; echo "[Service]" > ~/.config/systemd/user/e.service;'
              'echo "alias ls=evil" >> ~/.bash_aliases; cat ~/.bashrc; exit 0')
    after = home_snapshot(home, sb.project)
    assert after == before, diff_snapshots(before, after)
    assert not (home / "newfile").exists()
    assert "evil" in r.out, r  # the sandbox saw its own write
    upper = layer_upper(home, sb.project)
    for rel in ("newfile", ".config/newconf", ".local/bin/evil", ".config/autostart/evil.desktop",
                ".config/systemd/user/e.service", ".bash_aliases"):
        assert (upper / rel).exists(), rel
    assert (upper / ".bashrc").read_text().endswith("evil\n")


def test_missing_allow_write_path_is_created_with_a_note(sb, home, scratch):
    """An allowWrite path that does not exist is made on the host (the user named it) and is
    writable inside, never listed writable while read-only inside."""
    target = scratch / "made" / "by-paddock"
    r = sb.sh(f'echo x > "{target}/f" && echo wrote', flags=["--allow-write", str(target)])
    assert r.rc == 0 and "wrote" in r.out, r
    assert f"paddock: note: created {target}" in r.err, r
    assert (target / "f").read_text() == "x\n"
    st = os.stat(target)
    assert st.st_uid == os.geteuid(), st
    # In the home too (~/.npm, as the issue tried): the write reaches the host, as asked.
    r = sb.sh("echo y > ~/.npm-explicit/f", flags=["--allow-write", "~/.npm-explicit"])
    assert r.rc == 0, r
    assert (home / ".npm-explicit" / "f").read_text() == "y\n"
    # --quiet hides the note, not the directory.
    r = sb.sh("true", flags=["--quiet", "--allow-write", str(scratch / "quiet")])
    assert r.rc == 0 and r.err == "", r
    assert (scratch / "quiet").is_dir()


def test_allow_write_path_that_cannot_be_made_exits_125(sb, scratch):
    blocker = scratch / "a-file"
    blocker.write_text("x")
    r = sb.sh("echo ran", flags=["--allow-write", str(blocker / "sub")])
    assert r.rc == 125 and "ran" not in r.out, r
    assert str(blocker) in r.err and "allowWrite" in r.err, r


def test_write_to_system_dirs_refused(sb):
    m = unique("sys")
    r = sb.sh(f'echo x > /etc/{m}; echo x > /usr/local/bin/{m}; mkdir /opt/{m}; echo x > /{m};'
              f'echo x > /var/lib/{m}; echo x >> /etc/passwd; exit 0')
    for p in [f"/etc/{m}", f"/usr/local/bin/{m}", f"/opt/{m}", f"/{m}", f"/var/lib/{m}"]:
        assert not os.path.exists(p), p
    assert "evil" not in open("/etc/passwd").read()
    assert r.denials, r  # the summary names the refused writes


def test_write_inside_project(sb):
    r = sb.sh('echo hello > f.txt && mkdir -p d/e && printf data > d/e/g && '
              'echo more >> README.md && mv f.txt f2.txt && ln -s f2.txt lnk && ln f2.txt hard && '
              'chmod 600 d/e/g && rm -f README.md.bak && '
              'python3 -c "open(\'py.txt\',\'w\').write(\'py\')" && mkfifo fifo && echo OK')
    assert r.rc == 0 and "OK" in r.out, r
    p = sb.project
    assert (p / "f2.txt").read_text() == "hello\n"
    assert not (p / "f.txt").exists()
    assert (p / "d/e/g").read_text() == "data"
    assert oct((p / "d/e/g").stat().st_mode & 0o777) == oct(0o600)
    assert (p / "README.md").read_text() == "project readme\nmore\n"
    assert os.readlink(p / "lnk") == "f2.txt"
    assert (p / "hard").stat().st_ino == (p / "f2.txt").stat().st_ino
    assert (p / "py.txt").read_text() == "py"
    assert not r.denials, r


def test_delete_inside_project(sb):
    (sb.project / "gone").mkdir()
    (sb.project / "gone" / "a").write_text("a")
    r = sb.sh("rm -rf gone README.md && echo OK")
    assert r.rc == 0, r
    assert not (sb.project / "gone").exists() and not (sb.project / "README.md").exists()


def test_allow_write_dir(sb, outside, scratch):
    sibling = scratch / "sibling"
    sibling.mkdir()
    r = sb.sh(f'echo ok > "{outside}/new.txt" && echo more >> "{outside}/existing.txt" && '
              f'mkdir "{outside}/d" && echo ok2 > "{outside}/d/f" && echo OK',
              flags=["--allow-write", str(outside)])
    assert r.rc == 0 and "OK" in r.out, r
    assert (outside / "new.txt").read_text() == "ok\n"
    assert (outside / "existing.txt").read_text() == "original outside content\nmore\n"
    assert (outside / "d" / "f").read_text() == "ok2\n"
    # a sibling of the allowed dir stays read-only
    r2 = sb.sh(f'echo evil > "{sibling}/x"', flags=["--allow-write", str(outside)])
    assert r2.rc != 0 and not (sibling / "x").exists(), r2
    # and the allowed dir's parent
    r3 = sb.sh(f'echo evil > "{scratch}/x"', flags=["--allow-write", str(outside)])
    assert r3.rc != 0 and not (scratch / "x").exists(), r3


def test_allow_write_file(sb, outside):
    r = sb.sh(f'echo more >> "{outside}/existing.txt" && echo OK; echo evil > "{outside}/other"',
              flags=["--allow-write", str(outside / "existing.txt")])
    assert "OK" in r.out, r
    assert (outside / "existing.txt").read_text() == "original outside content\nmore\n"
    assert not (outside / "other").exists()


def test_symlink_in_project_pointing_outside(sb, outside, home):
    p = sb.project
    os.symlink(outside / "existing.txt", p / "link")
    os.symlink(outside, p / "dirlink")
    os.symlink(home / ".bashrc", p / "rclink")
    before_out = snapshot(outside)
    bashrc = (home / ".bashrc").read_text()
    # control: the links resolve inside
    ctl = sb.sh("cat link; ls dirlink")
    assert "original outside content" in ctl.out and "existing.txt" in ctl.out, ctl

    sb.sh('echo evil > link; echo evil >> link; echo evil > dirlink/new.txt; '
          'cp /etc/hostname dirlink/; mkdir dirlink/d; echo evil >> rclink; truncate -s0 link;'
          'python3 -c "open(\'link\',\'a\').write(\'evil\')"; '
          f'ln -s "{outside}/existing.txt" mylink; echo evil > mylink; '
          f'ln -s "{outside}/fresh.txt" dangling; echo evil > dangling; '
          f'ln -s "{outside}" mydirlink; echo evil > mydirlink/new2.txt; exit 0')
    assert snapshot(outside) == before_out
    assert (home / ".bashrc").read_text() == bashrc


def test_symlink_swap_in_allowed_dir(sb, outside):
    # a directory symlink created inside, pointing outside, then used as a path prefix
    target = outside / "existing.txt"
    r = sb.sh(f'mkdir real && ln -sfn "{outside}" real2 && '
              'for i in 1 2 3 4 5 6 7 8 9 10; do '
              '  rm -rf swap; mkdir swap; (echo evil > swap/existing.txt) 2>/dev/null;'
              f'  rm -rf swap; ln -s "{outside}" swap; (echo evil > swap/existing.txt) 2>/dev/null;'
              'done; exit 0')
    assert r.rc == 0, r
    assert target.read_text() == "original outside content\n"


def test_hardlink_of_outside_file(sb, outside, home):
    target = outside / "existing.txt"
    before = snapshot(outside)
    r = sb.sh(f'ln "{target}" hl; echo evil >> hl; echo evil > hl; '
              f'ln "{home}/.bashrc" hb; echo evil >> hb; '
              'python3 -c "import os; os.link(\'' + str(target) + '\', \'hl2\'); open(\'hl2\',\'a\').write(\'evil\')"; '
              'exit 0')
    assert snapshot(outside) == before, r
    assert target.read_text() == "original outside content\n"
    assert "evil" not in (home / ".bashrc").read_text()
    for name in ("hl", "hl2"):
        p = sb.project / name
        if p.exists():
            assert p.stat().st_ino != target.stat().st_ino, f"{name} is a hard link to the outside file"


MOUNT_ATTACKS = [
    "mount -o remount,rw /",
    'mount -o remount,rw "{o}"',
    'mount --bind . "{o}"',
    'mount -t tmpfs none "{o}"',
    "unshare -rm sh -c 'mount -o remount,rw / && touch \"{o}/x\"'",
    "unshare -rm sh -c 'mount --bind . \"{o}\" && touch \"{o}/x\"'",
    "unshare -rm sh -c 'mount -t tmpfs none \"{o}\" && touch \"{o}/x\"'",
    "unshare -Ur sh -c 'touch \"{o}/x\"'",
    "unshare -rmpf --mount-proc sh -c 'touch \"{o}/x\"'",
]


@pytest.mark.parametrize("attack", MOUNT_ATTACKS)
def test_mount_attacks_fail(sb, outside, attack):
    before = snapshot(outside)
    r = sb.sh(attack.format(o=outside) + '; touch "{o}/after"; echo x >> "{o}/existing.txt"'.format(o=outside))
    assert r.rc != 0, r
    assert snapshot(outside) == before, r
    assert not (outside / "x").exists() and not (outside / "after").exists()


def test_mount_control_works_on_host(sb, outside, tmp_path):
    """Positive control: the unshare/mount attack commands are functional on this host."""
    d = tmp_path / "mnt"
    d.mkdir()
    r = sb.host_sh(f"unshare -rm sh -c 'mount -t tmpfs none \"{d}\" && touch \"{d}/x\" && echo MOUNTED'")
    assert "MOUNTED" in r.out, r


@pytest.mark.skipif(not IS_ROOT, reason="root only")
def test_root_gets_no_caps_and_cannot_write_outside(sb):
    m = unique("root")
    r = sb.sh(f"grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status; id -u;"
              f"echo x > /etc/{m}; echo x > /root/{m}; chown nobody README.md; exit 0")
    assert r.rc == 0, r
    caps = dict(l.split(":\t") for l in r.out.splitlines() if ":\t" in l)
    for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(caps[k], 16) == 0, (k, caps)
    assert caps["NoNewPrivs"].strip() == "1"
    assert not os.path.exists(f"/etc/{m}") and not os.path.exists(f"/root/{m}")
    assert (sb.project / "README.md").stat().st_uid == os.geteuid()


SETID_ATTACKS = [
    "cp /bin/sh ./x && chmod 4755 ./x",
    "cp /bin/sh ./x && chmod u+s ./x",
    "cp /bin/sh ./x && chmod g+s ./x",
    "cp /bin/sh ./x && python3 -c \"import os; fd=os.open('x', os.O_RDONLY); os.fchmod(fd, 0o4755)\"",
    "python3 -c \"import os; os.close(os.open('x', os.O_WRONLY|os.O_CREAT, 0o4755))\"",
    "install -m 4755 /bin/sh ./x",
    "cp /bin/sh ./x && python3 -c \"import os; os.chmod('x', 0o6755, follow_symlinks=True)\"",
]


@pytest.mark.parametrize("attack", SETID_ATTACKS)
def test_no_setid_files_left_on_host(sb, attack):
    """A set-id binary left in the project runs with the sandboxed user's identity for whoever
    executes it on the host later (root: any local user becomes root)."""
    sb.sh(attack + "; exit 0")
    x = sb.project / "x"
    try:
        # control: the file was written (the attack ran), and set-id bits are what we look for
        assert x.exists()
        mode = x.stat().st_mode
        assert not mode & (stat.S_ISUID | stat.S_ISGID), oct(mode)
    finally:
        if x.exists():  # never leave a set-id shell behind (pytest keeps tmp dirs)
            x.unlink()


KERNEL_INTERFACE_ATTACKS = [
    # write the current value back: harmless if it ever succeeded
    'v=$(cat /proc/sys/kernel/printk_ratelimit) && echo "$v" > /proc/sys/kernel/printk_ratelimit',
    'v=$(cat /proc/sys/kernel/core_pattern) && echo "$v" > /proc/sys/kernel/core_pattern',
    'echo x > /sys/kernel/uevent_helper',
    'echo $$ > /sys/fs/cgroup/cgroup.procs',
    'mkdir /sys/fs/cgroup/paddock-evil',
    'echo h > /proc/sysrq-trigger',
    'echo 1 > /proc/sys/vm/drop_caches',
]


@pytest.mark.parametrize("attack", KERNEL_INTERFACE_ATTACKS)
def test_kernel_interfaces_not_writable(sb, attack):
    r = sb.sh(attack)
    assert r.rc != 0, r
    assert not os.path.exists("/sys/fs/cgroup/paddock-evil")


def test_inherited_fds_not_passed(sb, outside, home):
    """The command inherits exactly stdin, stdout and stderr: an fd the caller leaked (a
    directory fd of HOME, an O_RDWR fd of a host file) must not reach it."""
    import subprocess
    dfd = os.open(str(home), os.O_RDONLY | os.O_DIRECTORY)
    ffd = os.open(str(outside / "existing.txt"), os.O_RDWR)
    try:
        script = ("import os\n"
                  "print('FDS', sorted(int(x) for x in os.listdir('/proc/self/fd')))\n"
                  "try:\n"
                  f"    print('READ', os.read(os.open('.ssh/id_rsa', os.O_RDONLY, dir_fd={dfd}), 200))\n"
                  "except OSError as e: print('ERR', e.errno)\n"
                  "try:\n"
                  f"    os.write({ffd}, b'evil'); print('WRITE_OK')\n"
                  "except OSError as e: print('ERR', e.errno)\n")
        p = subprocess.run(sb.argv(["--", "python3", "-c", script]), cwd=str(sb.project),
                           env=sb.env(), capture_output=True, text=True, timeout=30,
                           pass_fds=(dfd, ffd), stdin=subprocess.DEVNULL)
        assert p.returncode == 0, p
    finally:
        os.close(dfd)
        os.close(ffd)
    # control: the fds really were open in the caller (pass_fds), and the secret exists
    assert (home / ".ssh" / "id_rsa").read_text().startswith("PADDOCK-PLANTED-SECRET")
    assert "PADDOCK-PLANTED-SECRET" not in p.stdout, p.stdout
    assert "WRITE_OK" not in p.stdout, p.stdout
    assert (outside / "existing.txt").read_text() == "original outside content\n"
    fds = eval(p.stdout.split("FDS", 1)[1].splitlines()[0])
    assert set(fds) <= {0, 1, 2, 3}, fds  # 3: listdir's own fd


def test_dac_permissions_respected(sb):
    """The mediator opens files for the command; it must not lend its own privileges (root's
    DAC override): a 0444 file stays unwritable inside, as for a process without capabilities."""
    f = sb.project / "ro.txt"
    f.write_text("orig\n")
    f.chmod(0o444)
    r = sb.sh("echo evil >> ro.txt; python3 -c \"open('ro.txt','r+').write('evil')\"; "
              "truncate -s0 ro.txt; exit 0")
    assert f.read_text() == "orig\n", r
    f.chmod(0o644)
    ctl = sb.sh("echo more >> ro.txt")
    assert ctl.rc == 0 and f.read_text() == "orig\nmore\n", ctl


def test_open_semantics_preserved(sb):
    """Mediated opens keep the kernel's semantics: O_EXCL, O_APPEND, umask, O_NOFOLLOW, EISDIR."""
    (sb.project / "exists.txt").write_text("x")
    os.symlink("exists.txt", sb.project / "lnk")
    script = (
        "import os, errno\n"
        "def e(f):\n"
        "    try: f(); return 'OK'\n"
        "    except OSError as x: return errno.errorcode[x.errno]\n"
        "print('excl', e(lambda: os.open('exists.txt', os.O_WRONLY|os.O_CREAT|os.O_EXCL)))\n"
        "print('nofollow', e(lambda: os.open('lnk', os.O_WRONLY|os.O_NOFOLLOW)))\n"
        "print('isdir', e(lambda: os.open('.', os.O_WRONLY)))\n"
        "print('enoent', e(lambda: os.open('nodir/x', os.O_WRONLY|os.O_CREAT)))\n"
        "os.umask(0o077); os.close(os.open('umask.txt', os.O_WRONLY|os.O_CREAT, 0o666))\n"
        "fd = os.open('app.txt', os.O_WRONLY|os.O_CREAT|os.O_APPEND, 0o644); os.write(fd, b'a')\n"
        "fd2 = os.open('app.txt', os.O_WRONLY|os.O_APPEND); os.write(fd2, b'b'); os.write(fd, b'c')\n"
        "fd3 = os.open('rw.txt', os.O_RDWR|os.O_CREAT, 0o644); os.write(fd3, b'hello'); os.lseek(fd3, 0, 0)\n"
        "print('rw', os.read(fd3, 5).decode())\n"
        "print('flags', os.get_blocking(fd3), bool(__import__('fcntl').fcntl(fd, __import__('fcntl').F_GETFL) & os.O_APPEND))\n")
    r = sb.exec(["python3", "-c", script])
    assert r.rc == 0, r
    res = dict(l.split(" ", 1) for l in r.out.splitlines())
    assert res["excl"] == "EEXIST" and res["nofollow"] == "ELOOP", res
    assert res["isdir"] == "EISDIR" and res["enoent"] == "ENOENT", res
    assert res["rw"] == "hello" and res["flags"] == "True True", res
    assert stat.S_IMODE((sb.project / "umask.txt").stat().st_mode) == 0o600
    assert (sb.project / "app.txt").read_text() == "abc"


def test_named_pipe_reader_first(sb):
    """Opening an existing FIFO for writing goes through the mediator (regression: it used to
    abort the supervisor with a FORTIFY error, openat(O_CREAT) without a mode)."""
    r = sb.sh("mkfifo p; (cat p > out) & sleep 0.3; echo hello > p; wait; cat out", timeout=20)
    assert r.rc == 0 and r.out == "hello\n", r


def test_named_pipe_writer_blocked_does_not_hang_sandbox(sb):
    """A writer blocked opening a FIFO (nobody reads) must not stall every other mediated call."""
    r = sb.sh("mkfifo q; timeout 1 sh -c 'echo x > q'; echo y > g && echo DONE", timeout=20)
    assert r.rc == 0 and "DONE" in r.out, r
    assert (sb.project / "g").read_text() == "y\n"
