"""Mode changes through an O_PATH descriptor (issue 12's bug, the same class as issue 8 finding 1:
what the supervisor does for the sandbox must work like the kernel, on the object the caller
named). glibc's fchmodat(..., AT_SYMLINK_NOFOLLOW) without fchmodat2 opens the file O_PATH and
calls chmod("/proc/self/fd/N"); the supervisor answered EBADF, so `tar xpf` (any user), `tar xf`
(root) and Python's os.chmod(p, m, follow_symlinks=False) failed inside while working on the
host. Oracle: the same operations on the host give the same results and modes; and the O_PATH
route must not become a way around the write rules (a file outside the writable paths, or a
protected one, keeps its mode)."""

import io
import json
import os
import stat
import subprocess
import tarfile

import pytest

from conftest import IS_ROOT, TIMEOUT, init_repo
from netutil import last_json

# (name, type, mode): a tree whose modes tar must set after creating each entry
TREE = [
    ("exe", "file", 0o755),
    ("secret", "file", 0o600),
    ("shared", "file", 0o666),
    ("open", "dir", 0o777),
    ("sticky", "dir", 0o1777),
    ("private", "dir", 0o700),
    ("private/inner", "file", 0o640),
    ("group", "dir", 0o750),
    ("link", "symlink", "exe"),
]


def make_tarball(path):
    with tarfile.open(path, "w") as t:
        for name, kind, mode in TREE:
            ti = tarfile.TarInfo(name)
            if kind == "file":
                data = f"content of {name}\n".encode()
                ti.size, ti.mode = len(data), mode
                t.addfile(ti, io.BytesIO(data))
            elif kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, mode
                t.addfile(ti)
            else:
                ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, mode, 0o777
                t.addfile(ti)


def tree_modes(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            out[rel] = (("link", os.readlink(p)) if stat.S_ISLNK(st.st_mode)
                        else (stat.S_IFMT(st.st_mode), oct(stat.S_IMODE(st.st_mode))))
    return out


TAR_FLAGS = ["xpf", "xf"]


@pytest.mark.parametrize("flags", TAR_FLAGS)
def test_tar_extract_sets_modes_like_the_host(sb, scratch, flags):
    """`tar xpf` for any user, `tar xf` as root (which preserves modes by default)."""
    if flags == "xf" and not IS_ROOT:
        pytest.skip("tar xf preserves modes only as root")
    ball = scratch / "t.tar"
    make_tarball(ball)
    os.chmod(ball, 0o644)
    host_dir = scratch / "host-x"
    host_dir.mkdir()
    h = subprocess.run(["tar", flags, str(ball), "-C", str(host_dir)], capture_output=True,
                       text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    assert h.returncode == 0, h  # control: the host extracts it
    want = tree_modes(host_dir)
    assert want["sticky"][1] == oct(0o1777) and want["secret"][1] == oct(0o600), want
    r = sb.sh(f"mkdir x && tar {flags} {ball} -C x")
    assert r.rc == 0 and "Cannot change mode" not in r.err, r
    assert tree_modes(sb.project / "x") == want, r


OPS = r"""
import json, os, stat
res = {}
def fresh(kind, name):
    if kind == 'dir':
        os.mkdir(name); os.chmod(name, 0o755)
    else:
        open(name, 'w').close(); os.chmod(name, 0o644)
    if kind == 'symlink':
        os.symlink(name, name + '.lnk')
        return name + '.lnk'
    return name
def via_fd_path(prefix):
    def chmod(p, m):
        fd = os.open(p, os.O_PATH | os.O_NOFOLLOW)
        try:
            os.chmod(prefix + str(fd), m)
        finally:
            os.close(fd)
    return chmod
nofollow = lambda p, m: os.chmod(p, m, follow_symlinks=False)
for name, kind, fn, m in [
        ('python-nofollow-file', 'file', nofollow, 0o600),
        ('python-nofollow-dir', 'dir', nofollow, 0o700),
        ('python-nofollow-symlink', 'symlink', nofollow, 0o600),
        ('opath-proc-self-fd-file', 'file', via_fd_path('/proc/self/fd/'), 0o640),
        ('opath-proc-self-fd-dir', 'dir', via_fd_path('/proc/self/fd/'), 0o750),
        ('opath-dev-fd-file', 'file', via_fd_path('/dev/fd/'), 0o604),
        ('opath-proc-thread-self-fd-file', 'file', via_fd_path('/proc/thread-self/fd/'), 0o660)]:
    p = fresh(kind, name)
    try:
        fn(p, m)
        res[name] = ['OK']
    except OSError as e:
        res[name] = ['ERR', e.errno]
    except NotImplementedError:  # CPython's answer where lchmod is not supported (a symlink)
        res[name] = ['NotImplementedError']
    res[name].append(oct(stat.S_IMODE(os.lstat(name).st_mode)))
print(json.dumps(res))
"""


def test_chmod_through_o_path_like_the_host(sb, scratch):
    host_dir = scratch / "host-ops"
    host_dir.mkdir()
    h = subprocess.run(["python3", "-c", OPS], cwd=host_dir, capture_output=True, text=True,
                       timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    want = last_json(h.stdout)
    assert want and want["python-nofollow-file"] == ["OK", oct(0o600)], h  # control
    r = sb.exec(["python3", "-c", OPS])
    got = last_json(r.out)
    assert got == want, (json.dumps(got, indent=1), json.dumps(want, indent=1), r)


GUARD = r"""
import os, sys
fd = os.open(sys.argv[1], os.O_PATH)
for path in ('/proc/self/fd/%d' % fd, '/dev/fd/%d' % fd):
    try:
        os.chmod(path, 0o777)
        print('CHANGED', path)
    except OSError as e:
        print('REFUSED', path, e.errno)
"""


@pytest.mark.parametrize("which", ["outside", "protected"])
def test_o_path_chmod_keeps_the_write_rules(sb, outside, which):
    """Whatever the fix, an O_PATH descriptor must not reach what a path cannot."""
    if which == "outside":
        target = outside / "existing.txt"
    else:
        init_repo(sb, sb.project / "sub")
        target = sb.project / "sub" / ".git" / "hooks" / "pre-commit"
        target.write_text("#!/bin/sh\necho pwned\n")
    target.chmod(0o644)
    r = sb.exec(["python3", "-c", GUARD, str(target)])
    assert stat.S_IMODE(os.lstat(target).st_mode) == 0o644, r
    assert "CHANGED" not in r.out and r.out.count("REFUSED") == 2, r
