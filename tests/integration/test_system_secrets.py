"""System secrets are absent for every uid (issue 10, item 5): the password and group shadows
(and their backups), the host's ssh host keys and TLS private keys, root's home when it is not
the home, and other users' homes. Absent, not forbidden: the name is not there, as root too."""

import os
import pwd
from pathlib import Path

import pytest

from conftest import IS_ROOT


def test_shadow_files_are_absent(sb):
    present = [p for p in ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-")
               if os.path.exists(p)]
    if not present:
        pytest.skip("this host has no shadow files")
    r = sb.sh("ls -A /etc; echo ---; for f in " + " ".join(present) +
              "; do cat $f; stat -c %n $f; done; head -c 5 /etc/passwd; exit 0")
    listing, rest = r.out.split("---\n", 1)
    for p in present:
        assert os.path.basename(p) not in listing.split(), (p, listing)
        assert f"{p}: No such file or directory" in r.err, r
    assert "Permission denied" not in r.err, r  # absent, not forbidden
    assert rest.endswith("root:"), r  # /etc itself is still there, live
    if IS_ROOT:  # control: readable without the sandbox
        assert open(present[0]).read()


def test_ssh_host_keys_and_tls_keys_are_absent(sb):
    keys = sorted(str(p) for p in Path("/etc/ssh").glob("*_key")) if Path("/etc/ssh").is_dir() \
        else []
    private = [p for p in ("/etc/ssl/private",) if os.path.isdir(p)]
    if not keys and not private:
        pytest.skip("this host has no ssh host keys nor /etc/ssl/private")
    r = sb.sh("for f in " + " ".join(keys + private) + "; do stat -c %n $f; done; "
              "ls -A /etc/ssh /etc/ssl 2>/dev/null; exit 0")
    for p in keys + private:
        assert f"'{p}': No such file or directory" in r.err or \
            f"{p}: No such file or directory" in r.err, (p, r)
        assert os.path.basename(p) not in r.out.split(), (p, r)
    for pub in Path("/etc/ssh").glob("*_key.pub"):
        assert pub.name in r.out.split(), r  # the public halves stay


def other_homes(home: Path, project: Path):
    """Directories of /home (and /root) that hold neither this test's home nor its project."""
    mine = [os.path.realpath(home), os.path.realpath(project)]
    out = []
    cands = [Path("/home") / n for n in os.listdir("/home")] if os.path.isdir("/home") else []
    cands.append(Path(pwd.getpwuid(0).pw_dir))
    for c in cands:
        if not c.is_dir() or c.is_symlink():
            continue
        rc = os.path.realpath(c)
        if any(m == rc or m.startswith(rc + "/") for m in mine):
            continue
        out.append(str(c))
    return out


def test_other_users_homes_and_roots_are_absent(sb, home):
    others = other_homes(home, sb.project)
    if not others:
        pytest.skip("no other home on this host")
    r = sb.sh("ls -A / /home; " + "; ".join(f'stat -c %n "{o}"' for o in others) + "; exit 0")
    names = r.out.split()
    for o in others:
        assert f"'{o}': No such file or directory" in r.err, (o, r)
        assert os.path.basename(o) not in names or o == "/home", (o, r)
    assert "Permission denied" not in r.err, r
    # The user's own home (the one this run uses) is there.
    assert sb.sh('ls -d "$HOME"').rc == 0
