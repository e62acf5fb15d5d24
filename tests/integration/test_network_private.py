"""Network (DESIGN 5, issue 8): an allowed name that resolves into a private network (RFC 1918,
100.64.0.0/10, fc00::/7, fec0::/10, and the IPv6 forms embedding those IPv4 ranges) is refused,
so DNS rebinding cannot reach the user's LAN or tailnet; network.allowPrivateAddresses opens
them; --resolve pins and IP-literal rules are the user's own choice and stay exempt.

End to end without touching /etc: paddock runs in a private mount namespace (a user namespace
too when the suite runs unprivileged) whose /etc/hosts is a bind of the test's own file, and in
an empty network namespace, so a dial that the filter lets through fails at once with "network
unreachable" (502) instead of leaving the machine. What is asserted is the proxy's decision:
403 and a denial naming the private address and the opt-in, or 502 (the dial was attempted).
A real server on a private address cannot be reached here: the filter refuses the host's own
addresses even with the opt-in (unit tests cover the dialled address itself)."""

import ctypes
import json
import os
import subprocess

import pytest

from conftest import TIMEOUT, Result
from netutil import allow, audit_lines, pin

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18

# name -> (address in the private /etc/hosts, refused by default?)
NAMES = {
    "lan.paddock.test": ("10.20.30.40", True),
    "office.paddock.test": ("172.16.0.9", True),
    "router.paddock.test": ("192.168.1.1", True),
    "tail.paddock.test": ("100.100.5.6", True),  # CGNAT / Tailscale
    "ula.paddock.test": ("fd7a:115c:a1e0::1", True),  # Tailscale's ULA prefix
    "site.paddock.test": ("fec0::5", True),
    "mapped.paddock.test": ("::ffff:192.168.7.7", True),  # an embedding IPv6 form
    "public.paddock.test": ("203.0.113.7", False),  # control: not private
}
PORT = 8080


def _namespaced(hosts_file):
    """preexec_fn: private mount (and, unprivileged, user) namespace with /etc/hosts replaced,
    and an empty network namespace. The host's /etc is never written."""
    def pre():
        libc = ctypes.CDLL(None, use_errno=True)
        uid, gid = os.geteuid(), os.getegid()
        flags = CLONE_NEWNS | CLONE_NEWNET | (0 if uid == 0 else CLONE_NEWUSER)
        if libc.unshare(flags) != 0:
            raise OSError(ctypes.get_errno(), "unshare")
        if uid != 0:
            for f, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                            ("gid_map", f"{gid} {gid} 1")):
                with open(f"/proc/self/{f}", "w") as fh:
                    fh.write(text)
        # Private first, so the bind below cannot propagate to the host's mount namespace.
        if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
        if libc.mount(str(hosts_file).encode(), b"/etc/hosts", None, MS_BIND, None) != 0:
            raise OSError(ctypes.get_errno(), "mount --bind hosts /etc/hosts")
    return pre


@pytest.fixture
def hosts_file(scratch):
    f = scratch / "hosts"
    f.write_text("127.0.0.1 localhost\n" +
                 "".join(f"{addr} {name}\n" for name, (addr, _) in NAMES.items()))
    os.chmod(f, 0o644)
    return f


@pytest.fixture
def run_private(sb, hosts_file):
    def run(cmd, flags=()):
        argv = sb.argv(["-c", cmd], flags)
        p = subprocess.run(argv, cwd=str(sb.project), env=sb.env(), capture_output=True,
                           text=True, timeout=TIMEOUT * 3, stdin=subprocess.DEVNULL,
                           preexec_fn=_namespaced(hosts_file))
        return Result(argv, p.returncode, p.stdout, p.stderr)
    return run


def curl_all(names, via="http"):
    px = "--noproxy '' -x http://127.0.0.1:3128"
    out = []
    for n in names:
        url = f"http://{n}:{PORT}/x"
        if via == "http":
            out.append(f"curl -sS --max-time 10 {px} -o /dev/null -w '{n}=%{{http_code}}\\n' {url}")
        else:
            out.append(f"curl -sS --max-time 10 --noproxy '' --socks5-hostname 127.0.0.1:1080 "
                       f"-o /dev/null {url}; echo {n}=$?")
    return "; ".join(out) + "; exit 0"


def codes(r):
    return dict(l.split("=", 1) for l in r.out.splitlines() if "=" in l)


def settings(tmp_path, **network):
    s = tmp_path / "settings.json"
    s.write_text(json.dumps({"network": network}))
    return ["--settings", str(s)]


def test_private_names_refused_by_default(run_private, scratch):
    log = scratch / "audit.jsonl"
    r = run_private(curl_all(NAMES), flags=allow(*NAMES) + ["--audit-log", str(log)])
    c = codes(r)
    for name, (addr, private) in NAMES.items():
        if private:
            assert c.get(name) == "403", (name, r)
            assert any(name in d and "private address" in d and
                       "network.allowPrivateAddresses" in d for d in r.denials), (name, r)
        else:
            assert c.get(name) == "502", (name, r)  # control: dialled, unreachable here
            assert not any(name in d for d in r.denials), r
    lines = audit_lines(log)
    refused = [l for l in lines if l.get("decision") == "deny"]
    assert {l["host"] for l in refused} == {n for n, (_, p) in NAMES.items() if p}, lines
    assert all("private address" in l["reason"] for l in refused), refused
    mapped = next(l for l in refused if l["host"] == "mapped.paddock.test")
    assert "embeds 192.168.7.7" in mapped["reason"], mapped


def test_private_names_refused_over_socks(run_private):
    names = ["lan.paddock.test", "ula.paddock.test", "public.paddock.test"]
    r = run_private(curl_all(names, via="socks"), flags=allow(*names))
    c = codes(r)
    assert all(c.get(n) == "97" for n in names), r  # every SOCKS failure is 97 to curl
    for n in names[:2]:
        assert any(n in d and "socks5" in d and "private address" in d for d in r.denials), r
    assert not any("public.paddock.test" in d for d in r.denials), r  # control: dialled


def test_allow_private_addresses_opens_them(run_private, tmp_path):
    r = run_private(curl_all(NAMES),
                    flags=allow(*NAMES) + settings(tmp_path, allowPrivateAddresses=True))
    c = codes(r)
    for name in NAMES:
        assert c.get(name) == "502", (name, r)  # the proxy dialled it
    assert not any("private address" in d for d in r.denials), r
    assert "allowPrivateAddresses" in r.err and "warning" in r.err, r  # said when on


def test_pins_and_ip_literals_stay_exempt(run_private):
    """The user's own choice: a pinned name and an IP-literal rule reach private addresses."""
    px = "--noproxy '' -x http://127.0.0.1:3128"
    cmd = (f"curl -sS --max-time 10 {px} -o /dev/null -w 'pinned=%{{http_code}}\\n' "
           f"http://pinned.paddock.test:{PORT}/; "
           f"curl -sS --max-time 10 {px} -o /dev/null -w 'literal=%{{http_code}}\\n' "
           f"http://10.9.8.7:{PORT}/; "
           f"curl -sS --max-time 10 {px} -o /dev/null -w 'lan=%{{http_code}}\\n' "
           f"http://lan.paddock.test:{PORT}/; exit 0")
    r = run_private(cmd, flags=allow("pinned.paddock.test", "10.9.8.7", "lan.paddock.test") +
                    pin("pinned.paddock.test", addr="192.168.50.5"))
    c = codes(r)
    assert c.get("pinned") == "502" and c.get("literal") == "502", r
    assert c.get("lan") == "403", r  # control: the same kind of address, resolved, is refused


def test_policy_shows_the_opt_in(sb, tmp_path):
    p = subprocess.run([sb.binary, "policy"], cwd=str(sb.project), env=sb.env(),
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p
    assert "refused (network.allowPrivateAddresses is false)" in p.stdout, p.stdout
    assert "10.0.0.0/8" in p.stdout and "fc00::/7" in p.stdout, p.stdout
    on = settings(tmp_path, allowPrivateAddresses=True)
    p = subprocess.run([sb.binary, "policy", *on], cwd=str(sb.project), env=sb.env(),
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p
    assert "dialled (network.allowPrivateAddresses is true)" in p.stdout, p.stdout
    assert "warning: network.allowPrivateAddresses" in p.stdout, p.stdout
    j = json.loads(subprocess.run([sb.binary, "policy", "--json", *on], cwd=str(sb.project),
                                  env=sb.env(), capture_output=True, text=True,
                                  timeout=TIMEOUT).stdout)
    assert j["network"]["allowPrivateAddresses"] is True
    assert any("allowPrivateAddresses" in w for w in j["warnings"])


@pytest.mark.parametrize("value", ["true", "1", "null", "[]"])
def test_allow_private_addresses_must_be_a_bool(sb, tmp_path, value):
    s = tmp_path / "bad.json"
    s.write_text('{"network": {"allowPrivateAddresses": %s}}' % value)
    if value == "true":
        r = sb.sh("echo RAN", flags=["--settings", str(s)])
        assert r.rc == 0 and "RAN" in r.out, r  # control
        return
    r = sb.sh("echo RAN", flags=["--settings", str(s)])
    assert r.rc == 125 and "RAN" not in r.out, r
    assert "network.allowPrivateAddresses" in r.err and "true or false" in r.err, r
