"""Network, around the proxy (DESIGN 1, 2, 4, 5): without the proxy nothing leaves the sandbox.
Direct TCP to the host's loopback, to ::1, to the host's own address and to the internet fails
fast; DNS does not work; UDP datagrams do not arrive; host unix sockets (path and abstract)
cannot be reached. Every host-side server proves it saw nothing, and each test has a positive
control showing the same server is reachable from the host (or through the proxy)."""

import json
import os
import socket
import time

import pytest

from netutil import (ALLOWED, TCPRecorder, UDPRecorder, UnixRecorder,  # noqa: F401
                     allow, host_global_ipv4, http_server, inside, ipv6_loopback_available, pin,
                     settle, wait_for)


def _host_can_connect(host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.settimeout(3)
        s.connect((host, port))
    return True


def test_direct_tcp_fails_fast(inside, http_server):
    targets = []  # (label, server, address)
    servers = [http_server]
    v6 = None
    if ipv6_loopback_available():
        v6 = TCPRecorder(host="::1").__enter__()
        servers.append(v6)
        targets.append(("v6-loopback", v6, "::1"))
    own = []
    for a in host_global_ipv4()[:2]:
        try:
            srv = TCPRecorder(host=a).__enter__()
        except OSError:
            continue
        servers.append(srv)
        own.append(srv)
        targets.append((f"own-{a}", srv, a))
    try:
        # positive controls: every server is reachable from the host
        for label, srv, addr in targets:
            assert _host_can_connect(addr, srv.port), label
        assert _host_can_connect("127.0.0.1", http_server.port)
        assert wait_for(lambda: http_server.connections == 1)
        settle(0.1)
        http_server_conns_before = http_server.connections
        attempts = [("v4-loopback", "127.0.0.1", http_server.port)]
        attempts += [(label, addr, srv.port) for label, srv, addr in targets]
        attempts += [("internet-v4", "1.1.1.1", 80), ("internet-v6", "2606:4700:4700::1111", 80),
                     ("metadata", "169.254.169.254", 80)]
        r = inside(f"""
            res = {{}}
            t_all = time.monotonic()
            for label, host, port in {attempts!r}:
                fam = socket.AF_INET6 if ":" in host else socket.AF_INET
                s = socket.socket(fam, socket.SOCK_STREAM)
                s.settimeout(5)
                t0 = time.monotonic()
                try:
                    s.connect((host, port))
                    s.sendall(b"GET /direct HTTP/1.0\\r\\n\\r\\n")
                    err = "connected"
                except OSError as e:
                    err = type(e).__name__ + ":" + str(e.errno)
                res[label] = [err, time.monotonic() - t0]
                s.close()
            emit(total=time.monotonic() - t_all, **res)
        """)
        j = r.json
        assert j, r
        for label, _, _ in attempts:
            assert j[label][0] != "connected", (label, j)
            assert j[label][1] < 3, (label, j)  # refused or unreachable at once, no timeout
        assert j["total"] < 10, j
        # the same connects through curl, without the proxy
        t0 = time.monotonic()
        r2 = inside(f"""
            out = subprocess.run(["curl", "-sS", "--noproxy", "*", "--max-time", "8",
                                  "http://127.0.0.1:{http_server.port}/curl-direct"],
                                 capture_output=True, text=True, timeout=20)
            emit(rc=out.returncode, err=out.stderr)
        """)
        assert time.monotonic() - t0 < 10, r2
        assert r2.json and r2.json["rc"] != 0, r2
        settle()
        assert http_server.connections == http_server_conns_before and http_server.requests == []
        for srv in servers[1:]:
            assert srv.connections == 1 and srv.received == b"", srv.port  # the host's own control
    finally:
        for srv in servers[1:]:
            srv.close()


def test_direct_http_without_proxy_env(sb, http_server):
    """A program that ignores the proxy variables (env -i) cannot reach the host's server."""
    port = http_server.port
    t0 = time.monotonic()
    r = sb.sh(f"env -i /usr/bin/curl -sS --max-time 8 http://127.0.0.1:{port}/noenv; echo rc=$?; "
              f"env -i /usr/bin/curl -sS --max-time 8 http://{ALLOWED}:{port}/noenv2; echo rc=$?",
              flags=allow(ALLOWED) + pin(ALLOWED))
    assert time.monotonic() - t0 < 10, r
    assert "rc=0" not in r.out, r
    settle()
    assert http_server.requests == [] and http_server.connections == 0


def test_dns_does_not_work(inside):
    t0 = time.monotonic()
    r = inside("""
        res = {}
        for name in ("example.com", "allowed.test", "one.one.one.one"):
            try:
                res[name] = socket.getaddrinfo(name, 80)
            except OSError as e:
                res[name] = "error:" + type(e).__name__
        g = subprocess.run(["getent", "hosts", "example.com"], capture_output=True, text=True,
                           timeout=20)
        emit(getent_rc=g.returncode, getent_out=g.stdout, **res)
    """)
    assert time.monotonic() - t0 < 20, r
    j = r.json
    assert j, r
    assert j["getent_rc"] != 0 and j["getent_out"] == "", j
    for name in ("example.com", "allowed.test", "one.one.one.one"):
        assert isinstance(j[name], str) and j[name].startswith("error:"), (name, j)


def test_dns_query_to_host_resolver_port_gets_nothing(inside):
    """A raw DNS query over UDP to a resolver on the host (a UDP server here standing in for
    it) never arrives; nor does one over TCP."""
    with UDPRecorder() as udp, TCPRecorder() as tcp:
        # positive control from the host
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"control", ("127.0.0.1", udp.port))
        assert wait_until_received(udp)
        query = (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                 b"\x07example\x03com\x00\x00\x01\x00\x01")
        r = inside(f"""
            res = {{}}
            for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET, "1.1.1.1"),
                              (socket.AF_INET6, "::1")):
                s = socket.socket(fam, socket.SOCK_DGRAM)
                s.settimeout(1)
                try:
                    for _ in range(3):
                        s.sendto({query!r}, (addr, {udp.port}))
                    try:
                        d = s.recv(512)
                        res[addr] = "answer"
                    except OSError as e:
                        res[addr] = "sent-no-answer:" + type(e).__name__
                except OSError as e:
                    res[addr] = "send-error:" + type(e).__name__
                s.close()
            t = socket.socket(); t.settimeout(3)
            try:
                t.connect(("127.0.0.1", {tcp.port})); t.sendall({query!r}); res["tcp"] = "connected"
            except OSError as e:
                res["tcp"] = "error:" + type(e).__name__
            emit(**res)
        """)
        j = r.json
        assert j, r
        assert "answer" not in j.values() and j["tcp"] != "connected", j
        settle(0.5)
        assert udp.received == [b"control"], udp.received
        assert tcp.connections == 0


def wait_until_received(udp, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if udp.received:
            return True
        time.sleep(0.02)
    return False


# ---------------------------------------------------------------------------------------------
# unix sockets


def _unix_attempt(inside, address, flags=(), chdir=None, dgram=False):
    return inside(f"""
        addr = {address!r}
        if {chdir!r}:
            os.chdir({chdir!r})
        if {dgram!r}:
            try:
                # unix datagram sockets cannot be created inside (sendmsg's address is out of
                # the filter's reach); either refusal is an error result
                s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                s.sendto(b"from-sandbox", addr)
                emit(result="sent")
            except OSError as e:
                emit(result="error:" + type(e).__name__ + ":" + str(e.errno))
            sys.exit(0)
        res = {{"exists": os.path.exists(addr) if not addr.startswith("\\0") else None}}
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            s.connect(addr)
            s.sendall(b"from-sandbox")
            res["result"] = "connected:" + s.recv(100).decode(errors="replace")
        except OSError as e:
            res["result"] = "error:" + type(e).__name__ + ":" + str(e.errno)
        s.close()
        emit(**res)
    """, flags=flags)


def _host_unix_control(address):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(3)
        s.connect(address)
        return s.recv(100)


def test_abstract_unix_socket_unreachable(inside):
    name = "paddock-it-abstract-" + os.urandom(6).hex()
    with UnixRecorder(abstract_name=name) as srv:
        assert _host_unix_control(srv.address).startswith(b"HELLO")
        assert wait_for_accepts(srv, 1)
        r = _unix_attempt(inside, srv.address)
        assert r.json, r
        assert r.json["result"].startswith("error:"), r.json
        settle()
        assert srv.accepted == 1 and bytes(srv.data) == b"", (srv.accepted, srv.data)


def wait_for_accepts(srv, n, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and srv.accepted < n:
        time.sleep(0.02)
    return srv.accepted >= n


@pytest.mark.parametrize("where", [
    "outside",           # a read-only host directory outside HOME and the project
    "home-top",          # directly in HOME
    "home",              # below HOME
    "project",           # the writable project
    "symlink",           # a symlink in the project pointing at a socket outside
    "relative",          # chdir to the socket's directory, connect("name")
    "home-top-allowed",  # positive control: network.allowUnixSockets names it
])
def test_path_unix_socket_unreachable(inside, sb, scratch, where):
    """A host service's socket file in a directory the sandbox can see (read-only outside dir,
    directly in HOME, below HOME, the writable project): connecting from inside must fail."""
    d = {"home-top": sb.home, "home": sb.home / ".cache" / "svc", "project": sb.project / ".svc",
         "home-top-allowed": sb.home}.get(where, scratch / "sockdir")
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o755)
    path = d / f"s{os.urandom(3).hex()}.sock"
    if len(str(path)) > 100:
        pytest.skip("socket path too long for AF_UNIX")
    with UnixRecorder(path=path) as srv:
        assert _host_unix_control(srv.address).startswith(b"HELLO")
        assert wait_for_accepts(srv, 1)
        flags = ()
        address = srv.address
        chdir = None
        if where.endswith("-allowed"):
            settings = scratch / "unix.json"
            settings.write_text(json.dumps({"network": {"allowUnixSockets": [str(path)]}}))
            flags = ("--settings", str(settings))
        elif where == "symlink":
            (sb.project / "agent.sock").symlink_to(path)
            address = "agent.sock"
        elif where == "relative":
            chdir, address = str(d), path.name
        r = _unix_attempt(inside, address, flags=flags, chdir=chdir)
        assert r.json, r
        settle()
        if where.endswith("-allowed"):
            assert r.json["result"] == "connected:HELLO-FROM-HOST-UNIX\n", r.json
            assert wait_for_accepts(srv, 2) and bytes(srv.data) == b"from-sandbox"
            return
        assert r.json["result"].startswith("error:"), r.json
        assert srv.accepted == 1 and bytes(srv.data) == b"", (srv.accepted, srv.data)


def test_run_sockets_absent(inside):
    """/run (docker.sock, dbus, ssh-agent, systemd) is empty inside."""
    r = inside("""
        found = []
        for d in ("/run", "/var/run"):
            if os.path.isdir(d):
                for root, dirs, files in os.walk(d):
                    found += [os.path.join(root, f) for f in files + dirs]
                    if len(found) > 50:
                        break
        emit(found=found, ssh_auth_sock=os.environ.get("SSH_AUTH_SOCK"),
             dbus=os.environ.get("DBUS_SESSION_BUS_ADDRESS"))
    """)
    j = r.json
    assert j, r
    assert not [f for f in j["found"] if f.endswith(".sock") or "docker" in f or "dbus" in f], j


@pytest.mark.parametrize("local_binding", [False, True])
def test_tcp_bind_refused_inside(inside, scratch, local_binding):
    """Landlock forbids TCP bind inside unless network.allowLocalBinding (the positive control:
    with it, the same code listens)."""
    flags = ()
    if local_binding:
        settings = scratch / "bind.json"
        settings.write_text('{"network": {"allowLocalBinding": true}}')
        flags = ("--settings", str(settings))
    r = inside("""
        res = {}
        for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            s = socket.socket(fam, socket.SOCK_STREAM)
            try:
                s.bind((addr, 0)); s.listen(1); res[addr] = "listening"
            except OSError as e:
                res[addr] = "error:" + type(e).__name__
            s.close()
        emit(**res)
    """, flags=flags)
    j = r.json
    assert j, r
    if local_binding:
        assert j["127.0.0.1"] == "listening" and j["::1"] == "listening", j
    else:
        assert j["127.0.0.1"] != "listening" and j["::1"] != "listening", j


FAMILIES = [  # (name, family number, type): ways around the network namespace or the proxy
    ("AF_VSOCK", 40, socket.SOCK_STREAM),       # VM host (CID 2) / WSL2 host: not namespaced
    ("AF_PACKET-raw", 17, socket.SOCK_RAW),
    ("AF_PACKET-dgram", 17, socket.SOCK_DGRAM),
    ("AF_INET-raw", 2, socket.SOCK_RAW),
    ("AF_INET6-raw", 10, socket.SOCK_RAW),
    ("AF_TIPC", 30, socket.SOCK_STREAM),
    ("AF_RDS", 21, socket.SOCK_SEQPACKET),
    ("AF_CAN", 29, socket.SOCK_RAW),
    ("AF_BLUETOOTH", 31, socket.SOCK_STREAM),
    ("AF_XDP", 44, socket.SOCK_RAW),
    ("AF_KCM", 41, socket.SOCK_DGRAM),
    ("AF_QIPCRTR", 42, socket.SOCK_DGRAM),
    ("AF_SMC", 43, socket.SOCK_STREAM),
]


def test_other_socket_families_refused(inside):
    """Socket families that bypass the network namespace (vsock reaches the hypervisor host or
    WSL2's Windows side) or the loopback-only view cannot even be created. Only socket creation
    is tried: nothing is connected anywhere."""
    r = inside(f"""
        res = {{}}
        for name, fam, typ in {[(n, f, int(t)) for n, f, t in FAMILIES]!r}:
            try:
                s = socket.socket(fam, typ, 0)
                res[name] = "created"
                s.close()
            except OSError as e:
                res[name] = "error:" + str(e.errno)
        a, b = socket.socketpair()
        a.sendall(b"x"); res["unix-socketpair"] = b.recv(1).decode()
        emit(**res)
    """)
    j = r.json
    assert j, r
    assert j["unix-socketpair"] == "x", j  # positive control
    created = [n for n, _, _ in FAMILIES if j[n] == "created"]
    assert not created, j


def test_host_unix_datagram_socket_unreachable(inside, scratch):
    """A host AF_UNIX datagram socket (syslog's /dev/log, systemd's notify socket are of this
    kind) in a visible directory: sendto from inside must not deliver."""
    d = scratch / "dgram"
    d.mkdir()
    os.chmod(d, 0o755)
    path = d / "log.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    srv.bind(str(path))
    os.chmod(path, 0o777)
    srv.settimeout(0.5)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as c:  # positive control
            c.sendto(b"control", str(path))
        assert srv.recv(100) == b"control"
        r = _unix_attempt(inside, str(path), dgram=True)
        assert r.json, r
        got = []
        try:
            while len(got) < 10:
                got.append(srv.recv(100))
        except socket.timeout:
            pass
        assert got == [], (got, r.json)
        assert r.json["result"].startswith("error:"), r.json
    finally:
        srv.close()


def test_sandbox_own_unix_sockets_work(inside):
    """Positive control for the unix-socket wall: sockets the command makes itself (in /tmp and
    in the project; stream and datagram) keep working."""
    r = inside("""
        res = {}
        for label, path in (("tmp", "/tmp/own.sock"), ("project", os.path.abspath("own.sock"))):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(path); s.listen(1)
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.settimeout(3)
            c.connect(path); a, _ = s.accept(); c.sendall(b"ping")
            res[label] = a.recv(4).decode()
            for x in (a, c, s):
                x.close()
        # named unix datagram sockets are refused (see DESIGN notes); a datagram socketpair works
        d, e = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        e.send(b"dg")
        d.settimeout(3); res["dgram"] = d.recv(2).decode()
        try:
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            res["named_dgram"] = "created"
        except PermissionError:
            res["named_dgram"] = "refused"
        emit(**res)
    """)
    assert r.json == {"tmp": "ping", "project": "ping", "dgram": "dg", "named_dgram": "refused"}, r
