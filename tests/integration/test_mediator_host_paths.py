"""Threat: write a host file through an inherited descriptor whose path merely reads like one of
the sandbox's private directories (issue 8, finding 2). paddock's stdin, stdout or stderr may be
a host file under the host's /tmp, /var/tmp or /dev/shm, opened read-only. Inside, those names
are private tmpfs mounts, so that file is not reachable by name; but reopening /dev/stdin,
/dev/stdout, /proc/self/fd/N for writing (or chmod through them) is judged by the path the
supervisor reads back, "/tmp/...", which it takes for the private /tmp. Private must be judged by
the mount the file lives on, never by how its path is spelled.

Host oracle: the host file's content and mode are unchanged. Control: the same command with the
descriptor a project file does write (so the attempt is real)."""

import os
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import TIMEOUT, Result

ORIGINAL = "host file: original\n"


def host_file(where: str) -> Path:
    d = {"tmp": "/tmp", "var-tmp": "/var/tmp", "dev-shm": "/dev/shm"}[where]
    if not os.path.isdir(d):
        pytest.skip(f"no {d} on this host")
    fd, name = tempfile.mkstemp(prefix="paddock-it-hostfd-", dir=d)
    os.write(fd, ORIGINAL.encode())
    os.close(fd)
    os.chmod(name, 0o644)
    return Path(name)


def run_with_fd(sb, cmd, fd: int, path: Path) -> Result:
    """paddock run -c CMD with descriptor fd (0, 1 or 2) opened read-only on path; the other two
    are /dev/null (stdin) or pipes (stdout, stderr)."""
    f = open(path, "rb")
    try:
        std = {0: subprocess.DEVNULL, 1: subprocess.PIPE, 2: subprocess.PIPE}
        std[fd] = f
        p = subprocess.run(sb.argv(["-c", cmd]), cwd=str(sb.project), env=sb.env(),
                           stdin=std[0], stdout=std[1], stderr=std[2], timeout=TIMEOUT)
    finally:
        f.close()
    dec = lambda b: b.decode(errors="replace") if isinstance(b, bytes) else ""  # noqa: E731
    return Result(["-c", cmd], p.returncode, dec(p.stdout), dec(p.stderr))


def state(p: Path):
    st = os.lstat(p)
    return (stat.S_IMODE(st.st_mode), p.read_text())


# (id, which descriptor, where the host file is, the command run inside)
CASES = [
    # the reproducer
    ("stdin-tmp-dev-stdin", 0, "tmp", "echo OVERWRITTEN > /dev/stdin"),
    ("stdin-var-tmp-proc-fd", 0, "var-tmp", "echo OVERWRITTEN > /proc/self/fd/0"),
    ("stdin-dev-shm-append", 0, "dev-shm", "echo OVERWRITTEN >> /dev/stdin"),
    ("stdin-tmp-thread-self", 0, "tmp",
     "python3 -c \"import os; os.write(os.open('/proc/thread-self/fd/0', os.O_WRONLY), b'OVERWRITTEN')\""),
    ("stdin-tmp-dev-fd-rdwr", 0, "tmp",
     "python3 -c \"import os; os.write(os.open('/dev/fd/0', os.O_RDWR), b'OVERWRITTEN')\""),
    ("stdin-tmp-truncate-open", 0, "tmp", ": > /dev/stdin"),
    # a read-only stdout or stderr reopened for writing
    ("stdout-tmp-dev-stdout", 1, "tmp", "echo OVERWRITTEN > /dev/stdout"),
    ("stdout-var-tmp-dev-fd", 1, "var-tmp", "echo OVERWRITTEN > /dev/fd/1"),
    ("stderr-tmp-dev-stderr", 2, "tmp", "echo OVERWRITTEN > /dev/stderr"),
    ("stderr-dev-shm-proc-fd", 2, "dev-shm", "echo OVERWRITTEN >> /proc/self/fd/2"),
    # a mode change through the descriptor's name
    ("stdin-tmp-chmod", 0, "tmp", "chmod 777 /dev/stdin"),
    ("stdin-tmp-python-chmod", 0, "tmp", "python3 -c \"import os; os.chmod('/proc/self/fd/0', 0o777)\""),
    ("stdin-var-tmp-chmod", 0, "var-tmp", "chmod 666 /dev/fd/0"),
    ("stdout-tmp-chmod", 1, "tmp", "chmod 777 /dev/stdout"),
]


@pytest.mark.parametrize("fd,where,cmd", [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_inherited_host_file_not_writable(sb, fd, where, cmd):
    target = host_file(where)
    try:
        before = state(target)
        # control: inside, the host file is not reachable by its name (the private mount hides it)
        hidden = sb.sh(f"cat {target}; exit 0")
        assert ORIGINAL not in hidden.out, hidden
        r = run_with_fd(sb, cmd + "; exit 0", fd, target)
        assert state(target) == before, r
    finally:
        target.unlink()
    # control: the same descriptor on a project file is written (or chmodded) through
    ctl = sb.project / "ctl.txt"
    ctl.write_text(ORIGINAL)
    ctl.chmod(0o644)
    before = state(ctl)
    r = run_with_fd(sb, cmd + "; exit 0", fd, ctl)
    assert state(ctl) != before, r
