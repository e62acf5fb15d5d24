"""Network, negative side (DESIGN 1 and 5): names the allowlist does not cover, IP literals,
suffix tricks, wildcard edges, deny-over-allow, port rules, and the proxy-protocol tricks (Host
mismatch, keep-alive smuggling, CL+TE, SNI, SOCKS) are refused, and the host-side server proves
that nothing reached it. Every denied name is pinned to the same live server as the allowed one,
so a proxy that let it through would be caught."""

import json

import pytest

from netutil import (ALLOWED, DENIED, HTTPRecorder, TCPRecorder, allow, audit_lines,  # noqa: F401
                     client_hello, deny, http_server, http_server2, inside, pin, settle, sni_body,
                     wait_for)

BASE = allow(ALLOWED) + pin(ALLOWED, DENIED)


def curl_code(url, extra="", tag="code"):
    return (f"curl -sS --max-time 10 {extra} -o /dev/null -w '{tag}=%{{http_code}}\\n' {url}; ")


# ---------------------------------------------------------------------------------------------
# rules


def test_unlisted_name_gets_403_with_header(sb, http_server):
    port = http_server.port
    r = sb.sh(f"curl -sS --max-time 10 -i http://{DENIED}:{port}/secret", flags=BASE)
    head = r.out.split("\r\n\r\n", 1)[0]
    assert head.startswith("HTTP/1.1 403"), r
    assert "x-proxy-error: blocked-by-paddock" in head.lower(), r
    assert http_server.requests == [] and http_server.connections == 0
    assert any(DENIED in d for d in r.denials), r
    # the exit summary names the exact flag that would allow it
    assert any(f"--allow-domain {DENIED}:{port} allows it" in d for d in r.denials), r


def test_denials_answer_at_once(inside, http_server):
    """Thirty denials (HTTP, CONNECT, SOCKS5) in well under the time of one timeout."""
    port = http_server.port
    r = inside(f"""
        t0 = time.monotonic()
        codes = []
        for i in range(10):
            req = ("GET http://{DENIED}:{port}/%d HTTP/1.1\\r\\n"
                   "Host: {DENIED}:{port}\\r\\n\\r\\n" % i)
            codes += status_codes(exchange(req.encode(), read_for=5)[0])
            con = "CONNECT {DENIED}:{port} HTTP/1.1\\r\\nHost: {DENIED}:{port}\\r\\n\\r\\n"
            codes += status_codes(exchange(con.encode(), read_for=5)[0])
            codes.append(socks5(3, "{DENIED}", {port}, read_for=5)["reply"])
        emit(codes=codes, elapsed=time.monotonic() - t0)
    """, flags=BASE)
    j = r.json
    assert j, r
    assert j["codes"] == [403, 403, 2] * 10, j
    assert j["elapsed"] < 5, j
    assert http_server.requests == [] and http_server.connections == 0


def test_unlisted_name_connect_and_socks(sb, http_server):
    port = http_server.port
    r = sb.sh(f"curl -sS --max-time 10 -p http://{DENIED}:{port}/a; echo connect_rc=$?; "
              f"curl -sS --max-time 10 --socks5-hostname 127.0.0.1:1080 http://{DENIED}:{port}/b;"
              f" echo socks_rc=$?", flags=BASE)
    assert "connect_rc=56" in r.out and "socks_rc=97" in r.out, r
    settle()
    assert http_server.requests == [] and http_server.connections == 0


def test_ip_literal_denied_unless_listed(sb, http_server):
    port = http_server.port
    px = "--noproxy '' -x http://127.0.0.1:3128"
    r = sb.sh(curl_code(f"http://127.0.0.1:{port}/v4", px, "v4") +
              curl_code(f"http://[::1]:{port}/v6", px, "v6") +
              curl_code(f"http://2130706433:{port}/decimal", px, "dec") +
              curl_code(f"http://0x7f.1:{port}/hex", px, "hex") +
              curl_code(f"http://[::ffff:127.0.0.1]:{port}/mapped", px, "mapped") +
              f"curl -sS --max-time 10 {px} -p http://127.0.0.1:{port}/c; echo connect_rc=$?",
              flags=BASE)
    for tag in ("v4", "v6", "dec", "hex", "mapped"):
        code = r.out.split(f"{tag}=", 1)[1][:3]
        assert code in ("403", "400"), (tag, r)
    assert "connect_rc=56" in r.out, r
    settle()
    assert http_server.requests == [] and http_server.connections == 0


SUFFIX_CASES = [
    # (name, allowed?) for allowedDomains = ["example.test"]
    ("example.test", True),
    ("EXAMPLE.Test", True),
    ("example.test.", True),
    ("evilexample.test", False),
    ("example.test.evil.net", False),
    ("sub.example.test", False),
    ("example.testx", False),
    ("xexample.test", False),
]


def test_exact_rule_and_suffix_tricks(sb, http_server):
    port = http_server.port
    names = [n for n, _ in SUFFIX_CASES]
    cmd = "".join(curl_code(f"http://{n}:{port}/{i}", tag=f"c{i}") for i, n in enumerate(names))
    r = sb.sh(cmd, flags=allow("example.test") + pin(*{n.lower().rstrip(".") for n in names}))
    for i, (n, ok) in enumerate(SUFFIX_CASES):
        code = r.out.split(f"c{i}=", 1)[1][:3]
        assert (code == "200") == ok, (n, code, r)
    expected = sorted(f"/{i}" for i, (_, ok) in enumerate(SUFFIX_CASES) if ok)
    assert sorted(http_server.paths()) == expected, http_server.requests


WILDCARD_CASES = [
    # for allowedDomains = ["*.example.test"]
    ("example.test", False),
    ("a.example.test", True),
    ("a.b.example.test", True),
    ("xexample.test", False),
    ("a.example.test.evil.net", False),
    ("a.xexample.test", False),
]


def test_wildcard_matches_subdomains_only(sb, http_server):
    port = http_server.port
    names = [n for n, _ in WILDCARD_CASES]
    cmd = "".join(curl_code(f"http://{n}:{port}/{i}", tag=f"c{i}") for i, n in enumerate(names))
    r = sb.sh(cmd, flags=allow("*.example.test") + pin(*names))
    for i, (n, ok) in enumerate(WILDCARD_CASES):
        code = r.out.split(f"c{i}=", 1)[1][:3]
        assert (code == "200") == ok, (n, code, r)
    expected = sorted(f"/{i}" for i, (_, ok) in enumerate(WILDCARD_CASES) if ok)
    assert sorted(http_server.paths()) == expected, http_server.requests


def test_deny_wins_over_allow(sb, http_server):
    port = http_server.port
    r = sb.sh(curl_code(f"http://good.example.test:{port}/good", tag="good") +
              curl_code(f"http://bad.example.test:{port}/bad", tag="bad") +
              curl_code(f"http://{ALLOWED}:{port}/both", tag="both") +
              f"curl -sS --max-time 10 --socks5-hostname 127.0.0.1:1080 "
              f"http://bad.example.test:{port}/bads; echo socks_rc=$?",
              flags=allow("*.example.test", ALLOWED) + deny("bad.example.test", ALLOWED) +
              pin("good.example.test", "bad.example.test", ALLOWED))
    assert "good=200" in r.out and "bad=403" in r.out and "both=403" in r.out, r
    assert "socks_rc=97" in r.out, r
    assert http_server.paths() == ["/good"], http_server.requests


def test_port_rule_on_keepalive_connection(inside, http_server, http_server2):
    """allowed.test:P1 only: a pipelined request to allowed.test:P2 on the same client
    connection is judged on its own port."""
    p1, p2 = http_server.port, http_server2.port
    first = _req(f"http://{ALLOWED}:{p1}/one", f"{ALLOWED}:{p1}")
    second = _req(f"http://{ALLOWED}:{p2}/two", f"{ALLOWED}:{p2}", "Connection: close\r\n")
    r = inside(f"""
        a, _ = exchange(({first!r} + {second!r}).encode())
        emit(a=status_codes(a))
    """, flags=allow(f"{ALLOWED}:{p1}") + pin(ALLOWED))
    assert r.json and r.json["a"] == [200, 403], r
    settle()
    assert http_server.paths() == ["/one"] and http_server2.requests == []
    assert http_server2.connections == 0


def test_deny_star_denies_everything(sb, http_server):
    port = http_server.port
    r = sb.sh(curl_code(f"http://{ALLOWED}:{port}/x", tag="a"), flags=BASE + deny("*"))
    assert "a=403" in r.out, r
    assert http_server.requests == []


# ---------------------------------------------------------------------------------------------
# HTTP proxy protocol tricks (raw bytes from a python script inside)


def _req(target, host, extra=""):
    return (f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: paddock-it\r\n{extra}\r\n")


def test_host_header_mismatch(inside, http_server):
    port = http_server.port
    good = _req(f"http://{ALLOWED}:{port}/match", f"{ALLOWED}:{port}", "Connection: close\r\n")
    bad = _req(f"http://{ALLOWED}:{port}/mismatch", f"{DENIED}:{port}", "Connection: close\r\n")
    bad2 = _req(f"http://{ALLOWED}:{port}/mismatch2", DENIED, "Connection: close\r\n")
    dup = (f"GET http://{ALLOWED}:{port}/duphost HTTP/1.1\r\nHost: {ALLOWED}:{port}\r\n"
           f"Host: {DENIED}\r\nConnection: close\r\n\r\n")
    r = inside(f"""
        res = {{}}
        for k, data in (("good", {good!r}), ("bad", {bad!r}), ("bad2", {bad2!r}),
                        ("dup", {dup!r})):
            ans, closed = exchange(data.encode())
            res[k] = status_codes(ans)
        emit(**res)
    """, flags=BASE)
    j = r.json
    assert j, r
    assert j["good"] == [200], j
    assert j["bad"] == [400] and j["bad2"] == [400], j
    assert j["dup"] == [400], j
    settle()
    assert http_server.paths() == ["/match"], http_server.requests
    assert all((q["host"] or "").startswith(ALLOWED) for q in http_server.requests)


def test_origin_form_request_not_forwarded(inside, http_server):
    """A request line without a scheme and host (what a server, not a proxy, receives), with Host
    naming a denied host, must not reach anything."""
    port = http_server.port
    data = _req("/origin", f"{DENIED}:{port}", "Connection: close\r\n")
    data2 = _req("/origin2", f"{ALLOWED}:{port}", "Connection: close\r\n")
    r = inside(f"""
        a, _ = exchange({data!r}.encode())
        b, _ = exchange({data2!r}.encode())
        emit(a=status_codes(a), b=status_codes(b))
    """, flags=BASE)
    assert r.json, r
    assert r.json["a"] and r.json["a"][0] in (400, 403), r.json
    settle()
    assert "/origin" not in http_server.paths(), http_server.requests


def test_keepalive_pipelined_second_request_denied(inside, http_server):
    port = http_server.port
    first = _req(f"http://{ALLOWED}:{port}/first", f"{ALLOWED}:{port}")
    second = _req(f"http://{DENIED}:{port}/second", f"{DENIED}:{port}")
    third = _req(f"http://{ALLOWED}:{port}/third", f"{ALLOWED}:{port}", "Connection: close\r\n")
    r = inside(f"""
        # pipelined in one write
        a, _ = exchange(({first!r} + {second!r} + {third!r}).encode())
        # sequential on one keep-alive connection: the denied request after the first answer
        b, _ = exchange({first!r}.encode(), then={second!r}.encode())
        emit(a=status_codes(a), b=status_codes(b))
    """, flags=BASE)
    j = r.json
    assert j, r
    assert j["a"][:2] == [200, 403], j
    assert j["b"][:2] == [200, 403], j
    settle()
    paths = http_server.paths()
    assert "/second" not in paths, http_server.requests
    assert paths.count("/first") == 2, paths
    assert all((q["host"] or "").startswith(ALLOWED) for q in http_server.requests)


def test_smuggled_request_in_body_is_not_a_request(inside, http_server):
    """A body that looks like a request to a denied host is forwarded as the allowed request's
    body, never interpreted as a second request to the denied host."""
    port = http_server.port
    inner = _req(f"http://{DENIED}:{port}/inner", f"{DENIED}:{port}")
    outer = (f"POST http://{ALLOWED}:{port}/outer HTTP/1.1\r\nHost: {ALLOWED}:{port}\r\n"
             f"Content-Length: {len(inner)}\r\nConnection: close\r\n\r\n{inner}")
    r = inside(f"""
        a, _ = exchange({outer!r}.encode())
        emit(a=status_codes(a))
    """, flags=BASE)
    assert r.json and r.json["a"] == [200], r
    settle()
    reqs = http_server.requests
    assert [q["path"] for q in reqs] == ["/outer"], reqs
    assert reqs[0]["body"] == inner.encode()


@pytest.mark.parametrize("headers", [
    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
    "Content-Length: 5\r\nContent-Length: 40\r\n",
    "Content-Length: 5, 40\r\n",
    "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
    "Transfer-Encoding: xchunked\r\n",
    "Content-Length: -1\r\n",
    "Content-Length : 5\r\n",
    " Content-Length: 5\r\n",
], ids=["cl-te", "te-cl", "cl-cl", "cl-list", "te-te", "te-unknown", "cl-negative",
        "space-before-colon", "leading-space"])
def test_ambiguous_framing_rejected(inside, http_server, headers):
    port = http_server.port
    smuggled = _req(f"http://{DENIED}:{port}/smuggled", f"{DENIED}:{port}")
    body = "0\r\n\r\n" + smuggled
    data = (f"POST http://{ALLOWED}:{port}/framing HTTP/1.1\r\nHost: {ALLOWED}:{port}\r\n"
            f"{headers}\r\n{body}")
    r = inside(f"""
        a, closed = exchange({data!r}.encode())
        emit(a=status_codes(a), closed=closed)
    """, flags=BASE)
    assert r.json, r
    # 400, or 501 for a transfer coding the proxy does not implement (RFC 9112 6.1)
    assert r.json["a"][:1] == [400] or (r.json["a"][:1] == [501] and "xchunked" in headers), r.json
    settle()
    assert http_server.requests == [], http_server.requests


def test_bare_lf_and_obs_fold_not_smuggled(inside, http_server):
    port = http_server.port
    folded = (f"GET http://{ALLOWED}:{port}/fold HTTP/1.1\r\nHost: {ALLOWED}:{port}\r\n"
              f"X-A: a\r\n Host: {DENIED}\r\nConnection: close\r\n\r\n")
    r = inside(f"""
        a, _ = exchange({folded!r}.encode())
        emit(a=status_codes(a))
    """, flags=BASE)
    assert r.json, r
    settle()
    for q in http_server.requests:
        assert DENIED not in (q["host"] or ""), q
        assert DENIED not in str(q["headers"]), q


# ---------------------------------------------------------------------------------------------
# CONNECT + TLS ClientHello SNI


def _connect(port, host=ALLOWED):
    return f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n"


@pytest.mark.parametrize("variant", ["whole", "pieces", "fragmented-records"])
def test_connect_sni_mismatch_refused(inside, variant, tmp_path):
    """CONNECT allowed.test, then a ClientHello whose SNI names denied.test: the tunnel closes and
    the target sees no byte. Sent whole, in small TCP pieces, or split over TLS records."""
    log = tmp_path / "audit.jsonl"
    with TCPRecorder(mode="sink") as bad_target, TCPRecorder(mode="sink") as good_target:
        r = inside(f"""
            import socket
            def tunnel(port, sni, variant):
                s = socket.create_connection(("127.0.0.1", PROXY_HTTP), timeout=5)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.sendall({_connect("PORT")!r}.replace("PORT", str(port)).encode())
                head = b""
                deadline = time.monotonic() + 5
                while b"\\r\\n\\r\\n" not in head and time.monotonic() < deadline:
                    d = s.recv(4096)
                    if not d:
                        break
                    head += d
                if variant == "fragmented-records":
                    hello = client_hello(sni, fragment=40)
                else:
                    hello = client_hello(sni)
                closed = False
                try:
                    if variant == "pieces":
                        for i in range(0, len(hello), 37):
                            s.sendall(hello[i:i + 37]); time.sleep(0.05)
                    else:
                        s.sendall(hello)
                    s.settimeout(1.5)
                    closed = s.recv(100) == b""
                except OSError:
                    closed = True
                s.close()
                return status_codes(head), closed
            emit(good=tunnel({good_target.port}, "{ALLOWED}", "{variant}"),
                 bad=tunnel({bad_target.port}, "{DENIED}", "{variant}"))
        """, flags=BASE + ["--audit-log", str(log)])
        j = r.json
        assert j, r
        assert j["good"][0] == [200], j
        assert j["bad"][0] == [200] and j["bad"][1] is True, j
        settle()
        # the positive control: an agreeing SNI's ClientHello arrives intact
        assert good_target.received[:1] == b"\x16", good_target.received[:16]
        assert bad_target.received == b"", bad_target.received[:64]
        # the refusal is reported like any other denial
        assert any(DENIED in d for d in r.denials), r
        denies = [e for e in audit_lines(log) if e["decision"] == "deny"]
        assert any(DENIED in json.dumps(e) for e in denies), audit_lines(log)


# ---------------------------------------------------------------------------------------------
# SOCKS


def test_socks5_literals_names_and_commands(inside):
    with TCPRecorder(mode="echo") as target:
        port = target.port
        r = inside(f"""
            res = {{}}
            res["name_ok"] = socks5(3, "{ALLOWED}", {port}, payload=b"socks-echo")
            res["name_denied"] = socks5(3, "{DENIED}", {port}, payload=b"X-denied")
            res["v4"] = socks5(1, "127.0.0.1", {port}, payload=b"X-v4")
            res["v6"] = socks5(4, "::1", {port}, payload=b"X-v6")
            res["mapped"] = socks5(4, "::ffff:127.0.0.1", {port}, payload=b"X-mapped")
            res["udp"] = socks5(3, "{ALLOWED}", {port}, cmd=3)
            res["bind"] = socks5(3, "{ALLOWED}", {port}, cmd=2)
            res["userpass_only"] = socks5(3, "{ALLOWED}", {port}, methods=b"\\x02")
            # SOCKS4 and SOCKS4a
            s4, _ = exchange(b"\\x04\\x01" + struct.pack("!H", {port}) + b"\\x7f\\x00\\x00\\x01"
                             + b"u\\x00X-socks4", port=PROXY_SOCKS, read_for=2)
            s4a, _ = exchange(b"\\x04\\x01" + struct.pack("!H", {port}) + b"\\x00\\x00\\x00\\x01"
                              + b"u\\x00{ALLOWED}\\x00X-socks4a", port=PROXY_SOCKS, read_for=2)
            emit(s4=s4, s4a=s4a, **res)
        """, flags=BASE)
        j = r.json
        assert j, r
        assert j["name_ok"]["reply"] == 0 and j["name_ok"]["data"] == "socks-echo", j
        assert j["name_denied"]["reply"] == 2, j
        assert j["v4"]["reply"] == 2, j
        assert j["v6"]["reply"] == 2, j
        assert j["mapped"]["reply"] == 2, j
        assert j["udp"]["reply"] == 7, j
        assert j["bind"]["reply"] == 7, j
        assert j["userpass_only"]["method"] == 0xFF, j
        for k in ("s4", "s4a"):  # no SOCKS4 grant (0x5a), nothing relayed
            assert j[k][1:2] != "\x5a", (k, j[k])
        settle()
        assert target.received == b"socks-echo", target.received
        assert target.connections == 1


# ---------------------------------------------------------------------------------------------
# resolved-address filter


def test_name_resolving_to_loopback_refused(sb, http_server):
    """`localhost` in allowedDomains is refused before anything runs (exit 125, naming
    --allow-host-port): inside, it is the sandbox's own loopback, and through the proxy the
    address filter refuses it (proxy_server_test NameThatResolvesToLoopbackIsRefused)."""
    port = http_server.port
    px = "--noproxy '' -x http://127.0.0.1:3128"
    r = sb.sh(f"curl -sS --max-time 10 {px} http://localhost:{port}/lo; echo reached",
              flags=allow("localhost"))
    assert r.rc == 125, r
    assert "reached" not in r.out, r
    assert "--allow-host-port" in r.err, r
    settle()
    assert http_server.requests == [] and http_server.connections == 0


# ---------------------------------------------------------------------------------------------
# a second server for denied names: 127.0.0.2, so that a request the proxy checked as one host
# but dialled as another is caught even when Host headers are rewritten


@pytest.fixture
def forbidden_server():
    with HTTPRecorder(host="127.0.0.2") as s:
        yield s


def _raw_requests(inside, reqs, flags):
    """Sends each raw request on its own connection; returns the status codes per request."""
    r = inside(f"""
        out = []
        for data in {reqs!r}:
            a, closed = exchange(data.encode("utf-8", "surrogateescape"), read_for=2)
            out.append(status_codes(a))
        emit(codes=out)
    """, flags=flags)
    assert r.json, r
    return r.json["codes"]


def test_url_confusion_targets(inside, http_server, forbidden_server):
    """Absolute-form targets that different URL parsers read differently (userinfo, fragment,
    backslash, whitespace): whatever the proxy makes of them, nothing reaches the denied host."""
    p, q = http_server.port, forbidden_server.port
    targets = [
        f"http://{ALLOWED}:{p}@{DENIED}:{q}/userinfo",
        f"http://{ALLOWED}@{DENIED}:{q}/userinfo2",
        f"http://{DENIED}:{q}#@{ALLOWED}:{p}/fragment",
        f"http://{DENIED}:{q}?@{ALLOWED}:{p}/query",
        f"http://{DENIED}:{q}\\@{ALLOWED}:{p}/backslash",
        f"http://{DENIED}:{q}\\\\{ALLOWED}:{p}/backslash2",
        f"http://{DENIED}:{q}%2f@{ALLOWED}:{p}/pct",
        f"http://{DENIED}%2e:{q}/pctdot",
        f"http://{ALLOWED}:{p}:{q}/twoports",
        f"http://{DENIED}:{q}%00{ALLOWED}:{p}/nul",
        f"http://{DENIED}:{q}\t{ALLOWED}:{p}/tab",
        f"http:/{DENIED}:{q}/oneslash",
        f"HTTP://{DENIED}:{q}/upper-scheme",
        f"//{DENIED}:{q}/scheme-relative",
    ]
    reqs = [f"GET {t} HTTP/1.1\r\nHost: {ALLOWED}:{p}\r\nConnection: close\r\n\r\n"
            for t in targets]
    codes = _raw_requests(inside, reqs, allow(ALLOWED) + pin(ALLOWED) +
                          pin(DENIED, addr="127.0.0.2"))
    settle()
    assert forbidden_server.requests == [] and forbidden_server.connections == 0, \
        (forbidden_server.requests, list(zip(targets, codes)))
    # a 200 may only come from the allowed server (e.g. origin-form "//x/..." judged by Host)
    assert len(http_server.requests) == sum(1 for c in codes if c[:1] == [200]), \
        (http_server.requests, list(zip(targets, codes)))


def test_connect_target_confusion(inside, http_server, forbidden_server):
    p, q = http_server.port, forbidden_server.port
    targets = [f"{ALLOWED}@{DENIED}:{q}", f"{DENIED}:{q}#{ALLOWED}:{p}", f"{ALLOWED}:{p}:{q}",
               f"{DENIED}:{q}/{ALLOWED}:{p}", f"{ALLOWED}:{p}\\@{DENIED}:{q}",
               f"{DENIED}:{q}%00{ALLOWED}", f"[{DENIED}]:{q}", f"{DENIED}:+{q}",
               f"{DENIED}:0{q}"]
    reqs = [f"CONNECT {t} HTTP/1.1\r\nHost: {ALLOWED}:{p}\r\n\r\nGET /via-connect HTTP/1.1\r\n"
            f"Host: x\r\nConnection: close\r\n\r\n" for t in targets]
    codes = _raw_requests(inside, reqs, allow(ALLOWED) + pin(ALLOWED) +
                          pin(DENIED, addr="127.0.0.2"))
    settle()
    assert forbidden_server.requests == [] and forbidden_server.connections == 0, \
        (forbidden_server.requests, list(zip(targets, codes)))


DENY_FORMS = ["BAD.EXAMPLE.TEST", "bad.example.test.", "Bad.Example.Test.", "bad.example.test"]


def test_deny_rule_not_bypassed_by_case_or_trailing_dot(inside, http_server, forbidden_server):
    """deniedDomains bad.example.test under an allowed *.example.test: the spelling of the name
    (case, trailing dot) must not slip past the deny rule, on any protocol."""
    p, q = http_server.port, forbidden_server.port
    flags = (allow("*.example.test") + deny("bad.example.test") + pin("good.example.test") +
             pin("bad.example.test", addr="127.0.0.2"))
    r = inside(f"""
        res = {{}}
        for name in {DENY_FORMS!r} + ["good.example.test"]:
            port = {p} if name.startswith("good") else {q}
            req = f"GET http://{{name}}:{{port}}/x HTTP/1.1\\r\\nHost: {{name}}:{{port}}\\r\\n" \\
                  f"Connection: close\\r\\n\\r\\n"
            http = status_codes(exchange(req.encode(), read_for=2)[0])
            conn = status_codes(exchange(f"CONNECT {{name}}:{{port}} HTTP/1.1\\r\\n"
                                         f"Host: {{name}}:{{port}}\\r\\n\\r\\n".encode(),
                                         read_for=1)[0])
            socks = socks5(3, name, port, read_for=0.5)["reply"]
            res[name] = [http, conn, socks]
        emit(**res)
    """, flags=flags)
    j = r.json
    assert j, r
    assert j["good.example.test"] == [[200], [200], 0], j
    for name in DENY_FORMS:
        http, conn, socks = j[name]
        assert http[:1] in ([403], [400]) and conn[:1] in ([403], [400]) and socks != 0, (name, j)
    settle()
    assert forbidden_server.requests == [] and forbidden_server.connections == 0, \
        forbidden_server.requests


def test_deny_rule_idna_normalised(inside, http_server, forbidden_server):
    """A unicode deny rule also covers its punycode (A-label) spelling and vice versa."""
    q = forbidden_server.port
    flags = (allow("*.example.test") + deny("bücher.example.test", "xn--mnchen-3ya.example.test")
             + pin("xn--bcher-kva.example.test", "xn--mnchen-3ya.example.test", addr="127.0.0.2"))
    r = inside(f"""
        res = {{}}
        for name in ("xn--bcher-kva.example.test", "XN--BCHER-KVA.example.test"):
            req = f"GET http://{{name}}:{q}/x HTTP/1.1\\r\\nHost: {{name}}:{q}\\r\\n" \\
                  f"Connection: close\\r\\n\\r\\n"
            res["http " + name] = status_codes(exchange(req.encode(), read_for=2)[0])
            res["socks " + name] = socks5(3, name, {q}, read_for=0.5)["reply"]
        for name in ("bücher.example.test", "münchen.example.test", "MÜNCHEN.example.test"):
            s = socket.create_connection(("127.0.0.1", PROXY_SOCKS), timeout=5)
            s.sendall(b"\\x05\\x01\\x00"); s.recv(2)
            raw = name.encode("utf-8")
            s.sendall(b"\\x05\\x01\\x00\\x03" + bytes([len(raw)]) + raw + struct.pack("!H", {q}))
            rep = s.recv(10)
            res["socks-utf8 " + name] = rep[1] if len(rep) > 1 else None
            s.close()
        emit(**res)
    """, flags=flags)
    j = r.json
    assert j, r
    for k, v in j.items():
        if k.startswith("http"):
            assert v[:1] in ([403], [400]), (k, j)
        else:
            assert v != 0, (k, j)
    settle()
    assert forbidden_server.requests == [] and forbidden_server.connections == 0


CHUNKED_OK = ["5\r\nhello\r\n0\r\n\r\n", "5;ext=1\r\nhello\r\n0\r\n\r\n",
              "005\r\nhello\r\n0\r\n\r\n", "A\r\nhellohello\r\n0\r\nX-Trailer: t\r\n\r\n"]
CHUNKED_BAD = ["5 \r\nhello\r\n0\r\n\r\n", "0x5\r\nhello\r\n0\r\n\r\n", "+5\r\nhello\r\n0\r\n\r\n",
               "-5\r\nhello\r\n0\r\n\r\n", "fffffffffffffffff5\r\nhello\r\n0\r\n\r\n",
               "5\nhello\n0\n\n", "5\r\nhelloXX\r\n0\r\n\r\n", "\r\n5\r\nhello\r\n0\r\n\r\n"]


def test_chunked_bodies(inside, http_server, forbidden_server):
    """Chunked request bodies: valid ones arrive decoded; a body the proxy cannot frame exactly
    is refused, and a request pipelined behind any of them never reaches the denied host."""
    p, q = http_server.port, forbidden_server.port
    smuggled = (f"GET http://{DENIED}:{q}/smuggled HTTP/1.1\r\nHost: {DENIED}:{q}\r\n"
                f"Connection: close\r\n\r\n")

    def post(i, body):
        return (f"POST http://{ALLOWED}:{p}/c{i} HTTP/1.1\r\nHost: {ALLOWED}:{p}\r\n"
                f"Transfer-Encoding: chunked\r\n\r\n{body}{smuggled}")

    reqs = [post(i, b) for i, b in enumerate(CHUNKED_OK + CHUNKED_BAD)]
    codes = _raw_requests(inside, reqs, allow(ALLOWED) + pin(ALLOWED) +
                          pin(DENIED, addr="127.0.0.2"))
    settle()
    assert forbidden_server.requests == [] and forbidden_server.connections == 0, \
        forbidden_server.requests
    for i in range(len(CHUNKED_OK)):
        assert codes[i][:1] == [200], (i, CHUNKED_OK[i], codes[i])
        assert codes[i][1:2] == [403], (i, codes[i])  # the pipelined request is judged on its own
    for i, b in enumerate(CHUNKED_BAD, start=len(CHUNKED_OK)):
        assert codes[i][:1] == [400] or codes[i] == [], (b, codes[i])
    got = {q_["path"]: q_["body"] for q_ in http_server.requests}
    for i in range(len(CHUNKED_OK)):
        assert got.get(f"/c{i}") in (b"hello", b"hellohello"), (i, got)


def test_proxy_survives_garbage(inside, http_server):
    """Malformed requests get an error answer, and the proxy keeps serving afterwards."""
    p = http_server.port
    junk = ["\r\n\r\n", "GET\r\n\r\n", "GET http://allowed.test HTTP/9.9\r\n\r\n",
            "G\x00ET / HTTP/1.1\r\n\r\n", "GET http://" + "a" * 70000 + "/ HTTP/1.1\r\n\r\n",
            f"GET http://{ALLOWED}:{p}/ HTTP/1.1\r\n" + "X: y\r\n" * 20000 + "\r\n",
            "CONNECT\r\n\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "CONNECT :443 HTTP/1.1\r\n\r\n",
            f"CONNECT {ALLOWED}:99999 HTTP/1.1\r\n\r\n", f"CONNECT {ALLOWED} HTTP/1.1\r\n\r\n"]
    ok = _req(f"http://{ALLOWED}:{p}/alive", f"{ALLOWED}:{p}", "Connection: close\r\n")
    codes = _raw_requests(inside, junk + [ok], BASE)
    for j, c in zip(junk, codes):
        assert c[:1] != [200], (j[:60], c)
    assert codes[-1] == [200], codes
    assert http_server.paths() == ["/alive"], http_server.requests


# OpenSSL accepts every one of these spellings of a ClientHello that names denied.test (checked
# by the positive control below on a direct connection); the proxy must refuse them all.
_EMPTY_HS = b"\x16\x03\x01\x00\x00"
SNI_VARIANTS = {
    "plain": lambda: client_hello(DENIED),
    "upper-case": lambda: client_hello(DENIED.upper()),
    "trailing-dot": lambda: client_hello(DENIED + "."),
    "empty-record-first": lambda: _EMPTY_HS + client_hello(DENIED),
    "record-version-ssl3": lambda: b"\x16\x03\x00" + client_hello(DENIED)[3:],
    "record-version-tls13": lambda: b"\x16\x03\x04" + client_hello(DENIED)[3:],
    "fragmented": lambda: client_hello(DENIED, fragment=7),
}
# These OpenSSL itself rejects; listed so that a proxy which only looks at one name is caught if
# some server does take the other.
SNI_ODD = {
    "list-allowed-denied": lambda: client_hello(sni_bodies=[sni_body(ALLOWED, DENIED)]),
    "list-denied-allowed": lambda: client_hello(sni_bodies=[sni_body(DENIED, ALLOWED)]),
    "two-extensions": lambda: client_hello(sni_bodies=[sni_body(ALLOWED), sni_body(DENIED)]),
    "other-type-first": lambda: client_hello(sni_bodies=[sni_body((1, ALLOWED), DENIED)]),
    "nul-inside": lambda: client_hello(ALLOWED.encode() + b"\x00" + DENIED.encode()),
}


@pytest.mark.parametrize("route", ["connect", "socks5"])
def test_sni_variants_against_real_tls_server(inside, scratch, route):
    from netutil import TLSRecorder, make_tls_context
    import socket as _s
    ctx = make_tls_context(scratch, names=(ALLOWED, DENIED))
    if ctx is None:
        pytest.skip("openssl is not available")
    variants = {k: f() for k, f in {**SNI_VARIANTS, **SNI_ODD}.items()}
    with TLSRecorder(ctx) as tls:
        # positive control, straight from the host: OpenSSL takes each SNI_VARIANTS hello and
        # reports the denied name
        for k in SNI_VARIANTS:
            with _s.create_connection(("127.0.0.1", tls.port), timeout=5) as c:
                c.sendall(variants[k])
                c.settimeout(3)
                first = c.recv(6)
            assert first[:1] == b"\x16", (k, first)  # a ServerHello
        assert wait_for(lambda: len(tls.sni) >= len(SNI_VARIANTS)), tls.sni
        assert all(n.lower().rstrip(".") == DENIED for n in tls.sni), tls.sni
        tls.sni.clear()
        r = inside(f"""
            res = {{}}
            variants = {variants!r}
            for k, hello in list(variants.items()) + [("control", client_hello("{ALLOWED}"))]:
                if "{route}" == "connect":
                    s = socket.create_connection(("127.0.0.1", PROXY_HTTP), timeout=5)
                    s.sendall(b"CONNECT {ALLOWED}:{tls.port} HTTP/1.1\\r\\n"
                              b"Host: {ALLOWED}:{tls.port}\\r\\n\\r\\n")
                    head = s.recv(1000)
                    ok = head.startswith(b"HTTP/1.1 200")
                else:
                    s = socket.create_connection(("127.0.0.1", PROXY_SOCKS), timeout=5)
                    s.sendall(b"\\x05\\x01\\x00"); s.recv(2)
                    n = b"{ALLOWED}"
                    s.sendall(b"\\x05\\x01\\x00\\x03" + bytes([len(n)]) + n
                              + struct.pack("!H", {tls.port}))
                    ok = s.recv(10)[1:2] == b"\\x00"
                try:
                    s.sendall(hello)
                    s.settimeout(3)
                    answer = s.recv(6)
                except OSError as e:
                    answer = b""
                s.close()
                res[k] = [ok, answer]
            emit(**res)
        """, flags=BASE)
        j = r.json
        assert j, r
        assert j["control"][0] and j["control"][1][:1] == "\x16", j  # ServerHello came back
        for k in variants:
            assert j[k][0], (k, j[k])       # the tunnel itself was allowed
            assert j[k][1] == "", (k, j[k])  # and closed on the ClientHello
        settle()
        assert [n.lower().rstrip(".") for n in tls.sni] == [ALLOWED], tls.sni


def test_socks_survives_garbage(inside):
    """Malformed SOCKS bytes get no grant, and the SOCKS listener keeps serving afterwards."""
    with TCPRecorder(mode="echo") as target:
        port = target.port
        r = inside(f"""
            P = struct.pack("!H", {port})
            G = b"\\x05\\x01\\x00"  # greeting: no authentication
            junk = [b"", b"\\x05", b"\\x05\\x00", b"\\x05\\xff" + b"\\x00" * 255,
                    G + b"\\x05\\x01\\x00\\x03\\x00" + P,                 # empty name
                    G + b"\\x05\\x01\\x00\\x03\\xff" + b"a" * 255 + P,    # 255-byte name
                    G + b"\\x05\\x01\\x00\\x09\\x7f\\x00\\x00\\x01" + P,    # unknown ATYP
                    G + b"\\x05\\x01\\x00\\x03\\x0c{ALLOWED}" + struct.pack("!H", 0),
                    G + b"\\x04\\x01\\x00\\x03\\x0c{ALLOWED}" + P,        # version 4
                    b"GET http://{ALLOWED}:{port}/ HTTP/1.1\\r\\n\\r\\n",
                    b"\\x16\\x03\\x01\\x00\\x05hello"]
            out = []
            for j in junk:
                a, _ = exchange(j, port=PROXY_SOCKS, read_for=0.5)
                out.append(a)
            ok = socks5(3, "{ALLOWED}", {port}, payload=b"still-alive")
            emit(out=out, ok=ok)
        """, flags=BASE)
        j = r.json
        assert j, r
        for a in j["out"]:
            # never a success reply to a CONNECT (05 00 00 ...)
            assert not (len(a) >= 4 and a[2:4] == "\x05\x00"), j["out"]
        assert j["ok"]["reply"] == 0 and j["ok"]["data"] == "still-alive", j
        settle()
        assert target.received == b"still-alive", target.received
        assert target.connections == 1
