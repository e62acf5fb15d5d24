"""Host-side servers and helpers for the network tests (test_network_*.py).

Every server listens on an ephemeral port of the test process's own host (127.0.0.1, ::1, a
path or abstract unix socket, or the host's own non-loopback address) and records everything it
sees, so a test can prove that a request arrived, or that nothing at all did. All sockets have
timeouts and every loop is bounded by a deadline, so a misbehaving sandbox cannot hang the suite.

The sandbox reaches these servers only through paddock's proxy, with names pinned by
`--resolve NAME=127.0.0.1`. Names that the tests expect to be denied are pinned to the same
server too: if the proxy let them through, the server would see the request and the test fails.
"""

import http.server
import json
import os
import re
import shutil
import socket
import socketserver
import ssl
import struct
import subprocess
import threading
import textwrap
import time
from pathlib import Path

try:  # this file is also imported by scripts inside the sandbox, which do not need pytest
    import pytest
except ImportError:  # pragma: no cover
    pytest = None

ALLOWED = "allowed.test"
DENIED = "denied.test"
SERVER_TIMEOUT = 10.0  # per-connection socket timeout in the servers


# ---------------------------------------------------------------------------------------------
# HTTP


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "paddock-it-http"

    def log_message(self, *_args):  # quiet
        pass

    def _record(self, body=b""):
        rec = {
            "method": self.command,
            "path": self.path,
            "host": self.headers.get("Host"),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
            "peer": self.client_address[0],
        }
        self.server.record(rec)
        return rec

    def _reply(self, code, body: bytes, ctype="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _serve(self):
        root = self.server.root
        path = self.path.split("?", 1)[0]
        if root is not None and path != "/":
            # dumb-HTTP git: serve files below root only
            rel = os.path.normpath(path.lstrip("/"))
            full = os.path.join(root, rel)
            if rel.startswith("..") or not os.path.isfile(full):
                self._reply(404, b"not found\n")
                return
            with open(full, "rb") as f:
                self._reply(200, f.read(), "application/octet-stream")
            return
        self._reply(200, self.server.token.encode() + b"\n")

    def do_GET(self):
        self._record()
        self._serve()

    def do_HEAD(self):
        self._record()
        self._serve()

    def _read_chunked(self):
        body = b""
        for _ in range(10000):
            line = self.rfile.readline(1024)
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline(16)
        raise ValueError("too many chunks")

    def do_POST(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = self._read_chunked()
        else:
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(n, 64 << 20)) if n > 0 else b""
        self._record(body)
        self._reply(200, self.server.token.encode() + b" post\n")

    def setup(self):
        self.server.connections_seen()
        if self.server.tls_ctx is not None:
            self.request.settimeout(SERVER_TIMEOUT)
            try:
                self.request.do_handshake()
            except (OSError, ssl.SSLError) as e:
                self.server.tls_errors.append(repr(e))
                raise
        super().setup()


class _HTTPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, family, token, root, tls_ctx):
        self.address_family = family
        self.token = token
        self.root = root
        self.tls_ctx = tls_ctx
        self.tls_errors = []
        self.sni_seen = []
        self._lock = threading.Lock()
        self.requests = []
        self.connections = 0
        super().__init__(addr, _Handler)
        if tls_ctx is not None:
            self.socket = tls_ctx.wrap_socket(self.socket, server_side=True,
                                              do_handshake_on_connect=False)

    def record(self, rec):
        with self._lock:
            self.requests.append(rec)

    def connections_seen(self):
        with self._lock:
            self.connections += 1

    def get_request(self):
        sock, addr = super().get_request()
        sock.settimeout(SERVER_TIMEOUT)
        return sock, addr

    def handle_error(self, request, client_address):  # quiet: clients are hostile
        pass


class HTTPRecorder:
    """A threaded HTTP/1.1 server on an ephemeral port that records every request.

    GET / answers with a random token, so the client side can prove it talked to this server.
    With root=DIR it serves files below DIR (git's dumb HTTP protocol)."""

    def __init__(self, host="127.0.0.1", root=None, tls_ctx=None):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.token = "paddock-it-token-" + os.urandom(8).hex()
        self.server = _HTTPServer((host, 0), family, self.token, root, tls_ctx)
        self.port = self.server.server_address[1]
        self.host = host
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    @property
    def requests(self):
        with self.server._lock:
            return list(self.server.requests)

    @property
    def connections(self):
        with self.server._lock:
            return self.server.connections

    def paths(self):
        return [r["path"] for r in self.requests]

    def wait_requests(self, n, timeout=5.0):
        return wait_for(lambda: len(self.requests) >= n, timeout)


# ---------------------------------------------------------------------------------------------
# raw TCP


class _LoopServer:
    """A socket (self.sock) served by one background thread until close(); a context manager."""

    def _init_loop(self, target):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=target, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


class TCPRecorder(_LoopServer):
    """A TCP server that records, per accepted connection, every byte it receives.

    mode "echo": sends back what it receives. "sink": only records. "line": records up to the
    first newline, then closes.
    banner: bytes sent as soon as a connection is accepted."""

    def __init__(self, host="127.0.0.1", mode="sink", banner=b""):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.mode = mode
        self.banner = banner
        self._lock = threading.Lock()
        self.conns = []  # one bytearray per accepted connection
        self._threads = []
        self._init_loop(self._accept_loop)

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        for t in self._threads:
            t.join(timeout=2)
        self.sock.close()

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            buf = bytearray()
            with self._lock:
                self.conns.append(buf)
            t = threading.Thread(target=self._serve, args=(c, buf), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, c, buf):
        deadline = time.monotonic() + SERVER_TIMEOUT
        c.settimeout(0.1)
        try:
            if self.banner:
                c.sendall(self.banner)
            while not self._stop.is_set() and time.monotonic() < deadline:
                try:
                    d = c.recv(65536)
                except socket.timeout:
                    continue
                if not d:
                    break
                with self._lock:
                    buf.extend(d)
                if self.mode == "echo":
                    c.sendall(d)
                elif self.mode == "line" and b"\n" in buf:
                    break
        except OSError:
            pass
        finally:
            c.close()

    @property
    def connections(self):
        with self._lock:
            return len(self.conns)

    @property
    def received(self) -> bytes:
        with self._lock:
            return b"".join(bytes(b) for b in self.conns)

    def wait_bytes(self, n, timeout=5.0):
        return wait_for(lambda: len(self.received) >= n, timeout)


class UDPRecorder(_LoopServer):
    def __init__(self, host="127.0.0.1"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._lock = threading.Lock()
        self.datagrams = []
        self._init_loop(self._loop)

    def _loop(self):
        while not self._stop.is_set():
            try:
                d, _ = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.datagrams.append(d)

    @property
    def received(self):
        with self._lock:
            return list(self.datagrams)


class UnixRecorder(_LoopServer):
    """An AF_UNIX stream server on a path or, with abstract=True, in the abstract namespace.
    Counts accepted connections and records bytes."""

    def __init__(self, path=None, abstract_name=None):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if abstract_name is not None:
            self.address = "\0" + abstract_name
        else:
            self.address = str(path)
        self.sock.bind(self.address)
        if abstract_name is None:
            os.chmod(self.address, 0o777)  # so that only the sandbox, not permissions, decides
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self._lock = threading.Lock()
        self.accepted = 0
        self.data = bytearray()
        self._init_loop(self._loop)

    def close(self):
        super().close()
        if not self.address.startswith("\0"):
            try:
                os.unlink(self.address)
            except OSError:
                pass

    def _loop(self):
        while not self._stop.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
            c.settimeout(0.5)
            try:
                c.sendall(b"HELLO-FROM-HOST-UNIX\n")
                d = c.recv(4096)
                with self._lock:
                    self.data.extend(d)
            except OSError:
                pass
            c.close()


# ---------------------------------------------------------------------------------------------
# TLS


def make_tls_context(workdir: Path, names=(ALLOWED,)):
    """A server SSLContext with a fresh self-signed certificate for names, or None when openssl
    is missing or fails."""
    openssl = shutil.which("openssl")
    if not openssl:
        return None
    key = Path(workdir) / "tls.key"
    crt = Path(workdir) / "tls.crt"
    san = ",".join(f"DNS:{n}" for n in names)
    try:
        p = subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", str(key), "-out", str(crt), "-days", "2",
                            "-subj", f"/CN={names[0]}", "-addext", f"subjectAltName={san}"],
                           capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if p.returncode != 0:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(crt), str(key))
    return ctx


# ---------------------------------------------------------------------------------------------
# TLS ClientHello, built by hand (the sandbox side sends these raw bytes through a CONNECT tunnel)


def _u16(n):
    return struct.pack("!H", n)


def _u24(n):
    return struct.pack("!I", n)[1:]


def sni_body(*entries):
    """The body of a server_name extension: entries are names (host_name type 0) or
    (name_type, name) pairs."""
    lst = b""
    for e in entries:
        t, n = (0, e) if not isinstance(e, tuple) else e
        n = n.encode() if isinstance(n, str) else n
        lst += bytes([t]) + _u16(len(n)) + n
    return _u16(len(lst)) + lst


def client_hello_handshake(sni=None, sni_bodies=None):
    """The handshake message (type 1) of a TLS 1.3-style ClientHello, with SNI when given.
    sni_bodies: raw server_name extension bodies, one extension each (to build odd hellos)."""
    exts = b""
    if sni is not None:
        sni_bodies = [sni_body(sni)]
    for body in sni_bodies or ():
        exts += _u16(0x0000) + _u16(len(body)) + body
    groups = _u16(0x001d) + _u16(0x0017)
    exts += _u16(0x000a) + _u16(len(groups) + 2) + _u16(len(groups)) + groups
    sigs = _u16(0x0403) + _u16(0x0804) + _u16(0x0401)
    exts += _u16(0x000d) + _u16(len(sigs) + 2) + _u16(len(sigs)) + sigs
    vers = _u16(0x0304) + _u16(0x0303)
    exts += _u16(0x002b) + _u16(len(vers) + 1) + bytes([len(vers)]) + vers
    key = os.urandom(32)
    ks_entry = _u16(0x001d) + _u16(len(key)) + key
    exts += _u16(0x0033) + _u16(len(ks_entry) + 2) + _u16(len(ks_entry)) + ks_entry
    suites = _u16(0x1301) + _u16(0x1302) + _u16(0x1303) + _u16(0xc02f) + _u16(0xc030)
    body = (_u16(0x0303) + os.urandom(32) + b"\x20" + os.urandom(32) +
            _u16(len(suites)) + suites + b"\x01\x00" + _u16(len(exts)) + exts)
    return b"\x01" + _u24(len(body)) + body


def tls_records(handshake: bytes, fragment=None):
    """handshake wrapped in TLS records; fragment=N splits it into records of at most N bytes."""
    size = fragment or len(handshake)
    out = b""
    for i in range(0, len(handshake), size):
        chunk = handshake[i:i + size]
        out += b"\x16\x03\x01" + _u16(len(chunk)) + chunk
    return out


def client_hello(sni=None, fragment=None, sni_bodies=None):
    return tls_records(client_hello_handshake(sni, sni_bodies), fragment)


class TLSRecorder(_LoopServer):
    """A TLS server (python ssl, i.e. OpenSSL) that records, for every connection, the SNI the
    library saw and whether the handshake completed. It never sends application data."""

    def __init__(self, ctx, host="127.0.0.1"):
        self.ctx = ctx
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._lock = threading.Lock()
        self.sni = []        # every server_name OpenSSL reported
        self.handshakes = 0  # completed handshakes
        self.connections = 0
        self._init_loop(self._loop)
        ctx.sni_callback = self._on_sni

    def _on_sni(self, _sslobj, name, _ctx):
        with self._lock:
            self.sni.append(name)

    def _loop(self):
        while not self._stop.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._one, args=(c,), daemon=True).start()

    def _one(self, c):
        c.settimeout(SERVER_TIMEOUT)
        try:
            s = self.ctx.wrap_socket(c, server_side=True)
            with self._lock:
                self.handshakes += 1
            s.close()
        except (OSError, ssl.SSLError):
            c.close()


# ---------------------------------------------------------------------------------------------
# client side: used by scripts that run INSIDE the sandbox (the tests copy this file into the
# project, which is visible there)

PROXY_HTTP = 3128
PROXY_SOCKS = 1080


def exchange(data=b"", port=PROXY_HTTP, host="127.0.0.1", read_for=3.0, pieces=None,
             pause=0.05, then=None):
    """Connects, sends data (or each of pieces with a pause between them), reads until the peer
    closes or read_for seconds pass. then: (bytes to send after the first answer arrived).
    Returns (answer bytes, closed_by_peer)."""
    s = socket.create_connection((host, port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        if pieces is None:
            if data:
                s.sendall(data)
        else:
            for p in pieces:
                try:
                    s.sendall(p)
                except OSError:
                    break
                time.sleep(pause)
        out = bytearray()
        closed = False
        deadline = time.monotonic() + read_for
        sent_then = then is None
        while time.monotonic() < deadline:
            s.settimeout(max(0.01, min(0.2, deadline - time.monotonic())))
            try:
                d = s.recv(65536)
            except socket.timeout:
                if not sent_then and out:
                    sent_then = True
                    try:
                        s.sendall(then)
                    except OSError:
                        closed = True
                        break
                continue
            except OSError:
                closed = True
                break
            if not d:
                closed = True
                break
            out += d
        return bytes(out), closed
    finally:
        s.close()


def socks5(atyp, addr, port, cmd=1, payload=b"", read_for=2.0, methods=b"\x00"):
    """A SOCKS5 exchange with the proxy. atyp 1 (IPv4 text), 3 (name), 4 (IPv6 text).
    Returns dict(method=..., reply=REP or None, data=bytes read after the reply)."""
    s = socket.create_connection(("127.0.0.1", PROXY_SOCKS), timeout=5)
    res = {"method": None, "reply": None, "data": b"", "closed": False}
    try:
        s.sendall(b"\x05" + bytes([len(methods)]) + methods)
        m = _recv_exact(s, 2)
        if len(m) < 2:
            res["closed"] = True
            return res
        res["method"] = m[1]
        if m[1] != 0:
            return res
        if atyp == 1:
            a = socket.inet_pton(socket.AF_INET, addr)
        elif atyp == 4:
            a = socket.inet_pton(socket.AF_INET6, addr)
        else:
            a = bytes([len(addr)]) + addr.encode()
        s.sendall(b"\x05" + bytes([cmd, 0, atyp]) + a + struct.pack("!H", port))
        head = _recv_exact(s, 4)
        if len(head) < 2:
            res["closed"] = True
            return res
        res["reply"] = head[1]
        if len(head) == 4:
            alen = {1: 4, 4: 16}.get(head[3])
            if alen is None and head[3] == 3:
                ln = _recv_exact(s, 1)
                alen = ln[0] if ln else 0
            _recv_exact(s, (alen or 0) + 2)
        if res["reply"] == 0 and payload:
            s.sendall(payload)
        out = bytearray()
        deadline = time.monotonic() + read_for
        while time.monotonic() < deadline:
            s.settimeout(max(0.01, min(0.2, deadline - time.monotonic())))
            try:
                d = s.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                res["closed"] = True
                break
            if not d:
                res["closed"] = True
                break
            out += d
        res["data"] = bytes(out)
        return res
    finally:
        s.close()


def _recv_exact(s, n, timeout=5.0):
    out = b""
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            d = s.recv(n - len(out))
        except (socket.timeout, OSError):
            break
        if not d:
            break
        out += d
    return out


def status_codes(answer: bytes):
    """The status codes of every HTTP response in answer, in order (a status line at the start
    or right after a newline)."""
    return [int(m.group(1)) for m in re.finditer(rb"(?:^|\n)HTTP/1\.[01] (\d{3}) ", answer)]


def emit(**kw):
    """Prints one JSON line (bytes as latin-1 text) for the test on the host to parse."""
    def conv(v):
        if isinstance(v, bytes):
            return v.decode("latin-1")
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        return v
    print(json.dumps(conv(kw)), flush=True)


# ---------------------------------------------------------------------------------------------
# misc


def wait_for(pred, timeout=5.0, interval=0.02):
    # Here rather than in conftest: this module is also imported by scripts inside the sandbox,
    # where conftest (and pytest) are not available. conftest.wait_until calls it.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(interval)
    return bool(pred())


def settle(seconds=0.3):
    """Give a (wrongly) forwarded request time to reach a server before asserting it saw none."""
    time.sleep(seconds)


def host_global_ipv4():
    """The host's own non-loopback IPv4 addresses (empty list if none)."""
    addrs = []
    ip = shutil.which("ip") or ("/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else None)
    if ip:
        try:
            p = subprocess.run([ip, "-4", "-o", "addr", "show", "scope", "global"],
                               capture_output=True, text=True, timeout=10,
                               stdin=subprocess.DEVNULL)
            for line in p.stdout.splitlines():
                parts = line.split()
                if "inet" in parts:
                    a = parts[parts.index("inet") + 1].split("/")[0]
                    if not a.startswith("127."):
                        addrs.append(a)
        except (OSError, subprocess.TimeoutExpired):
            pass
    if not addrs:
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.connect(("192.0.2.1", 9))  # no packet is sent
            a = s.getsockname()[0]
            s.close()
            if not a.startswith("127.") and a != "0.0.0.0":
                addrs.append(a)
        except OSError:
            pass
    return addrs


def ipv6_loopback_available():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def audit_lines(path: Path):
    """Parsed JSON lines of an audit log (raises on a line that is not JSON)."""
    if not Path(path).exists():
        return []
    return [json.loads(l) for l in Path(path).read_text().splitlines() if l.strip()]


def inside_script(sb, name, source):
    """Writes a python script into the project (visible inside) and returns its file name."""
    p = Path(sb.project) / name
    p.write_text(source)
    return name


def last_json(text):
    """The last line of text that parses as a JSON object."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def pin(*names, addr="127.0.0.1"):
    out = []
    for n in names:
        out += ["--resolve", f"{n}={addr}"]
    return out


def allow(*patterns):
    out = []
    for p in patterns:
        out += ["--allow-domain", p]
    return out


def deny(*patterns):
    out = []
    for p in patterns:
        out += ["--deny-domain", p]
    return out


# ---------------------------------------------------------------------------------------------
# fixtures (imported by the test modules)

PRELUDE = """\
import json, os, socket, ssl, struct, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netutil import *
"""

if pytest is not None:

    @pytest.fixture
    def inside(sb):
        """inside(code, flags) runs python code in the sandbox (cwd = the project) with netutil's
        helpers imported; returns the Result with .json = the last JSON line it printed."""
        shutil.copy(__file__, Path(sb.project) / "netutil.py")
        counter = [0]

        def run(code, flags=(), timeout=60):
            counter[0] += 1
            name = f"netcase_{counter[0]}.py"
            (Path(sb.project) / name).write_text(PRELUDE + textwrap.dedent(code))
            r = sb.exec(["python3", name], flags=flags, timeout=timeout)
            r.json = last_json(r.out)
            return r

        return run

    @pytest.fixture
    def http_server():
        with HTTPRecorder() as s:
            yield s

    @pytest.fixture
    def http_server2():
        with HTTPRecorder() as s:
            yield s

    @pytest.fixture
    def visible_paddock(paddock, scratch):
        """A copy of the paddock binary in a host directory the sandbox sees (PADDOCK_BIN often
        lies under /tmp, which is private inside)."""
        d = Path(scratch) / "bin"
        d.mkdir(exist_ok=True)
        os.chmod(d, 0o755)
        dst = d / "paddock"
        shutil.copy2(paddock, dst)
        os.chmod(dst, 0o755)
        return str(dst)
