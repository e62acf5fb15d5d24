"""Network, around the proxy (DESIGN 1, 2, 4, 5): without the proxy nothing leaves the sandbox.
Direct TCP to the host's loopback, to ::1, to the host's own address and to the internet fails
fast; DNS does not work; UDP datagrams do not arrive; host unix sockets (path and abstract)
cannot be reached. Every host-side server proves it saw nothing, and each test has a positive
control showing the same server is reachable from the host (or through the proxy)."""

import errno
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
    """A program that ignores the proxy variables (env -i) cannot reach the host's server by its
    address; by an allowed name it goes through the sandbox's resolver and the proxy (capture by
    name: test_network_capture.py), so the server sees only that request."""
    port = http_server.port
    t0 = time.monotonic()
    r = sb.sh(f"env -i /usr/bin/curl -sS --max-time 8 http://127.0.0.1:{port}/noenv; echo rc=$?; "
              f"env -i /usr/bin/curl -sS --max-time 8 http://{ALLOWED}:{port}/noenv2; echo rc=$?",
              flags=allow(ALLOWED) + pin(ALLOWED))
    assert time.monotonic() - t0 < 10, r
    assert r.out.count("rc=0") == 1 and http_server.token in r.out, r
    settle()
    assert http_server.paths() == ["/noenv2"], http_server.requests


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


def _unix_attempt(inside, address, flags=(), chdir=None):
    return inside(f"""
        addr = {address!r}
        if {chdir!r}:
            os.chdir({chdir!r})
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


# Every way to get a unix datagram socket and address a datagram per message; run on the host
# (control: each one delivers) and inside (each is refused when the socket is made). Argument:
# the listener's path. Prints one JSON object: spelling -> "sent", or "error:<where>:<errno>".
DGRAM_SPELLINGS = r"""
import ctypes, json, socket, struct, sys

path = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)


class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class MsgHdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.POINTER(IoVec)), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class MMsgHdr(ctypes.Structure):
    _fields_ = [("hdr", MsgHdr), ("len", ctypes.c_uint)]


def sendmmsg(sock, data):
    addr = struct.pack("H", socket.AF_UNIX) + path.encode() + b"\0"
    abuf = ctypes.create_string_buffer(addr, len(addr))
    dbuf = ctypes.create_string_buffer(data, len(data))
    iov = IoVec(ctypes.cast(dbuf, ctypes.c_void_p), len(data))
    msg = MMsgHdr(MsgHdr(ctypes.cast(abuf, ctypes.c_void_p), len(addr), ctypes.pointer(iov), 1,
                         None, 0, 0), 0)
    if libc.sendmmsg(sock.fileno(), ctypes.byref(msg), 1, 0) != 1:
        raise OSError(ctypes.get_errno(), "sendmmsg")


def single(typ):
    return socket.socket(socket.AF_UNIX, typ)


def pair(typ):
    return socket.socketpair(socket.AF_UNIX, typ)[0]


D, R = socket.SOCK_DGRAM, socket.SOCK_RAW
FL = socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC
SPELLINGS = [  # name, make the socket, send
    ("socket-dgram-sendto", lambda: single(D), lambda s, d: s.sendto(d, path)),
    ("socket-dgram-flags-sendmsg", lambda: single(D | FL), lambda s, d: s.sendmsg([d], [], 0, path)),
    ("socket-raw-sendmsg", lambda: single(R), lambda s, d: s.sendmsg([d], [], 0, path)),
    ("socket-raw-flags-sendmmsg", lambda: single(R | FL), sendmmsg),
    ("pair-dgram-sendmsg", lambda: pair(D), lambda s, d: s.sendmsg([d], [], 0, path)),
    ("pair-dgram-sendmmsg", lambda: pair(D), sendmmsg),
    ("pair-dgram-cloexec-sendmsg", lambda: pair(D | socket.SOCK_CLOEXEC),
     lambda s, d: s.sendmsg([d], [], 0, path)),
    ("pair-raw-sendmsg", lambda: pair(R), lambda s, d: s.sendmsg([d], [], 0, path)),
    ("pair-raw-nonblock-sendmmsg", lambda: pair(R | socket.SOCK_NONBLOCK), sendmmsg),
]
res = {}
for name, make, send in SPELLINGS:
    try:
        s = make()
    except OSError as e:
        res[name] = "error:create:" + str(e.errno)
        continue
    try:
        send(s, name.encode())
        res[name] = "sent"
    except OSError as e:
        res[name] = "error:send:" + str(e.errno)
    s.close()
print(json.dumps(res), flush=True)
"""


def _drain(srv, timeout=0.5):
    """Every datagram the listener holds, waiting at most `timeout` for each next one."""
    got = []
    srv.settimeout(timeout)
    try:
        while len(got) < 50:
            got.append(srv.recv(200))
    except socket.timeout:
        pass
    return got


def test_host_unix_datagram_socket_unreachable(sb, scratch):
    """A host AF_UNIX datagram socket (syslog's /dev/log, systemd's notify socket are of this
    kind) in a visible directory: no spelling of a unix datagram socket can be made inside, so
    no datagram is addressed to it (sendmsg's address is out of the filter's reach). The
    listener is the oracle; the control is the same script on the host, where every spelling
    delivers."""
    d = scratch / "dgram"
    d.mkdir()
    os.chmod(d, 0o755)
    path = d / "log.sock"
    script = sb.project / "dgram_spellings.py"
    script.write_text(DGRAM_SPELLINGS)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as srv:
        srv.bind(str(path))
        os.chmod(path, 0o777)  # so that only the sandbox, not permissions, decides
        host = sb.host_sh(f"python3 {script} {path}")
        assert host.rc == 0, host
        control = json.loads(host.out.strip().splitlines()[-1])
        assert set(control.values()) == {"sent"}, control
        got = _drain(srv)
        assert sorted(got) == sorted(n.encode() for n in control), (got, control)

        r = sb.exec(["python3", script.name, str(path)])
        assert r.rc == 0, r
        res = json.loads(r.out.strip().splitlines()[-1])
        got = _drain(srv)
        assert got == [], (got, res)
        assert res.keys() == control.keys(), res
        for name, outcome in res.items():
            assert outcome == f"error:create:{errno.EPERM}", (name, res)


def test_stream_and_seqpacket_pairs_ignore_a_host_address(inside, scratch):
    """Positive control for the datagram refusal: stream and seqpacket socketpairs work, and
    neither takes a per-message address to a host socket (stream refuses msg_name, seqpacket
    delivers to its peer). The host listener receives nothing."""
    d = scratch / "dgram"
    d.mkdir()
    os.chmod(d, 0o755)
    path = d / "log.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as srv:
        srv.bind(str(path))
        os.chmod(path, 0o777)
        r = inside(f"""
            res = {{}}
            for name, typ in (("stream", socket.SOCK_STREAM), ("seqpacket", socket.SOCK_SEQPACKET),
                              ("seqpacket-cloexec", socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)):
                a, b = socket.socketpair(socket.AF_UNIX, typ)
                b.settimeout(3)
                a.sendall(b"plain")
                got = b.recv(10)
                try:
                    a.sendmsg([b"addressed"], [], 0, {str(path)!r})
                    sent = "sent"
                except OSError as e:
                    sent = "error:" + str(e.errno)
                try:
                    got += b"|" + b.recv(20)
                except OSError:
                    pass
                res[name] = [got.decode(), sent]
            emit(**res)
        """)
        assert r.json, r
        got = _drain(srv)
        assert got == [], (got, r.json)
    j = r.json
    assert j["stream"][0] == "plain" and j["stream"][1] in (f"error:{errno.EISCONN}",
                                                             f"error:{errno.EOPNOTSUPP}"), j
    for name in ("seqpacket", "seqpacket-cloexec"):
        assert j[name] == ["plain|addressed", "sent"], j


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
        # unix datagram sockets are refused, named or in a pair (see DESIGN notes); a seqpacket
        # pair keeps message boundaries for programs that want them
        d, e = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        e.send(b"dg")
        d.settimeout(3); res["seqpacket"] = d.recv(2).decode()
        for label, make in (("named_dgram", lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)),
                            ("pair_dgram", lambda: socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM))):
            try:
                make()
                res[label] = "created"
            except PermissionError:
                res[label] = "refused"
        emit(**res)
    """)
    assert r.json == {"tmp": "ping", "project": "ping", "seqpacket": "dg", "named_dgram": "refused",
                      "pair_dgram": "refused"}, r
