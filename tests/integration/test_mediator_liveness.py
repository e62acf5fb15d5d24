"""Threat: stop or wedge the supervisor from inside (issue 8, finding 4). Nothing the sandbox
sends may end the supervisor (an fd number that does not fit an int aborted it: exit 134, no
exit summary), and no call performed for the sandbox may block it: a FIFO opened for reading, a
unix connect to a full backlog, an open that waits for a lease to break. paddock must exit once
the command has exited, answer INT/TERM/HUP, and keep serving other calls meanwhile.

Every run here is bounded: paddock is started with Popen, waited for with a timeout, then the
blocking call is released from the host and paddock killed (SIGKILL ends the sandbox too)."""

import os
import signal
import subprocess
import time

import pytest

from conftest import TIMEOUT, unique, wait_until

PROMPT = 10.0  # seconds paddock may take to exit after its command did, or after a signal

# Where the project lives does not matter here, and a run that hangs today costs PROMPT seconds.
pytestmark = pytest.mark.parametrize("project", ["home"], indirect=True)

# Opens the FIFO "f" for reading with O_CREAT: the mediator performs the open, which waits for a
# writer that never comes.
FIFO_READER = "python3 -c 'import os; os.open(\"f\", os.O_RDONLY | os.O_CREAT)'"


class Bounded:
    """A paddock run that may hang: started in the background, always ended."""

    def __init__(self, sb, args, release=()):
        self.sb = sb
        self.release = list(release)
        self.p = sb.popen(args)
        self.t0 = time.monotonic()

    def wait(self, timeout):
        """(rc or None when still running after timeout, seconds waited)."""
        try:
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, time.monotonic() - self.t0
        return self.p.returncode, time.monotonic() - self.t0

    def finish(self):
        """Ends the run (releasing what blocks it first) and returns (rc, stdout, stderr)."""
        if self.p.poll() is None:
            for path in self.release:
                release_fifo(path)
            try:
                self.p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
        if self.p.poll() is None:
            self.p.kill()
        out, err = self.p.communicate(timeout=TIMEOUT)
        return self.p.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def release_fifo(path):
    """Gives a FIFO that a reader waits on a writer (and closes it), so the reader's open returns."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
    except OSError:
        pass


# ---------------------------------------------------------------------------------------------
# (a) sandbox-chosen values that the supervisor decodes

HUGE = "99999999999999999999"
BAD_REFERENCES = {
    # the reproducer
    "proc-self-fd-huge": f": > /proc/self/fd/{HUGE}",
    "proc-self-fd-int-max-plus-1": ": > /proc/self/fd/2147483648",
    "proc-self-fd-2-pow-32": ": > /proc/self/fd/4294967296",
    "proc-thread-self-fd": f": > /proc/thread-self/fd/{HUGE}",
    "dev-fd": f": > /dev/fd/{HUGE}",
    "proc-pid-fd": f": > /proc/$$/fd/{HUGE}",
    "proc-self-task-fd": f": > /proc/self/task/$$/fd/{HUGE}",
    "openat-dirfd-proc-self": "python3 -c \"import os; d = os.open('/proc/self', os.O_RDONLY); "
                              f"os.open('fd/{HUGE}', os.O_WRONLY | os.O_CREAT, dir_fd=d)\"",
    # every other mediated call that takes a path
    "chmod": f"python3 -c \"import os; os.chmod('/proc/self/fd/{HUGE}', 0o644)\"",
    "truncate": f"python3 -c \"import os; os.truncate('/dev/fd/{HUGE}', 0)\"",
    "mkdir": f"python3 -c \"import os; os.mkdir('/proc/self/fd/{HUGE}')\"",
    "mknod-fifo": f"mkfifo /dev/fd/{HUGE}",
    "symlink": f"ln -s x /proc/self/fd/{HUGE}",
    "link": f"touch x && python3 -c \"import os; os.link('x', '/dev/fd/{HUGE}')\"",
    "rename": f"touch x && mv -T x /dev/fd/{HUGE}",
    "unlink": f"python3 -c \"import os; os.unlink('/proc/self/fd/{HUGE}')\"",
    "unix-bind": f"python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('/proc/self/fd/{HUGE}')\"",
    "unix-connect": f"python3 -c \"import socket; socket.socket(socket.AF_UNIX).connect('/dev/fd/{HUGE}')\"",
    # spellings that must keep being refused cleanly
    "proc-self-fd-negative": ": > /proc/self/fd/-1",
    "dev-fd-plus": ": > /dev/fd/+1",
    "proc-self-fd-hex": ": > /proc/self/fd/0x1",
    "path-of-4096-slashes": ": > " + "/" * 4096,
    "path-too-long": ": > " + "a/" * 2100 + "f",
}


@pytest.mark.parametrize("spelling", list(BAD_REFERENCES))
def test_bad_reference_does_not_stop_the_supervisor(sb, spelling):
    m = unique("summary")
    r = sb.sh(f"echo x > /etc/{m} 2>/dev/null; {BAD_REFERENCES[spelling]}; echo after=$?; exit 7")
    assert "terminate called" not in r.err, r
    assert r.rc == 7, r  # the command's own status, not 134
    assert "after=" in r.out and "after=0" not in r.out, r  # the caller got an error
    # the exit summary still ran
    assert any(f"/etc/{m}" in l for l in r.denials), r


# ---------------------------------------------------------------------------------------------
# (b) calls that block


def test_paddock_exits_after_its_command_while_a_fifo_open_is_pending(sb):
    """The issue's reproducer: a FIFO opened O_RDONLY|O_CREAT in the background, then the command
    exits. paddock must exit promptly, with the command's status and its exit summary."""
    m = unique("summary")
    run = Bounded(sb, ["-c", f"echo x > /etc/{m} 2>/dev/null; mkfifo f; {FIFO_READER} & "
                             "sleep 1; exit 3"], release=[sb.project / "f"])
    try:
        rc, waited = run.wait(PROMPT)
    finally:
        rc2, out, err = run.finish()
    assert rc == 3, f"paddock still running {waited:.1f}s after its command exited: {out!r} {err!r}"
    assert f"/etc/{m}" in err, err


def _unix_backlog(where):
    # listen(0) and never accept: the first connect queues, the next ones block in the kernel
    return ("python3 -c \"\nimport socket, time\n"
            f"s = socket.socket(socket.AF_UNIX); s.bind('{where}'); s.listen(0)\n"
            "cs = []\nfor i in range(4):\n    c = socket.socket(socket.AF_UNIX); "
            f"c.connect('{where}'); cs.append(c)\ntime.sleep(30)\n\"")


LEASE_HOLDER = ("echo data > leased; python3 -c \"\nimport fcntl, os, signal, time\n"
                "signal.signal(signal.SIGIO, signal.SIG_IGN)\n"
                "fd = os.open('leased', os.O_RDONLY)\n"
                "fcntl.fcntl(fd, 1024, fcntl.F_RDLCK)  # F_SETLEASE\n"
                "open('lease-taken', 'w').close()\ntime.sleep(30)\n\" & "
                "for i in $(seq 50); do [ -e lease-taken ] && break; sleep 0.1; done; "
                "[ -e lease-taken ] || echo NO-LEASE; "
                # opening for writing waits up to fs.lease-break-time (45 s) for the lease
                "(echo x >> leased) &")

BLOCKERS = {
    # the reproducer
    "fifo-read-creat": f"mkfifo f; {FIFO_READER} &",
    "fifo-write": "mkfifo f; (exec 3>f) &",
    "fifo-read-trunc": "mkfifo f; python3 -c 'import os; os.open(\"f\", os.O_RDONLY | os.O_TRUNC)' &",
    "unix-connect-full-backlog-project": _unix_backlog("l.sock") + " &",
    "unix-connect-full-backlog-tmp": _unix_backlog("/tmp/l.sock") + " &",
    "open-for-write-under-lease": LEASE_HOLDER,
}


@pytest.mark.parametrize("blocker", list(BLOCKERS))
def test_other_calls_proceed_while_one_blocks(sb, blocker):
    run = Bounded(sb, ["-c", f"{BLOCKERS[blocker]} sleep 1; timeout 5 touch x; echo touch=$?; "
                             "timeout 5 mkdir d; echo mkdir=$?; exit 0"],
                  release=[sb.project / "f"])
    try:
        run.wait(14)  # the script's own waits: 1 + 5 + 5 seconds
    finally:
        rc, out, err = run.finish()
    assert "NO-LEASE" not in out, (out, err)  # control: the lease was taken
    assert "touch=0" in out and "mkdir=0" in out, (rc, out, err)
    assert (sb.project / "x").exists() and (sb.project / "d").is_dir()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["INT", "TERM", "HUP"])
def test_paddock_answers_signals_while_a_call_blocks(sb, sig):
    run = Bounded(sb, ["-c", f"mkfifo f; touch ready; {FIFO_READER} & exec sleep 60"],
                  release=[sb.project / "f"])
    try:
        assert wait_until(lambda: (sb.project / "ready").exists() or run.p.poll() is not None, 10)
        time.sleep(1.5)  # the reader is now waiting in the supervisor
        assert run.p.poll() is None, run.finish()
        run.p.send_signal(sig)
        rc, waited = run.wait(PROMPT)
    finally:
        rc2, out, err = run.finish()
    assert rc is not None, f"paddock ignored {signal.Signals(sig).name} for {waited:.1f}s: {err!r}"
