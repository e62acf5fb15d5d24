"""Threat: change a protected file's mode without chmod (issue 8, finding 3b). Setting the
system.posix_acl_access extended attribute rewrites the file's mode bits: a disabled hook (0644)
in a nested repository, whose chmod the mediator refuses, becomes executable, and the host's next
`git commit` runs it. setxattr is not a mediated call, and Landlock lets it through in the
writable project.

Host oracle: mode and extended attributes of every protected file are unchanged. Control: the
same ACL on an ordinary project file does change its mode (the file system supports ACLs)."""

import os
import shutil
import stat

import pytest

from conftest import init_repo

NESTED = "sub/a"
HOOK = f"{NESTED}/.git/hooks/pre-commit"
CONFIG = f"{NESTED}/.git/config"
HOOKS_DIR = f"{NESTED}/.git/hooks"

SETXATTR = """
import os, struct, sys
how, target, kind = sys.argv[1:4]
USER_OBJ, USER, GROUP_OBJ, MASK, OTHER, UNDEFINED = 0x01, 0x02, 0x04, 0x10, 0x20, 0xFFFFFFFF
def acl(*entries):  # the kernel's posix_acl_xattr layout: version 2, then (tag, perm, id)
    return struct.pack('<I', 2) + b''.join(struct.pack('<HHI', *e) for e in entries)
if kind == 'all':  # equivalent to mode 0777: folded into the mode bits, nothing stored
    value = acl((USER_OBJ, 7, UNDEFINED), (GROUP_OBJ, 7, UNDEFINED), (OTHER, 7, UNDEFINED))
else:  # an extended ACL (stored): a named user (our own uid, the one mapped) and a rwx mask
    value = acl((USER_OBJ, 7, UNDEFINED), (USER, 7, os.getuid()), (GROUP_OBJ, 5, UNDEFINED),
                (MASK, 7, UNDEFINED), (OTHER, 5, UNDEFINED))
name = 'system.posix_acl_access'
try:
    if how == 'path':
        os.setxattr(target, name, value)
    elif how == 'nofollow':
        os.setxattr(target, name, value, follow_symlinks=False)
    elif how == 'fd':
        fd = os.open(target, os.O_RDONLY)
        os.setxattr(fd, name, value)
    elif how == 'opath-proc':
        fd = os.open(target, os.O_PATH)
        os.setxattr('/proc/self/fd/%d' % fd, name, value)
    elif how == 'symlink':
        os.symlink(os.path.abspath(target), 'acl-link')
        os.setxattr('acl-link', name, value)
    print('SET')
except OSError as e:
    print('REFUSED', e.errno)
"""


def xattr_state(p):
    st = os.lstat(p)
    try:
        xs = sorted((n, os.getxattr(p, n, follow_symlinks=False))
                    for n in os.listxattr(p, follow_symlinks=False))
    except OSError:
        xs = []
    return stat.S_IMODE(st.st_mode), xs


@pytest.fixture
def nested(sb):
    init_repo(sb, sb.project / NESTED)
    hook = sb.project / HOOK
    hook.write_text("#!/bin/sh\necho pwned > /tmp/pwned\n")
    hook.chmod(0o644)  # disabled: git skips a hook that is not executable
    (sb.project / "plain.txt").write_text("plain\n")
    (sb.project / "plain.txt").chmod(0o644)
    return sb.project


CASES = [
    ("path", HOOK, "all"),
    ("path", HOOK, "named"),
    ("nofollow", HOOK, "all"),
    ("fd", HOOK, "all"),
    ("opath-proc", HOOK, "all"),
    ("symlink", HOOK, "all"),
    ("path", CONFIG, "all"),
    ("path", HOOKS_DIR, "all"),  # other users could then plant hooks
    ("fd", HOOKS_DIR, "named"),
]


@pytest.mark.parametrize("how,target,kind", [
    pytest.param(h, t, k, id=f"{h}-{t.split('/')[-1]}-{k}") for h, t, k in CASES])
def test_acl_cannot_change_a_protected_file(sb, nested, how, target, kind):
    p = nested / target
    before = xattr_state(p)
    r = sb.exec(["python3", "-c", SETXATTR, how, target, kind])
    assert xattr_state(p) == before, r
    # control: the same call on an ordinary file changes its mode
    ctl_before = xattr_state(nested / "plain.txt")
    c = sb.exec(["python3", "-c", SETXATTR, "path", "plain.txt", kind])
    assert "SET" in c.out and xattr_state(nested / "plain.txt") != ctl_before, c


@pytest.mark.skipif(shutil.which("setfacl") is None, reason="setfacl is not installed")
def test_setfacl_cannot_change_a_protected_file(sb, nested):
    p = nested / HOOK
    before = xattr_state(p)
    r = sb.sh(f"setfacl -m u::rwx,g::rwx,o::rwx {HOOK}; setfacl -m u:4242:rwx {HOOK}; exit 0")
    assert xattr_state(p) == before, r
    c = sb.sh("setfacl -m u::rwx,o::rwx plain.txt")
    assert c.rc == 0 and stat.S_IMODE(os.lstat(nested / "plain.txt").st_mode) == 0o747, c
