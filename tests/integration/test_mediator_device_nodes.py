"""Threat: leave a device node in the writable tree (issue 8, finding 3c). Since Linux 5.8 a
character device 0:0 (an overlayfs whiteout) needs no capability, both through
renameat2(RENAME_WHITEOUT) and through a plain mknod: the supervisor, which performs both calls
for the sandbox, leaves one behind in the project. No device node of any kind may appear on the
host. Control: the same mknod path does create a FIFO."""

import os
import stat

import pytest

WHITEOUT = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
flags = int(sys.argv[1])
os.makedirs('d', exist_ok=True)
open('d/src', 'w').write('x')
r = libc.syscall(316, -100, b'd/src', -100, b'd/dst', flags)  # renameat2
print('renameat2', r, ctypes.get_errno())
"""

MKNOD_AT = """
import os
d = os.open('.', os.O_RDONLY | os.O_DIRECTORY)
os.mknod('node', {mode}, {dev}, dir_fd=d)
"""


def device_nodes(root):
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            m = os.lstat(p).st_mode
            if stat.S_ISCHR(m) or stat.S_ISBLK(m):
                found.append(p)
    return found


ATTACKS = {
    # the reproducer: RENAME_WHITEOUT (4), alone and with RENAME_NOREPLACE (1)
    "rename-whiteout": ["python3", "-c", WHITEOUT, "4"],
    "rename-whiteout-noreplace": ["python3", "-c", WHITEOUT, "5"],
    # a whiteout made directly
    "mknod-c-0-0": ["mknod", "node", "c", "0", "0"],
    "mknodat-whiteout": ["python3", "-c", MKNOD_AT.format(mode=oct(stat.S_IFCHR | 0o644), dev=0)],
    "mknod-c-0-0-in-subdir": ["sh", "-c", "mkdir -p a/b && mknod a/b/node c 0 0"],
    # other device nodes (need CAP_MKNOD, which nothing inside has)
    "mknod-b-0-0": ["mknod", "node", "b", "0", "0"],
    "mknod-c-1-3": ["mknod", "node", "c", "1", "3"],
    "mknodat-c-1-5": ["python3", "-c", MKNOD_AT.format(mode=oct(stat.S_IFCHR | 0o666),
                                                       dev=os.makedev(1, 5))],
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_no_device_node_appears(sb, attack):
    r = sb.exec(ATTACKS[attack])
    assert device_nodes(sb.project) == [], r


def test_mknod_control_fifo(sb):
    """Control: the mediated mknod does create what is allowed."""
    r = sb.sh("mknod fifo p && python3 -c \"import os, stat; os.mknod('fifo2', stat.S_IFIFO | 0o600)\""
              " && echo OK")
    assert r.rc == 0 and "OK" in r.out, r
    assert stat.S_ISFIFO(os.lstat(sb.project / "fifo").st_mode)
    assert stat.S_ISFIFO(os.lstat(sb.project / "fifo2").st_mode)
