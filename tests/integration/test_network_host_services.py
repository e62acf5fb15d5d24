"""Host services (issue 11, item 3) and the proxy's WebSocket upgrades (item 4), asserted from
the host side: a server inside published on the host's loopback (and an unpublished one not),
HOST_PORT:PORT, a host port in use; a host loopback service reached with --allow-host-port and
another host port not; local binding and its denial line; loopback names in allowedDomains
refused at start; ws:// through the HTTP proxy to an echo server."""

import base64
import hashlib
import json
import socket
import threading
import time

import pytest

from netutil import ALLOWED, DENIED, TCPRecorder, allow, inside, pin, settle  # noqa: F401

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path="/", timeout=3.0):
    """One HTTP/1.0 GET to the host's 127.0.0.1:port; the whole answer, or None if refused."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
            c.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
            data = b""
            while True:
                d = c.recv(65536)
                if not d:
                    return data
                data += d
    except (ConnectionRefusedError, ConnectionResetError):
        return None


# A server inside: answers every GET with TOKEN on each of the ports given, prints "ready".
SERVER = r"""
import http.server, socketserver, sys, threading, time
token = sys.argv[1].encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(token)))
        self.end_headers()
        self.wfile.write(token)
    def log_message(self, *a):
        pass
for p in sys.argv[2:]:
    s = socketserver.TCPServer(("127.0.0.1", int(p)), H)
    threading.Thread(target=s.serve_forever, daemon=True).start()
print("ready", flush=True)
time.sleep(20)
"""


def start_inside_server(sb, token, ports, flags):
    (sb.project / "srv.py").write_text(SERVER)
    p = sb.popen(["--", "python3", "srv.py", token, *[str(x) for x in ports]], flags=flags,
                 text=True)
    line = p.stdout.readline()
    if "ready" not in line:
        p.kill()
        out, err = p.communicate(timeout=10)
        raise AssertionError(f"the server inside did not start: {line!r} {out!r} {err!r}")
    return p


def stop(p):
    p.kill()
    p.communicate(timeout=10)


def test_published_dev_server_reached_from_host(sb):
    """--publish HOST:PORT serves the sandbox's 127.0.0.1:PORT on the host's 127.0.0.1:HOST; a
    port the sandbox also listens on but did not publish stays unreachable from the host."""
    host_port, inner, unpublished = free_port(), free_port(), free_port()
    while inner == host_port:
        inner = free_port()
    token = "published-" + str(time.monotonic_ns())
    p = start_inside_server(sb, token, [inner, unpublished],
                            ["--publish", f"{host_port}:{inner}", "--allow-local-binding"])
    try:
        answer = http_get(host_port)
        assert answer is not None and token.encode() in answer, answer
        # Several connections, one after the other and at once (a browser opens many).
        results = []
        threads = [threading.Thread(target=lambda: results.append(http_get(host_port)))
                   for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
        assert len(results) == 8 and all(r and token.encode() in r for r in results), results
        assert http_get(unpublished) is None
        assert http_get(inner) is None  # only HOST is opened on the host
    finally:
        stop(p)
    # Once the run is over the host port is closed again.
    assert http_get(host_port) is None


def test_publish_same_port_and_binding_without_local_binding(sb):
    """--publish PORT: the same port on both sides; binding it inside needs no
    allowLocalBinding, binding any other port is still refused with a denial line."""
    port, other = free_port(), free_port()
    token = "same-" + str(time.monotonic_ns())
    p = start_inside_server(sb, token, [port], ["--publish", str(port)])
    try:
        answer = http_get(port)
        assert answer is not None and token.encode() in answer, answer
    finally:
        stop(p)
    r = sb.exec(["python3", "-c", f"import socket; socket.socket().bind(('127.0.0.1', {other}))"],
                flags=["--publish", str(port)])
    assert r.rc != 0 and "PermissionError" in r.err, r
    assert any(f"bind tcp port {other}" in d for d in r.denials), r


def test_publish_port_in_use_is_125(sb):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = sb.exec(["true"], flags=["--publish", f"{port}:8000"])
    assert r.rc == 125, r
    assert f"127.0.0.1:{port}" in r.err and "in use" in r.err, r
    assert "--publish HOST_PORT:PORT" in r.err, r


@pytest.mark.parametrize("bad", ["0", "70000", "80:", "x:80", "3128"])
def test_publish_bad_spec_is_125(sb, bad):
    r = sb.exec(["true"], flags=["--publish", bad])
    assert r.rc == 125, r
    assert "--publish" in r.err, r


HOST_CLIENT = r"""
import json, socket, sys
out = {}
for name, host, port in [("lo", "127.0.0.1", int(sys.argv[1])), ("name", "localhost", int(sys.argv[1])),
                         ("other", "127.0.0.1", int(sys.argv[2]))]:
    try:
        c = socket.create_connection((host, port), timeout=5)
        c.sendall(("hello-" + name + "\n").encode())
        c.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            d = c.recv(4096)
            if not d:
                break
            data += d
        out[name] = data.decode()
    except OSError as e:
        out[name] = "error: " + type(e).__name__
print(json.dumps(out))
"""


def test_host_port_reached_and_other_host_ports_not(sb):
    """--allow-host-port P: the sandbox reaches the host's 127.0.0.1:P as 127.0.0.1:P and as
    localhost:P (no proxy involved); another host port is refused with a denial line and its
    server sees nothing."""
    with TCPRecorder(mode="echo") as svc, TCPRecorder(mode="echo") as other:
        (sb.project / "client.py").write_text(HOST_CLIENT)
        r = sb.exec(["python3", "client.py", str(svc.port), str(other.port)],
                    flags=["--allow-host-port", str(svc.port)])
        assert r.rc == 0, r
        out = json.loads(r.out.strip().splitlines()[-1])
        assert out["lo"] == "hello-lo\n", r
        assert out["name"] == "hello-name\n", r
        assert out["other"].startswith("error"), r
        settle()
        assert other.connections == 0
        assert svc.connections == 2
        assert any(f"127.0.0.1:{other.port}" in d and "--allow-host-port" in d for d in r.denials), r


def test_host_port_without_flag_is_refused(sb):
    with TCPRecorder(mode="echo") as svc:
        (sb.project / "client.py").write_text(HOST_CLIENT)
        r = sb.exec(["python3", "client.py", str(svc.port), str(svc.port)])
        out = json.loads(r.out.strip().splitlines()[-1])
        assert out["lo"].startswith("error") and out["other"].startswith("error"), r
        settle()
        assert svc.connections == 0


def test_local_binding_flag_and_denial_line(sb):
    code = ("import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1); "
            "c = socket.create_connection(s.getsockname()); print('bound-and-connected')")
    r = sb.exec(["python3", "-c", code])
    assert r.rc != 0, r
    assert any("bind tcp port 0" in d and "network.allowLocalBinding" in d and
               "--allow-local-binding" in d for d in r.denials), r
    r = sb.exec(["python3", "-c", code], flags=["--allow-local-binding"])
    assert r.rc == 0 and "bound-and-connected" in r.out, r
    assert r.denials == [], r


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "::1", "[::1]", "api.localhost",
                                  "127.1"])
def test_loopback_in_allowed_domains_is_125(sb, name):
    r = sb.exec(["true"], flags=allow(name))
    assert r.rc == 125, r
    assert "--allow-host-port" in r.err, r


def test_loopback_in_settings_allowed_domains_is_125(sb):
    s = sb.project / "settings.json"
    s.write_text(json.dumps({"network": {"allowedDomains": ["example.com", "localhost"]}}))
    r = sb.exec(["true"], flags=["--settings", str(s)])
    assert r.rc == 125, r
    assert "network.allowedDomains localhost" in r.err and "--allow-host-port" in r.err, r


def test_settings_keys_and_policy_output(sb):
    s = sb.project / "settings.json"
    s.write_text(json.dumps({"network": {"publishPorts": ["8080:3000"], "allowHostPorts": [5432]}}))
    p = sb.host_sh(f"{sb.binary} policy --settings {s} --publish 3001 --allow-host-port 6379 "
                   "--json")
    assert p.rc == 0, p
    j = json.loads(p.out)["network"]
    assert j["publishPorts"] == [{"hostPort": 8080, "port": 3000}, {"hostPort": 3001, "port": 3001}]
    assert j["allowHostPorts"] == [5432, 6379]
    p = sb.host_sh(f"{sb.binary} policy --settings {s}")
    assert "host 127.0.0.1:8080 -> 127.0.0.1:3000 inside" in p.out, p
    assert "127.0.0.1:5432 inside -> the host's 127.0.0.1:5432" in p.out, p


class WebSocketEcho:
    """A host-side WebSocket endpoint that answers the upgrade (RFC 6455 accept key) and then
    echoes raw bytes; records each request head."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.heads = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def _loop(self):
        while not self._stop.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        c.settimeout(10)
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                d = c.recv(4096)
                if not d:
                    return
                head += d
            text, rest = head.split(b"\r\n\r\n", 1)
            self.heads.append(text.decode(errors="replace"))
            key = b""
            for line in text.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"sec-websocket-key":
                    key = v.strip()
            accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
            c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n" +
                      b"server-first:")
            if rest:
                c.sendall(rest)
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)
        except OSError:
            pass
        finally:
            c.close()


WS_CLIENT = r"""
import json, socket, sys
host, port = sys.argv[1], int(sys.argv[2])
c = socket.create_connection(("127.0.0.1", 3128), timeout=10)
c.sendall((f"GET http://{host}:{port}/chat HTTP/1.1\r\nHost: {host}:{port}\r\n"
           "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").encode())
data = b""
while b"\r\n\r\n" not in data:
    d = c.recv(4096)
    if not d:
        break
    data += d
head, _, rest = data.partition(b"\r\n\r\n")
status = head.split(b"\r\n")[0].decode()
echo = rest
if status.startswith("HTTP/1.1 101"):
    payload = b"x" * 200000 + b"-end"
    c.sendall(payload)
    c.shutdown(socket.SHUT_WR)
    while True:
        d = c.recv(65536)
        if not d:
            break
        echo += d
print(json.dumps({"status": status, "head": head.decode(), "echo_len": len(echo),
                  "echo_ok": echo == b"server-first:" + b"x" * 200000 + b"-end"}))
"""


def test_websocket_upgrade_through_http_proxy(sb):
    with WebSocketEcho() as ws:
        (sb.project / "ws.py").write_text(WS_CLIENT)
        flags = allow(ALLOWED) + pin(ALLOWED, DENIED)
        r = sb.exec(["python3", "ws.py", ALLOWED, str(ws.port)], flags=flags)
        assert r.rc == 0, r
        out = json.loads(r.out.strip().splitlines()[-1])
        assert out["status"].startswith("HTTP/1.1 101"), out
        assert "sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=" in out["head"].lower(), out
        assert out["echo_ok"], out
        assert len(ws.heads) == 1, ws.heads
        h = ws.heads[0].lower()
        assert h.startswith("get /chat http/1.1"), h
        assert "upgrade: websocket" in h and "connection: upgrade" in h, h
        assert "sec-websocket-key: dghlihnhbxbszsbub25jzq==" in h, h
        # The decision still applies: a denied name gets 403 and reaches nothing.
        r = sb.exec(["python3", "ws.py", DENIED, str(ws.port)], flags=flags)
        out = json.loads(r.out.strip().splitlines()[-1])
        assert out["status"].startswith("HTTP/1.1 403"), out
        settle()
        assert len(ws.heads) == 1, ws.heads
