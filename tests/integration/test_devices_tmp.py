"""Threat: reach host services and devices. /dev holds only the allowed nodes, /tmp and /var/tmp
are private, /run is empty, and no host unix socket (path or abstract) is reachable."""

import os
import pty
import socket
import stat
import threading

import pytest

from conftest import IS_ROOT, unique

ALLOWED_DEV = {"null", "zero", "full", "random", "urandom", "tty", "pts", "ptmx", "shm",
               # symlinks into /proc/self/fd
               "fd", "stdin", "stdout", "stderr"}
# (major, minor) of the allowed character devices
ALLOWED_CHR = {(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 2)}


def test_dev_holds_only_allowed_nodes(sb):
    r = sb.exec(["python3", "-c", """
import os, stat
for root, dirs, files in os.walk('/dev', followlinks=False):
    for n in dirs + files:
        p = os.path.join(root, n)
        st = os.lstat(p)
        kind = 'c' if stat.S_ISCHR(st.st_mode) else 'b' if stat.S_ISBLK(st.st_mode) else \
               'l' if stat.S_ISLNK(st.st_mode) else 'd' if stat.S_ISDIR(st.st_mode) else 'f'
        maj, mi = (os.major(st.st_rdev), os.minor(st.st_rdev)) if kind in 'cb' else (0, 0)
        print(p, kind, maj, mi)
"""])
    assert r.rc == 0, r
    entries = [l.split() for l in r.out.splitlines()]
    top = {e[0].split("/")[2] for e in entries}
    assert top <= ALLOWED_DEV, top - ALLOWED_DEV
    assert {"null", "zero", "urandom", "tty"} <= top  # control: the essentials are there
    for path, kind, maj, mi in entries:
        assert kind != "b", path
        if kind == "c" and not path.startswith("/dev/pts/"):
            assert (int(maj), int(mi)) in ALLOWED_CHR, (path, maj, mi)
    # control: the host's /dev has far more than that
    assert len(set(os.listdir("/dev")) - ALLOWED_DEV) > 0


def test_dev_nodes_work(sb):
    r = sb.sh("echo x > /dev/null && head -c 16 /dev/urandom | wc -c && head -c 4 /dev/zero | od -An -tx1 "
              "&& (echo x > /dev/full) 2>&1; exit 0")
    assert "16" in r.out and "00 00 00 00" in r.out, r
    assert "No space left" in r.out, r


@pytest.mark.skipif(not IS_ROOT, reason="creating a device node on the host needs root")
@pytest.mark.parametrize("where", ["outside", "project"])
def test_device_node_outside_dev_unusable(sb, outside, where):
    # A host device node anywhere but the sandbox's /dev (here a copy of /dev/zero) must not open.
    d = outside if where == "outside" else sb.project
    node = d / unique("zero")
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 5))
    ctl = sb.host_sh(f'head -c 4 "{node}" | od -An -tx1')
    assert ctl.rc == 0 and "00 00 00 00" in ctl.out, ctl  # control: it works on the host
    r = sb.sh(f'head -c 4 "{node}" | od -An -tx1; exit ${{PIPESTATUS[0]}}')
    assert r.rc != 0, r
    assert "00 00 00 00" not in r.out, r


def test_host_pty_not_reachable(sb):
    """A host terminal (/dev/pts/N) must not be openable for writing or injection from inside."""
    master, slave = pty.openpty()
    try:
        name = os.ttyname(slave)
        m = unique("inject")
        # control: writing to the path from the host reaches the master
        with open(name, "w") as f:
            f.write("ctl\n")
        assert b"ctl" in os.read(master, 100)
        r = sb.sh(f"ls /dev/pts; echo {m} > {name}; echo rc=$?; exit 0")
        os.set_blocking(master, False)
        try:
            got = os.read(master, 4096)
        except BlockingIOError:
            got = b""
        assert m.encode() not in got, r
        assert os.path.basename(name) not in r.out.split("\n")[0].split(), r
    finally:
        os.close(master)
        os.close(slave)


def test_tmp_is_private(sb):
    m = unique("tmp")
    host_file = f"/tmp/{m}-host"
    with open(host_file, "w") as f:
        f.write("host tmp file\n")
    try:
        r = sb.sh(f"cat {host_file}; echo inside > /tmp/{m}-inside && echo WROTE; exit 0")
        assert "host tmp file" not in r.out, r
        assert "WROTE" in r.out, r  # control: /tmp is writable inside
        assert not os.path.exists(f"/tmp/{m}-inside")
        listed = sb.sh("ls -A /tmp").out.split()
        assert f"{m}-host" not in listed
        # only the path leading to the project may show (when the project lives under /tmp)
        for name in listed:
            assert str(sb.project).startswith(f"/tmp/{name}/"), listed
    finally:
        os.unlink(host_file)


def test_var_tmp_is_private(sb):
    m = unique("vartmp")
    host_file = f"/var/tmp/{m}"
    with open(host_file, "w") as f:
        f.write("host var tmp\n")
    try:
        r = sb.sh(f"cat {host_file}; echo x > /var/tmp/{m}-inside; exit 0")
        assert "host var tmp" not in r.out, r
        assert not os.path.exists(f"/var/tmp/{m}-inside")
    finally:
        os.unlink(host_file)


def test_run_is_empty(sb):
    r = sb.sh("ls -A /run; echo ---; ls -A /var/run/ 2>/dev/null; echo ---; "
              "ls /run/user /var/run/docker.sock /run/dbus/system_bus_socket 2>&1; exit 0")
    parts = r.out.split("---\n")
    # only paddock's own binary (ssh's ProxyCommand), bound read-only; no host entry
    assert parts[0].split() == ["paddock"], r
    assert parts[1].split() in ([], ["paddock"]), r  # /var/run is /run, or an empty cover
    assert "No such file" in parts[2], r
    assert os.listdir("/run")  # control: the host's /run is not empty


class UnixServer:
    """A listening AF_UNIX socket on the host that records connections."""

    def __init__(self, address):
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(address)
        if not address.startswith("\0"):
            os.chmod(address, 0o777)
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.connections = 0
        self.stop = False
        self.t = threading.Thread(target=self.loop, daemon=True)
        self.t.start()

    def loop(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            try:
                c.sendall(b"HELLO-FROM-HOST\n")
            except OSError:
                pass
            c.close()

    def close(self):
        self.stop = True
        self.t.join(timeout=5)
        self.sock.close()


CONNECT = """
import socket, sys
addr = sys.argv[1]
if addr.startswith('@'):
    addr = '\\0' + addr[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.settimeout(3)
    s.connect(addr)
    print('CONNECTED', s.recv(100))
except OSError as e:
    print('FAILED', e.errno)
"""


def _socket_locations(sb, scratch):
    return {
        "home": sb.home / "agent.sock",
        "home-subdir": sb.home / ".local" / "share" / "svc" / "agent.sock",
        "outside-dir": scratch / "svc" / "docker.sock",
        "project": sb.project / "dev.sock",
        "project-subdir": sb.project / "run" / "dev.sock",
    }


@pytest.mark.parametrize("where", [
    "home",
    "home-subdir",
    "outside-dir",
    "project",
    "project-subdir",
])
def test_host_unix_socket_unreachable(sb, scratch, where):
    path = _socket_locations(sb, scratch)[where]
    path.parent.mkdir(parents=True, exist_ok=True)
    srv = UnixServer(str(path))
    try:
        # control: the host can connect
        c = socket.socket(socket.AF_UNIX)
        c.connect(str(path))
        c.close()
        assert srv_wait(srv, 1)
        base = srv.connections
        r = sb.exec(["python3", "-c", CONNECT, str(path)])
        assert "CONNECTED" not in r.out, r
        assert srv.connections == base, "the host server saw a connection from the sandbox"
    finally:
        srv.close()


def srv_wait(srv, n, timeout=3):
    import time
    deadline = time.monotonic() + timeout
    while srv.connections < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return srv.connections >= n


def test_host_abstract_socket_unreachable(sb):
    name = unique("abs")
    srv = UnixServer("\0" + name)
    try:
        c = socket.socket(socket.AF_UNIX)
        c.connect("\0" + name)
        c.close()
        assert srv_wait(srv, 1)
        r = sb.exec(["python3", "-c", CONNECT, "@" + name])
        assert "CONNECTED" not in r.out and "FAILED" in r.out, r
        assert srv.connections == 1
    finally:
        srv.close()


def test_unix_sockets_inside_work(sb):
    """Control: a program may use its own unix sockets (path in the project or /tmp, abstract)."""
    r = sb.exec(["python3", "-c", """
import socket, os
for addr in ['/tmp/own.sock', 'own.sock', '\\0own-abstract']:
    s = socket.socket(socket.AF_UNIX); s.bind(addr); s.listen(1)
    c = socket.socket(socket.AF_UNIX); c.connect(addr)
    a, _ = s.accept(); c.sendall(b'x'); assert a.recv(1) == b'x'
print('OK')
"""])
    assert "OK" in r.out, r


def test_network_only_loopback(sb):
    r = sb.sh("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '")
    assert r.out.split() == ["lo"], r


def test_dev_shm_is_private(sb):
    m = unique("shm")
    host = f"/dev/shm/{m}-host"
    if not os.path.isdir("/dev/shm"):
        pytest.skip("no /dev/shm on the host")
    with open(host, "w") as f:
        f.write("host shm\n")
    try:
        r = sb.sh(f"cat {host}; ls -A /dev/shm; echo x > /dev/shm/{m}-inside && echo WROTE; exit 0")
        assert "host shm" not in r.out and f"{m}-host" not in r.out, r
        assert "WROTE" in r.out, r  # control: usable inside
        assert not os.path.exists(f"/dev/shm/{m}-inside")
    finally:
        os.unlink(host)


def test_host_loopback_port_unreachable(sb):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(0.5)
    port = srv.getsockname()[1]
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=3)  # control
        c.close()
        srv.accept()[0].close()
        r = sb.exec(["python3", "-c", f"""
import socket
for host in ['127.0.0.1', 'localhost']:
    try:
        socket.create_connection((host, {port}), timeout=3); print('CONNECTED', host)
    except OSError as e:
        print('FAILED', host, e.errno)
try:
    socket.create_connection(('192.0.2.1', 80), timeout=2); print('CONNECTED direct')
except OSError as e:
    print('FAILED direct', e.errno)
"""])
        assert "CONNECTED" not in r.out and r.out.count("FAILED") == 3, r
        try:
            srv.accept()
            assert False, "the host server saw a connection from the sandbox"
        except socket.timeout:
            pass
    finally:
        srv.close()
