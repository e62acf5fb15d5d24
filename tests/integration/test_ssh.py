"""ssh inside (issue 10, item 7): ~/.ssh/known_hosts and config readable, keys absent; the
user's agent through paddock's filter with --ssh-agent: listing and signing only."""

import os
import shutil
import signal
import subprocess

import pytest

from conftest import TIMEOUT, SECRET_PREFIX

# A raw ssh-agent protocol client run inside: each request on a fresh connection; prints the
# type of each answer (and the number of keys for a listing).
AGENT_CLIENT = r'''
import os, socket, struct, sys
def s(b): return struct.pack(">I", len(b)) + b
def ask(body):
    c = socket.socket(socket.AF_UNIX)
    c.connect(os.environ["SSH_AUTH_SOCK"])
    c.sendall(struct.pack(">I", len(body)) + body)
    def recv(n):
        out = b""
        while len(out) < n:
            d = c.recv(n - len(out))
            if not d: raise SystemExit("agent closed")
            out += d
        return out
    n = struct.unpack(">I", recv(4))[0]
    return recv(n)
ans = ask(b"\x0b")
count = struct.unpack(">I", ans[1:5])[0]
print("list", ans[0], count)
blob_len = struct.unpack(">I", ans[5:9])[0]
blob = ans[9:9 + blob_len]
print("sign", ask(b"\x0d" + s(blob) + s(b"paddock test data") + struct.pack(">I", 0))[0])
print("add", ask(b"\x11" + s(b"ssh-ed25519") + s(b"\x00" * 32) + s(b"\x00" * 64) + s(b"c"))[0])
print("remove", ask(b"\x12" + s(blob))[0])
print("remove_all", ask(b"\x13")[0])
print("lock", ask(b"\x16" + s(b"pw"))[0])
print("unlock", ask(b"\x17" + s(b"pw"))[0])
print("ext_query", ask(b"\x1b" + s(b"query"))[0])
print("ext_bind", ask(b"\x1b" + s(b"session-bind@openssh.com") + s(b"x"))[0])
'''


def ssh_files(home):
    ssh = home / ".ssh"
    ssh.mkdir(exist_ok=True)
    (ssh / "known_hosts").write_text("github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n")
    # ssh itself takes ~ and relative Include paths from the passwd entry's home, not $HOME
    # (the fake one here): the Include is absolute so that `ssh -G` below reads it too.
    (ssh / "config").write_text(f"Include {ssh}/conf.d/*\nHost gh\n  HostName github.com\n"
                                f"  IdentityFile {ssh}/conf.d/gh_deploy\n")
    (ssh / "conf.d").mkdir()
    (ssh / "conf.d" / "work").write_text("Host work\n  HostName work.example\n")
    (ssh / "conf.d" / "gh_deploy").write_text(f"{SECRET_PREFIX} deploy key\n")
    (ssh / "conf.d" / "server.pem").write_text(f"{SECRET_PREFIX} pem\n")


def test_known_hosts_and_config_readable_keys_absent(sb, home):
    ssh_files(home)
    r = sb.sh("cat ~/.ssh/known_hosts ~/.ssh/config ~/.ssh/conf.d/work; echo ---; "
              "ls -A ~/.ssh ~/.ssh/conf.d; echo ---; "
              "cat ~/.ssh/id_rsa ~/.ssh/id_ed25519 ~/.ssh/conf.d/gh_deploy ~/.ssh/conf.d/server.pem; "
              "ssh -F ~/.ssh/config -G work 2>/dev/null | grep -i '^hostname '; exit 0")
    shown, listing, rest = r.out.split("---\n")
    assert "github.com ssh-ed25519" in shown and "conf.d/*" in shown
    assert "HostName work.example" in shown
    assert SECRET_PREFIX not in r.out, r
    names = listing.split()
    for absent in ("id_rsa", "id_ed25519", "gh_deploy", "server.pem"):
        assert absent not in names, listing
    for present in ("known_hosts", "config", "conf.d", "work"):
        assert present in names, listing
    if shutil.which("ssh"):
        assert "hostname work.example" in rest.lower(), r  # ssh reads config and its Include


def test_ssh_files_read_only(sb, home):
    ssh_files(home)
    before = (home / ".ssh" / "known_hosts").read_text()
    r = sb.sh("echo evil >> ~/.ssh/known_hosts; echo x > ~/.ssh/config; "
              "echo k > ~/.ssh/new_key; exit 0")
    assert (home / ".ssh" / "known_hosts").read_text() == before
    assert "Include " in (home / ".ssh" / "config").read_text()
    assert not (home / ".ssh" / "new_key").exists()


def test_without_ssh_files_ssh_stays_absent(sb, home):
    # Only keys in ~/.ssh: nothing to re-open, the directory is not in the view at all.
    r = sb.sh("ls -A ~; test -e ~/.ssh && echo PRESENT; exit 0")
    assert "PRESENT" not in r.out and ".ssh" not in r.out.split(), r


@pytest.fixture
def agent(home, scratch):
    """A real ssh-agent (Debian's openssh-client) holding two keys whose files are hidden from
    the sandbox (in ~/.ssh)."""
    for tool in ("ssh-agent", "ssh-add", "ssh-keygen"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed")
    sock = scratch / "agent.sock"
    p = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    keys = []
    try:
        for _ in range(50):
            if sock.exists():
                break
            subprocess.run(["sleep", "0.1"])
        for name in ("id_ed25519_a", "id_ed25519_b"):
            k = home / ".ssh" / name
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f",
                            str(k)], check=True, timeout=TIMEOUT)
            keys.append(k)
        env = dict(os.environ, SSH_AUTH_SOCK=str(sock))
        subprocess.run(["ssh-add", "-q", *map(str, keys)], env=env, check=True,
                       timeout=TIMEOUT, capture_output=True)
        yield sock, keys
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=TIMEOUT)


def host_agent_keys(sock):
    r = subprocess.run(["ssh-add", "-l"], env=dict(os.environ, SSH_AUTH_SOCK=str(sock)),
                       capture_output=True, text=True, timeout=TIMEOUT)
    return r.returncode, r.stdout


def test_agent_absent_by_default(sb, agent):
    sock, _ = agent
    r = sb.sh("echo sock=$SSH_AUTH_SOCK", env={"SSH_AUTH_SOCK": str(sock)})
    assert r.out.strip() == "sock=", r


def test_agent_lists_and_signs_and_refuses_the_rest(sb, agent):
    sock, keys = agent
    r = sb.exec(["python3", "-c", AGENT_CLIENT], flags=["--ssh-agent"],
                env={"SSH_AUTH_SOCK": str(sock)})
    assert r.rc == 0, r
    got = dict((l.split()[0], l.split()[1:]) for l in r.out.splitlines())
    assert got["list"] == ["12", "2"], r.out        # SSH_AGENT_IDENTITIES_ANSWER, both keys
    assert got["sign"] == ["14"], r.out             # SSH_AGENT_SIGN_RESPONSE
    for refused in ("add", "remove", "remove_all", "lock", "unlock", "ext_query", "ext_bind"):
        assert got[refused] == ["5"], (refused, r.out)  # SSH_AGENT_FAILURE
    # The agent itself was never asked: both keys still there, and it is not locked.
    rc, listing = host_agent_keys(sock)
    assert rc == 0 and len(listing.splitlines()) == 2, listing


def test_agent_signs_with_ssh_keygen(sb, agent):
    sock, keys = agent
    pub = str(keys[0]) + ".pub"
    (sb.project / "data.txt").write_text("signed inside\n")
    r = sb.sh(f"test -e {keys[0]} && echo KEY-VISIBLE; ssh-keygen -Y sign -f {pub} -n file "
              "data.txt", flags=["--ssh-agent"], env={"SSH_AUTH_SOCK": str(sock)})
    assert "KEY-VISIBLE" not in r.out, r
    assert r.rc == 0, r
    sig = sb.project / "data.txt.sig"
    assert sig.exists(), r
    with open(sb.project / "data.txt", "rb") as data:
        chk = subprocess.run(["ssh-keygen", "-Y", "check-novalidate", "-n", "file", "-s", str(sig)],
                             stdin=data, capture_output=True, text=True, timeout=TIMEOUT)
    assert chk.returncode == 0, chk


def test_agent_limited_to_listed_keys(sb, agent):
    sock, keys = agent
    fp = subprocess.run(["ssh-keygen", "-lf", str(keys[1]) + ".pub"], capture_output=True,
                        text=True, check=True, timeout=TIMEOUT).stdout.split()[1]
    for flag in (fp, str(keys[1]) + ".pub"):
        r = sb.sh("ssh-add -l; echo data > d; "
                  f"ssh-keygen -Y sign -f {keys[0]}.pub -n file d >/dev/null 2>&1; echo a=$?; "
                  f"ssh-keygen -Y sign -f {keys[1]}.pub -n file d >/dev/null 2>&1; echo b=$?",
                  flags=["--ssh-agent-key", flag], env={"SSH_AUTH_SOCK": str(sock)})
        assert fp in r.out, r
        assert "id_ed25519_a" not in r.out, r
        assert "a=0" not in r.out and "b=0" in r.out, r


def test_agent_without_agent_is_125(sb):
    r = sb.sh("true", flags=["--ssh-agent"])
    assert r.rc == 125 and "SSH_AUTH_SOCK" in r.err, r
    r = sb.sh("true", flags=["--ssh-agent-key", "SHA256:nope"],
              env={"SSH_AUTH_SOCK": "/nonexistent/sock"})
    assert r.rc == 125, r


def test_a_key_under_any_name_stays_absent(sb, home):
    # A key called `github` (no key-like name) that config Includes, known_hosts a symlink to
    # it and known_hosts2 a hard link: all three would be re-opened by name alone.
    ssh = home / ".ssh"
    ssh.mkdir(exist_ok=True)
    key = (f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRET_PREFIX} key\n"
           "-----END OPENSSH PRIVATE KEY-----\n")
    (ssh / "github").write_text(key)
    (ssh / "config").write_text("Include github\nHost gh\n  HostName github.com\n")
    os.symlink("github", ssh / "known_hosts")
    os.link(ssh / "github", ssh / "known_hosts2")
    r = sb.sh("cat ~/.ssh/github ~/.ssh/known_hosts ~/.ssh/known_hosts2 ~/.ssh/config; exit 0")
    assert SECRET_PREFIX not in r.out, r
    assert "HostName github.com" in r.out, r  # config itself still re-opened
