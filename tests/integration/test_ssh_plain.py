"""Plain `ssh` to a pinned sshd (issue 11, transparent network): `ssh -p PORT user@NAME cmd` with
no ProxyCommand and no proxy variable reaches a real SSH server when --allow-domain NAME:PORT
allows it, and fails with a paddock denial line when the name, the port or the address is not
allowed.

There is no sshd here, and the suite must not start one on port 22: the server is paramiko's,
in this process, on an ephemeral port of 127.0.0.1. It authenticates one client key and one
user, answers an exec request with a token and the command it got, and records every
connection, login and command, so the test asserts from the host what arrived. Names are pinned
with --resolve to that server, the denied ones too: a leak would show as a connection."""

import secrets
import shlex
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import TIMEOUT
from netutil import ALLOWED, DENIED, SERVER_TIMEOUT, allow, audit_lines, pin, settle, wait_for

paramiko = pytest.importorskip("paramiko", reason="python3-paramiko (scripts/install-deps.sh)")

USER = "paddock-it"
COMMAND = "echo hi"
# ssh reads the system ssh_config (and the passwd home's ~/.ssh/config) unless -F names a file:
# both ways must stay plain, so each case runs with either.
CONFIGS = {"system-config": [], "no-config": ["-F", "/dev/null"]}


def keygen(path: Path):
    """An ed25519 key pair without passphrase at path and path.pub (OpenSSH's own format, which
    both ssh and paramiko read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f",
                    str(path)], check=True, capture_output=True, timeout=TIMEOUT,
                   stdin=subprocess.DEVNULL)
    return path


class _Interface(paramiko.ServerInterface):
    """One connection's answers: public-key login for USER with the one client key, session
    channels, exec requests (recorded, then served by the connection's thread); nothing else."""

    def __init__(self, server, conn):
        self.server = server
        self.conn = conn
        self.execs = {}  # channel id -> the command of its accepted exec request

    def get_allowed_auths(self, username):
        return "publickey"

    def check_auth_publickey(self, username, key):
        # Called for the client's query ("would this key do?") and again, once paramiko has
        # verified the signature, for the login itself.
        ok = username == USER and (key.get_name(), key.get_base64()) == self.server.client_key
        self.server.note(self.conn, "offers", (username, key.get_name(), ok))
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel, command):
        text = command.decode(errors="replace")
        self.server.note(self.conn, "commands", text)
        self.execs[channel.get_id()] = text
        return True


class SSHServer:
    """A real SSH server (paramiko) on an ephemeral port of 127.0.0.1, one thread per connection.

    `connections` holds one record per accepted TCP connection: the peer, the public keys
    offered (user, key type, accepted), the user logged in (signature verified) and the exec
    commands received. Every wait is bounded by SERVER_TIMEOUT; close() stops the accept loop,
    closes every transport and joins the threads."""

    def __init__(self, host_key_file: Path, client_pub_file: Path):
        self.host_key = paramiko.Ed25519Key(filename=str(host_key_file))
        kind, b64 = client_pub_file.read_text().split()[:2]
        self.client_key = (kind, b64)
        self.token = "paddock-it-sshd-" + secrets.token_hex(6)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._lock = threading.Lock()
        self._records = []
        self._transports = []
        self._threads = []
        self._stop = threading.Event()
        self._accepter = threading.Thread(target=self._accept_loop, daemon=True)
        self._accepter.start()

    def known_hosts_line(self, name):
        """The known_hosts line for name on this port: ssh checks the host key strictly."""
        return f"[{name}]:{self.port} {self.host_key.get_name()} {self.host_key.get_base64()}\n"

    def reply(self, command):
        return f"{self.token} ran: {command}"

    def note(self, conn, field, value):
        with self._lock:
            conn[field].append(value)

    @property
    def connections(self):
        with self._lock:
            return [{k: (list(v) if isinstance(v, list) else v) for k, v in c.items()}
                    for c in self._records]

    @property
    def commands(self):
        return [cmd for c in self.connections for cmd in c["commands"]]

    def close(self):
        self._stop.set()
        self._accepter.join(timeout=5)
        with self._lock:
            transports = list(self._transports)
        for t in transports:
            t.close()
        for th in list(self._threads):
            th.join(timeout=5)
        self.sock.close()

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                c, peer = self.sock.accept()
            except OSError:  # socket.timeout is one
                continue
            conn = {"peer": peer[0], "offers": [], "user": None, "commands": []}
            with self._lock:
                self._records.append(conn)
            th = threading.Thread(target=self._serve, args=(c, conn), daemon=True)
            self._threads.append(th)
            th.start()

    def _serve(self, sock, conn):
        deadline = time.monotonic() + SERVER_TIMEOUT
        t = paramiko.Transport(sock)
        with self._lock:
            self._transports.append(t)
        t.banner_timeout = t.handshake_timeout = t.auth_timeout = SERVER_TIMEOUT
        t.add_server_key(self.host_key)
        iface = _Interface(self, conn)
        try:
            t.start_server(server=iface)
            while not self._stop.is_set() and t.is_active() and time.monotonic() < deadline:
                chan = t.accept(timeout=0.1)
                if chan is None:
                    continue
                with self._lock:
                    conn["user"] = t.get_username() if t.is_authenticated() else None
                if not wait_for(lambda: chan.get_id() in iface.execs or self._stop.is_set(),
                                max(0.0, deadline - time.monotonic())):
                    break
                self._answer(chan, iface.execs.get(chan.get_id(), ""), deadline)
        except (paramiko.SSHException, EOFError, OSError):
            pass
        finally:
            t.close()

    def _answer(self, chan, command, deadline):
        # paramiko sends the exec request's success reply only after check_channel_exec_request
        # returns, on its own thread; the client's EOF (stdin is /dev/null) comes after the
        # request, so once it is in, the reply is out and ours cannot overtake it.
        wait_for(lambda: chan.eof_received, min(2.0, max(0.0, deadline - time.monotonic())))
        chan.sendall((self.reply(command) + "\n").encode())
        chan.send_exit_status(0)
        chan.close()


@pytest.fixture
def client_key(sb):
    """The client's key pair, in the project (the sandbox sees it; ~/.ssh is hidden inside)."""
    return keygen(Path(sb.project) / "ssh-it" / "id_ed25519")


@pytest.fixture
def sshd(scratch, client_key):
    """The server, with a host key of its own (outside the project), accepting client_key; shut
    down when the test ends, whatever it did."""
    server = SSHServer(keygen(Path(scratch) / "sshd" / "host_ed25519"),
                       client_key.with_name(client_key.name + ".pub"))
    yield server
    server.close()


@pytest.fixture
def known_hosts(sb, sshd):
    """A known_hosts file in the project naming the server's key for ALLOWED and DENIED on its
    port, so ssh checks the key strictly and a denied name fails on the network, not the key."""
    kh = Path(sb.project) / "ssh-it" / "known_hosts"
    kh.write_text(sshd.known_hosts_line(ALLOWED) + sshd.known_hosts_line(DENIED))
    return kh


def ssh_argv(config, key, known_hosts, port, host, command=COMMAND):
    """Plain ssh: no ProxyCommand, the key and known_hosts from the project, never a prompt."""
    return ["ssh", *CONFIGS[config], "-p", str(port), "-i", str(key),
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
            "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known_hosts}",
            "-o", "GlobalKnownHostsFile=/dev/null", f"{USER}@{host}", command]


@pytest.fixture(autouse=True)
def _need_ssh():
    for tool in ("ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")


@pytest.mark.parametrize("config", CONFIGS)
def test_plain_ssh_config_has_no_proxycommand(sb, config):
    """What `ssh NAME` would do inside, as ssh itself computes it (ssh -G): no ProxyCommand from
    paddock or the host's config, so the tests below exercise capture, not paddock's SOCKS
    client. paddock's ProxyCommand is only in GIT_SSH_COMMAND, for git."""
    r = sb.sh(shlex.join(["ssh", *CONFIGS[config], "-G", "-p", "2222", f"{USER}@{ALLOWED}"]) +
              "; echo GIT_SSH_COMMAND=$GIT_SSH_COMMAND", flags=allow(ALLOWED) + pin(ALLOWED))
    assert r.rc == 0, r
    opts = dict(line.split(" ", 1) for line in r.out.splitlines()
                if " " in line and not line.startswith("GIT_SSH_COMMAND="))
    assert opts.get("hostname") == ALLOWED and opts.get("port") == "2222", r.out
    assert "proxycommand" not in opts and "proxyjump" not in opts, r.out
    assert "ProxyCommand=" in r.out.split("GIT_SSH_COMMAND=", 1)[1], r.out


@pytest.mark.parametrize("config", CONFIGS)
def test_plain_ssh_reaches_the_pinned_sshd(sb, sshd, client_key, known_hosts, scratch, config):
    """Allowed name and port: ssh logs in with the project's key, runs the command, prints the
    server's answer and exits 0; the server saw one connection, a login as USER with that key
    only, and exactly that command; the audit log says the flow was captured (not SOCKS through
    a ProxyCommand, not HTTP)."""
    log = Path(scratch) / "audit.jsonl"
    r = sb.exec(ssh_argv(config, client_key, known_hosts, sshd.port, ALLOWED),
                flags=pin(ALLOWED) + allow(f"{ALLOWED}:{sshd.port}") + ["--audit-log", str(log)],
                timeout=60)
    assert r.rc == 0, r
    assert r.out == sshd.reply(COMMAND) + "\n", r
    assert r.denials == [], r
    conns = sshd.connections
    assert len(conns) == 1, conns
    assert conns[0]["user"] == USER, conns
    assert set(conns[0]["offers"]) == {(USER, "ssh-ed25519", True)}, conns
    assert sshd.commands == [COMMAND], conns
    flows = [(l["protocol"], l["host"], l["port"], l["decision"]) for l in audit_lines(log)]
    assert flows == [("captured", ALLOWED, sshd.port, "allow")], flows


# (what ssh is told, the flags beyond the pins, the denial line's start; PORT is the server's)
DENIED_CASES = {
    "other-name": (DENIED, lambda port: allow(f"{ALLOWED}:{port}"),
                   "paddock: denied dns denied.test ("),
    "other-port": (ALLOWED, lambda port: allow(f"{ALLOWED}:22"),
                   "paddock: denied captured allowed.test:{port} (default-deny"),
    "pinned-address": ("127.0.0.1", lambda port: allow(f"{ALLOWED}:{port}"),
                       "paddock: denied connect 127.0.0.1:{port} ("),
}


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("case", DENIED_CASES)
def test_plain_ssh_not_allowed_is_denied(sb, sshd, client_key, known_hosts, case, config):
    """Not allowed: a name only pinned (the resolver says NXDOMAIN), the allowed name on a port
    the rule does not name (the proxy resets the captured connection), or the pinned address
    itself (the sandbox's own loopback, not the host's). ssh fails, paddock prints a denial line
    naming the destination, and the server, where every one of them would lead, saw nothing."""
    host, flags, line = DENIED_CASES[case]
    r = sb.exec(ssh_argv(config, client_key, known_hosts, sshd.port, host),
                flags=pin(ALLOWED, DENIED) + flags(sshd.port), timeout=60)
    assert r.rc == 255, r  # ssh's own failure, not paddock's 125
    expected = line.format(port=sshd.port)
    assert any(d.startswith(expected) for d in r.denials), (expected, r)
    settle()
    assert sshd.connections == [], sshd.connections
