"""The terminal under its own name, and the sandbox's hostname resolving (issue 10, item 6)."""

import os
import select
import subprocess

from conftest import TIMEOUT

PROBE = ("tty; python3 -c 'import os; print(os.ttyname(0))'; "
         "stat -L -c '%d %i %t %T' /dev/stdin; "
         "for f in /dev/pts/[0-9]*; do printf '%s ' $f; stat -c '%d %i %t %T' $f; done")



def drain_pty(master, p):
    """Everything the process writes to the pty until it closes (killed after TIMEOUT idle)."""
    out = b""
    while True:
        r, _, _ = select.select([master], [], [], TIMEOUT)
        if not r:
            p.kill()
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    p.wait(timeout=TIMEOUT)
    return out

def run_on_pty(sb, cmd, extra_ptys=2):
    """paddock run -c CMD with stdio on a fresh pty (after `extra_ptys` other ptys, so its
    number is not 0); returns (output, (name, stat) of the pty, [(name, stat)] of the others),
    stats taken while the ptys exist."""
    others = [os.openpty() for _ in range(extra_ptys)]
    master, slave = os.openpty()
    name = os.ttyname(slave)
    mine = (name, os.stat(name))
    other_stats = [(os.ttyname(s), os.stat(os.ttyname(s))) for _, s in others]
    try:
        p = subprocess.Popen(sb.argv(["-c", cmd]), cwd=str(sb.project), env=sb.env(),
                             stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        out = drain_pty(master, p)
        return out.decode(errors="replace").replace("\r\n", "\n"), mine, other_stats
    finally:
        os.close(master)
        for m, s in others:
            os.close(m)
            os.close(s)


def test_tty_keeps_its_name(sb):
    out, (name, st), others = run_on_pty(sb, PROBE)
    lines = [l for l in out.splitlines() if not l.startswith("paddock:")]
    assert lines[0] == name, out          # tty
    assert lines[1] == name, out          # ttyname(0)
    mine = lines[2].split()
    assert (int(mine[0]), int(mine[1])) == (st.st_dev, st.st_ino), (out, st)
    # The other terminals of this host are not reachable: whatever /dev/pts/K shows inside is
    # the sandbox's own placeholder, never the host's node.
    inside = {l.split()[0]: l.split()[1:] for l in lines[3:] if l.startswith("/dev/pts/")}
    assert name in inside, out
    for o, ost in others:
        if o in inside:
            assert (int(inside[o][0]), int(inside[o][1])) != (ost.st_dev, ost.st_ino), (o, out)


def test_not_a_tty_without_one(sb):
    r = sb.sh("tty; echo rc=$?")
    assert "not a tty" in r.out and "rc=1" in r.out, r


def test_hostname_resolves(sb):
    r = sb.exec(["python3", "-c",
                 "import socket; n = socket.gethostname(); print(n); "
                 "print(socket.gethostbyname(n)); print(socket.getfqdn())"])
    assert r.rc == 0, r
    name, addr, fqdn = r.out.split()
    assert name == "paddock"
    assert addr.startswith("127.")
    assert fqdn.startswith("paddock")
    r = sb.sh("command -v hostname >/dev/null || exit 3; hostname -f")
    if r.rc != 3:
        assert r.rc == 0 and r.out.strip().startswith("paddock"), r


def test_hosts_keeps_the_hosts_entries(sb):
    r = sb.exec(["cat", "/etc/hosts"])
    assert r.rc == 0, r
    with open("/etc/hosts") as f:
        host = f.read()
    assert r.out.startswith(host), (r.out, host)
    # Read-only, like the rest of /etc.
    r = sb.sh("echo 10.0.0.1 evil >> /etc/hosts")
    assert r.rc != 0
    with open("/etc/hosts") as f:
        assert f.read() == host


FCHMOD = ("python3 -c \"import os, sys\n"
          "fd = int(sys.argv[1])\n"
          "try:\n    os.fchmod(fd, int(sys.argv[2], 8)); print('fchmod:changed')\n"
          "except OSError as e:\n    print('fchmod:refused', e.errno)\" ")


def test_terminal_mode_stays_the_hosts(sb):
    # The pty is the host's node (on the host's devpts, not a read-only bind): a mode of 0666
    # would let every local user open it and read what is typed there.
    out, (name, st), _ = run_on_pty(sb, FCHMOD + "1 666; stat -L -c %a /dev/stdout", extra_ptys=0)
    assert "fchmod:refused" in out, out
    assert "fchmod:changed" not in out, out
    assert oct(st.st_mode & 0o777)[2:] in out.split(), (out, oct(st.st_mode))


def test_host_dev_null_mode_untouched(sb):
    # /dev/null on stdin is the host's node too. The mode asked for is its own (0666): were the
    # call performed, nothing would change, but it must be refused all the same (root's
    # supervisor would otherwise chmod the host's /dev/null for the sandbox).
    with open("/dev/null", "rb") as devnull:
        p = subprocess.run(sb.argv(["-c", FCHMOD + "0 666"]), cwd=str(sb.project), env=sb.env(),
                           stdin=devnull, capture_output=True, text=True, timeout=TIMEOUT)
    assert "fchmod:refused" in p.stdout, (p.stdout, p.stderr)


def test_write_only_terminal_not_shown(sb):
    # stdout and stderr open for writing only on a pty (`2>/dev/pts/7`, another terminal):
    # showing its node would let the command open it for reading and take what is typed there.
    master, slave = os.openpty()
    name = os.ttyname(slave)
    st = os.stat(name)
    wo = os.open(name, os.O_WRONLY | os.O_NOCTTY)
    os.close(slave)
    try:
        cmd = ("stat -c '%d %i' " + name + " 2>&1; python3 -c \"import os\n"
               "try:\n    os.open('" + name + "', os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK); "
               "print('read:opened')\nexcept OSError as e:\n    print('read:refused', e.errno)\"")
        p = subprocess.Popen(sb.argv(["-c", cmd]), cwd=str(sb.project), env=sb.env(),
                             stdin=subprocess.DEVNULL, stdout=wo, stderr=wo, close_fds=True)
        os.close(wo)
        wo = -1
        out = drain_pty(master, p)
    finally:
        if wo >= 0:
            os.close(wo)
        os.close(master)
    text = out.decode(errors="replace")
    assert "read:" in text, text
    assert "read:opened" not in text, text
    assert f"{st.st_dev} {st.st_ino}" not in text, text


# /dev/tty opened for writing goes through the write mediator, which opens files in the
# supervisor: it must still be the caller's own controlling terminal (mediator/controlling_tty).
DEV_TTY = ("python3 -c 'import os, fcntl, struct, errno\n"
           "try:\n"
           "    fd = os.open(\"/dev/tty\", os.O_RDWR)\n"
           "    sid = struct.unpack(\"i\", fcntl.ioctl(fd, 0x5429, bytes(4)))[0]\n"  # TIOCGSID
           "    os.write(fd, b\"via-dev-tty\\n\")\n"
           "    print(\"devtty\", sid == os.getsid(0))\n"
           "except OSError as e:\n"
           "    print(\"devtty\", errno.errorcode[e.errno])\n'")


def test_dev_tty_for_writing_is_the_callers_terminal(sb):
    master, slave = os.openpty()

    def own_terminal():  # paddock in a session of its own, with the pty as its terminal
        os.setsid()
        import fcntl
        import termios
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    try:
        p = subprocess.Popen(sb.argv(["-c", DEV_TTY]), cwd=str(sb.project), env=sb.env(),
                             stdin=slave, stdout=slave, stderr=slave, close_fds=True,
                             preexec_fn=own_terminal)
        os.close(slave)
        out = drain_pty(master, p).decode(errors="replace")
    finally:
        os.close(master)
    assert "devtty True" in out and "via-dev-tty" in out, out


def test_dev_tty_for_writing_without_a_terminal(sb):
    r = sb.sh(DEV_TTY)
    assert "devtty ENXIO" in r.out, r


def test_dev_tty_for_writing_on_a_pty_made_inside(sb):
    # script(1) inside makes a pty of the sandbox's own devpts the command's terminal.
    cmd = DEV_TTY.replace("'", "'\"'\"'")
    r = sb.sh(f"script -qec '{cmd}' /dev/null")
    assert "devtty True" in r.out and "via-dev-tty" in r.out, r
