"""Network, positive side (DESIGN 5): allowed destinations are reachable through every route
paddock offers (HTTP forward proxy, CONNECT, SOCKS5, proxy environment for curl, python, git and
ssh, `paddock connect`), and the host-side server proves that the request arrived. Each test also
checks a denied neighbour in the same run, so that an allow-everything proxy fails it too."""

import json
import os
import shutil

import pytest

from netutil import (ALLOWED, DENIED, HTTPRecorder, TCPRecorder, allow, host_global_ipv4,  # noqa: F401
                     http_server, http_server2, inside, make_tls_context, pin, settle,
                     visible_paddock)

BASE = allow(ALLOWED) + pin(ALLOWED, DENIED)


def curl(args):
    return "curl -sS --max-time 10 " + args


def test_curl_http_forward_proxy(sb, http_server):
    port = http_server.port
    r = sb.sh(curl(f"http://{ALLOWED}:{port}/hello") + "; echo; " +
              curl(f"-o /dev/null -w 'denied=%{{http_code}}\\n' http://{DENIED}:{port}/nope"),
              flags=BASE)
    assert r.rc == 0, r
    assert http_server.token in r.out, r
    assert "denied=403" in r.out, r
    reqs = http_server.requests
    assert [q["path"] for q in reqs] == ["/hello"], reqs
    assert reqs[0]["host"] == f"{ALLOWED}:{port}", reqs
    # the proxy must not leak its own hop-by-hop headers upstream
    assert "proxy-connection" not in reqs[0]["headers"], reqs


def test_curl_connect_tunnel_plain(sb, http_server):
    """curl --proxytunnel: CONNECT allowed.test:PORT, then plain HTTP (no ClientHello, no SNI)."""
    port = http_server.port
    r = sb.sh(curl(f"-p http://{ALLOWED}:{port}/tunneled") + "; echo; " +
              curl(f"-p http://{DENIED}:{port}/nope") + "; echo denied_rc=$?", flags=BASE)
    assert http_server.token in r.out, r
    assert "denied_rc=56" in r.out, r  # CONNECT refused by the proxy
    assert http_server.paths() == ["/tunneled"], http_server.requests


def test_curl_https_through_connect(sb, http_server, scratch):
    """Real TLS through CONNECT: the ClientHello's SNI names the allowed host."""
    ctx = make_tls_context(scratch, names=(ALLOWED, DENIED))
    if ctx is None:
        pytest.skip("openssl is not available")
    shutil.copy(scratch / "tls.crt", sb.project / "ca.crt")
    with HTTPRecorder(tls_ctx=ctx) as tls:
        r = sb.sh(curl(f"--cacert ca.crt https://{ALLOWED}:{tls.port}/secure") + "; echo; " +
                  curl(f"--cacert ca.crt https://{DENIED}:{tls.port}/nope") + "; echo denied_rc=$?",
                  flags=BASE)
        assert tls.token in r.out, r
        assert "denied_rc=56" in r.out, r
        assert tls.paths() == ["/secure"], tls.requests
        assert tls.connections == 1, tls.connections


def test_curl_socks5_hostname(sb, http_server):
    port = http_server.port
    r = sb.sh(curl(f"--socks5-hostname 127.0.0.1:1080 http://{ALLOWED}:{port}/socks") + "; echo; " +
              # through $ALL_PROXY (socks5h://127.0.0.1:1080) once the HTTP proxy variables are gone
              "env -u http_proxy -u HTTP_PROXY " + curl(f"http://{ALLOWED}:{port}/allproxy") +
              "; echo; " +
              curl(f"--socks5-hostname 127.0.0.1:1080 http://{DENIED}:{port}/nope") +
              "; echo denied_rc=$?", flags=BASE)
    assert r.out.count(http_server.token) == 2, r
    assert "denied_rc=97" in r.out, r  # SOCKS connect refused
    assert http_server.paths() == ["/socks", "/allproxy"], http_server.requests


def test_python_urllib(inside, http_server):
    port = http_server.port
    r = inside(f"""
        import urllib.request, urllib.error
        ok = urllib.request.urlopen("http://{ALLOWED}:{port}/py", timeout=10).read().decode()
        try:
            urllib.request.urlopen("http://{DENIED}:{port}/nope", timeout=10)
            code, hdr = 200, None
        except urllib.error.HTTPError as e:
            code, hdr = e.code, e.headers.get("X-Proxy-Error")
        emit(ok=ok, code=code, hdr=hdr, proxies=urllib.request.getproxies())
    """, flags=BASE)
    assert r.rc == 0 and r.json, r
    assert http_server.token in r.json["ok"], r
    assert r.json["code"] == 403 and r.json["hdr"] == "blocked-by-paddock", r
    assert http_server.paths() == ["/py"], http_server.requests


def test_git_fetch_dumb_http(sb, scratch):
    """git over dumb HTTP through the proxy: the repository is created on the host and the
    objects are fetched inside. (Clone, push and the rest over git's smart protocol:
    test_git_remote.py.)"""
    srv = scratch / "srv"
    src = scratch / "src"
    srv.mkdir()
    sb.git("init", "-q", "-b", "main", str(src))
    (src / "file.txt").write_text("fetched over http through paddock\n")
    sb.git("add", "file.txt", cwd=src)
    sb.git("commit", "-q", "-m", "over http", cwd=src)
    sb.git("clone", "-q", "--bare", str(src), str(srv / "repo.git"))
    sb.git("update-server-info", cwd=srv / "repo.git")
    sb.git("init", "-q", "-b", "main", str(sb.project))
    with HTTPRecorder(root=str(srv)) as server:
        url = f"http://{ALLOWED}:{server.port}/repo.git"
        bad = f"http://{DENIED}:{server.port}/repo.git"
        r = sb.sh(f"git ls-remote {url}; git fetch -q {url} main && git show FETCH_HEAD:file.txt"
                  f" && git log --format=%s FETCH_HEAD; git ls-remote {bad} 2>&1;"
                  f" echo denied_rc=$?", flags=BASE)
        assert "fetched over http through paddock" in r.out and "over http" in r.out, r
        assert "refs/heads/main" in r.out, r
        assert "denied_rc=128" in r.out and "403" in r.out, r
        head = sb.git("rev-parse", "main", cwd=src).stdout.strip()
        assert sb.git("cat-file", "-t", head).stdout.strip() == "commit"  # objects landed
        paths = server.paths()
        assert any(p.startswith("/repo.git/info/refs") for p in paths), paths
        assert any(p.startswith("/repo.git/objects/") for p in paths), paths
        hosts = {q["host"] for q in server.requests}
        assert hosts == {f"{ALLOWED}:{server.port}"}, server.requests


@pytest.fixture
def echo_server():
    with TCPRecorder(mode="echo") as s:
        yield s


def test_paddock_connect_pipes_bytes(inside, echo_server, visible_paddock):
    """`paddock connect HOST PORT` as an ssh ProxyCommand would run it: stdin goes to the
    destination, the destination's bytes come back on stdout, and it exits when stdin closes."""
    payload = b"ping-through-paddock-connect-" + os.urandom(6).hex().encode()
    r = inside(f"""
        import select
        p = subprocess.Popen([{visible_paddock!r}, "connect", "{ALLOWED}", "{echo_server.port}"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdin.write({payload!r}); p.stdin.flush()
        got = b""
        deadline = time.monotonic() + 10
        while len(got) < {len(payload)} and time.monotonic() < deadline:
            ready, _, _ = select.select([p.stdout], [], [], 0.2)
            if ready:
                d = os.read(p.stdout.fileno(), 4096)
                if not d:
                    break
                got += d
        p.stdin.close()
        t0 = time.monotonic()
        try:
            rc = p.wait(timeout=8)
        except subprocess.TimeoutExpired:
            p.kill(); rc = "timeout"
        exit_s = time.monotonic() - t0
        err = p.stderr.read()
        d = subprocess.run([{visible_paddock!r}, "connect", "{DENIED}", "{echo_server.port}"],
                           input=b"should-not-arrive", capture_output=True, timeout=10)
        emit(got=got, rc=rc, exit_s=exit_s, err=err, drc=d.returncode, dout=d.stdout, derr=d.stderr)
    """, flags=BASE)
    j = r.json
    assert j, r
    assert j["got"] == payload.decode(), (j, r)
    assert j["rc"] == 0 and j["exit_s"] < 6, j
    assert j["drc"] != 0, j
    assert "denied" in j["derr"].lower() or "refused" in j["derr"].lower() or "not allowed" in \
        j["derr"].lower(), j
    assert "should-not-arrive" not in j["dout"], j
    assert echo_server.received == payload, echo_server.received
    assert echo_server.connections == 1


def test_git_ssh_command_proxycommand(sb):
    """git over ssh with paddock's own GIT_SSH_COMMAND: the ssh client's banner reaches the
    (fake) server through `paddock connect` and the SOCKS proxy."""
    with TCPRecorder(mode="line") as server, TCPRecorder(mode="line") as other:
        r = sb.sh("echo \"GSC=$GIT_SSH_COMMAND\"; "
                  f"GIT_TERMINAL_PROMPT=0 timeout 20 git ls-remote "
                  f"ssh://git@{ALLOWED}:{server.port}/repo.git 2>&1; echo rc=$?; "
                  f"GIT_TERMINAL_PROMPT=0 timeout 20 git ls-remote "
                  f"ssh://git@{DENIED}:{other.port}/repo.git 2>&1; echo rc=$?",
                  flags=BASE)
        assert "ProxyCommand" in r.out, r
        settle()
        assert server.received.startswith(b"SSH-2.0-"), (server.received, r)
        assert other.connections == 0 and other.received == b"", r


def test_settings_file_same_as_flag(sb, http_server, scratch):
    """network.allowedDomains / network.resolve in a settings file behave like the flags."""
    port = http_server.port
    settings = scratch / "settings.json"
    settings.write_text(json.dumps({"network": {
        "allowedDomains": [ALLOWED],
        "resolve": {ALLOWED: "127.0.0.1", DENIED: "127.0.0.1"}}}))
    cmd = (curl(f"-o /dev/null -w 'a=%{{http_code}}\\n' http://{ALLOWED}:{port}/a") + "; " +
           curl(f"-o /dev/null -w 'd=%{{http_code}}\\n' http://{DENIED}:{port}/d"))
    via_file = sb.sh(cmd, flags=["--settings", str(settings)])
    via_flag = sb.sh(cmd, flags=BASE)
    assert "a=200" in via_file.out and "d=403" in via_file.out, via_file
    assert via_file.out == via_flag.out, (via_file, via_flag)
    assert http_server.paths() == ["/a", "/a"], http_server.requests


def test_ip_literal_allowed_when_listed(sb):
    """An IP literal in allowedDomains is the user's explicit choice: reachable even though it is
    one of the host's own addresses (which the address filter refuses for names). Another port on
    the same address stays denied. (Loopback literals are refused at start: inside, loopback is
    the sandbox's own; test_network_host_services.py.)"""
    addrs = host_global_ipv4()
    if not addrs:
        pytest.skip("the host has no non-loopback IPv4 address")
    a = addrs[0]
    with HTTPRecorder(host=a) as server, HTTPRecorder(host=a) as other:
        px = "--noproxy '' -x http://127.0.0.1:3128 "
        r = sb.sh(curl(px + f"http://{a}:{server.port}/literal") + "; echo; " +
                  curl(px + f"-o /dev/null -w 'other=%{{http_code}}\\n' "
                            f"http://{a}:{other.port}/"),
                  flags=allow(f"{a}:{server.port}"))
        assert server.token in r.out, r
        assert "other=403" in r.out, r
        assert server.paths() == ["/literal"]
        assert other.requests == []


def test_port_restricted_rule(sb, http_server, http_server2):
    """allowed.test:PORT allows that port only."""
    p1, p2 = http_server.port, http_server2.port
    r = sb.sh(curl(f"-o /dev/null -w 'p1=%{{http_code}}\\n' http://{ALLOWED}:{p1}/one") + "; " +
              curl(f"-o /dev/null -w 'p2=%{{http_code}}\\n' http://{ALLOWED}:{p2}/two") + "; " +
              curl(f"-p -o /dev/null -w 'p2c=%{{http_code}}\\n' http://{ALLOWED}:{p2}/two") + "; " +
              curl(f"--socks5-hostname 127.0.0.1:1080 -o /dev/null http://{ALLOWED}:{p2}/two") +
              "; echo socks_rc=$?",
              flags=allow(f"{ALLOWED}:{p1}") + pin(ALLOWED))
    assert "p1=200" in r.out and "p2=403" in r.out, r
    assert "socks_rc=97" in r.out, r
    assert http_server.paths() == ["/one"]
    assert http_server2.requests == [] and http_server2.connections == 0


@pytest.mark.parametrize("source", [
    "flag",
    "settings",
    "flag-with-port",
])
def test_ipv6_literal_rule(sb, scratch, source):
    """An IPv6 literal in allowedDomains, written in brackets, allows that address through the
    HTTP proxy and SOCKS5 (ATYP 4); other addresses stay denied. The host's own global IPv6
    address: loopback literals are refused at start."""
    v6addr = host_global_ipv6()
    if v6addr is None:
        pytest.skip("the host has no global IPv6 address")
    with HTTPRecorder(host=v6addr) as v6:
        pattern = f"[{v6addr}]:{v6.port}" if source == "flag-with-port" else f"[{v6addr}]"
        if source == "settings":
            settings = scratch / "v6.json"
            settings.write_text(json.dumps({"network": {"allowedDomains": [pattern]}}))
            flags = ["--settings", str(settings)]
        else:
            flags = allow(pattern)
        px = "--noproxy '' -x http://127.0.0.1:3128 "
        r = sb.sh(curl(px + f"http://[{v6addr}]:{v6.port}/v6http") + "; echo; " +
                  curl(f"--noproxy '' --socks5-hostname 127.0.0.1:1080 "
                       f"http://[{v6addr}]:{v6.port}/v6socks") +
                  "; echo; " +
                  curl(px + f"-o /dev/null -w 'v4=%{{http_code}}\\n' http://127.0.0.1:{v6.port}/"),
                  flags=flags)
        assert r.rc == 0, r
        assert r.out.count(v6.token) == 2, r
        assert "v4=403" in r.out, r
        assert v6.paths() == ["/v6http", "/v6socks"], v6.requests


def host_global_ipv6():
    """One global (not link-local, not loopback) IPv6 address of the host that a socket can bind,
    or None."""
    import socket
    import subprocess
    ip = shutil.which("ip") or "/usr/sbin/ip"
    try:
        out = subprocess.run([ip, "-6", "-o", "addr", "show", "scope", "global"],
                             capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        parts = line.split()
        if "inet6" not in parts:
            continue
        addr = parts[parts.index("inet6") + 1].split("/")[0]
        try:
            with socket.socket(socket.AF_INET6) as s:
                s.bind((addr, 0))
            return addr
        except OSError:
            continue
    return None


def test_proxy_environment(sb):
    """The proxy variables of DESIGN 5, exactly."""
    r = sb.sh("env")
    env = dict(l.split("=", 1) for l in r.out.splitlines() if "=" in l)
    for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        assert env.get(k) == "http://127.0.0.1:3128", (k, env.get(k))
    for k in ("ALL_PROXY", "all_proxy"):
        assert env.get(k) == "socks5h://127.0.0.1:1080", (k, env.get(k))
    for k in ("NO_PROXY", "no_proxy"):
        assert set(env.get(k, "").split(",")) == {"localhost", "127.0.0.1", "::1"}, (k, env.get(k))
    assert env.get("GRPC_PROXY") or env.get("grpc_proxy"), env
    assert env.get("NODE_USE_ENV_PROXY") == "1", env
    jto = env.get("JAVA_TOOL_OPTIONS", "")
    for prop in ("-Dhttp.proxyHost=127.0.0.1", "-Dhttp.proxyPort=3128",
                 "-Dhttps.proxyHost=127.0.0.1", "-Dhttps.proxyPort=3128"):
        assert prop in jto, jto
    gsc = env.get("GIT_SSH_COMMAND", "")
    assert "ProxyCommand" in gsc and " connect %h %p" in gsc, gsc


def test_large_transfers_intact(sb, scratch):
    """Bulk data both ways through each route arrives byte for byte (the relay's buffering and
    splice paths)."""
    import hashlib
    root = scratch / "www"
    root.mkdir()
    blob = os.urandom(6 * 1024 * 1024 + 123)
    (root / "blob.bin").write_bytes(blob)
    up = os.urandom(3 * 1024 * 1024 + 7)
    (sb.project / "up.bin").write_bytes(up)
    want = hashlib.sha256(blob).hexdigest()
    with HTTPRecorder(root=str(root)) as server:
        u = f"http://{ALLOWED}:{server.port}/blob.bin"
        r = sb.sh(f"{curl(u)} | sha256sum; {curl('-p ' + u)} | sha256sum; "
                  f"{curl('--socks5-hostname 127.0.0.1:1080 ' + u)} | sha256sum; "
                  f"{curl(f'--data-binary @up.bin http://{ALLOWED}:{server.port}/upload')}",
                  flags=BASE, timeout=120)
        assert r.out.count(want) == 3, r
        posts = [q for q in server.requests if q["method"] == "POST"]
        assert len(posts) == 1 and posts[0]["body"] == up, [len(p["body"]) for p in posts]


def test_pin_with_several_addresses_falls_back_in_order(sb, http_server, scratch):
    """--resolve NAME=A,B dials B when the connect to A fails, through the proxy and through a
    captured connect, as a client resolving the name itself would; the settings file takes the
    same list as an array. Control: A alone really is unreachable."""
    port = http_server.port
    dead = "127.0.0.2"  # loopback, but nothing listens there on this port: refused at once
    probe = (curl(f"-o /dev/null -w 'proxy=%{{http_code}}\\n' http://{ALLOWED}:{port}/proxy") +
             "; " + curl(f"--noproxy '*' -o /dev/null -w 'captured=%{{http_code}}\\n' "
                         f"http://{ALLOWED}:{port}/captured"))
    r = sb.sh(probe, flags=allow(ALLOWED) + ["--resolve", f"{ALLOWED}={dead},127.0.0.1"])
    assert "proxy=200" in r.out and "captured=200" in r.out, r
    assert http_server.paths() == ["/proxy", "/captured"], http_server.requests

    settings = scratch / "pins.json"
    settings.write_text(json.dumps({"network": {
        "allowedDomains": [ALLOWED], "resolve": {ALLOWED: [dead, "127.0.0.1"]}}}))
    r = sb.sh(probe, flags=["--settings", str(settings)])
    assert "proxy=200" in r.out and "captured=200" in r.out, r
    assert http_server.paths() == ["/proxy", "/captured"] * 2, http_server.requests

    control = sb.sh(probe, flags=allow(ALLOWED) + ["--resolve", f"{ALLOWED}={dead}"])
    assert "proxy=200" not in control.out and "captured=200" not in control.out, control
    assert len(http_server.paths()) == 4, http_server.requests
