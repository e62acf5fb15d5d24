"""Host-side helpers for the git tests (test_git_*.py): a smart-HTTP git server, served
repositories, and the host's own git run where the user would run it, to see whether anything
the sandbox wrote makes it run a program.

The server is `git http-backend` behind a small threaded HTTP server on 127.0.0.1 (an ephemeral
port). The sandbox reaches it only through paddock's proxy, by a name pinned with
`--resolve NAME=127.0.0.1` and allowed with `--allow-domain`. Every request is recorded, so a test
can prove that a push arrived, or that a server the policy does not allow saw nothing at all.
"""

import http.server
import os
import pty
import select
import socketserver
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import HOST_PATH, TIMEOUT, init_repo
from netutil import SERVER_TIMEOUT, allow, pin

GIT_HOST = "git.test"        # allowed by the policy of these tests
EVIL_HOST = "evil.test"      # pinned to 127.0.0.1 as well, but never allowed
MAX_BODY = 64 << 20


# ---------------------------------------------------------------------------------------------
# the smart-HTTP server


class _GitHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "paddock-it-git"

    def log_message(self, *_args):  # quiet
        pass

    def _body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = b""
            for _ in range(100000):
                size = int(self.rfile.readline(1024).split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline(16)
                if len(body) > MAX_BODY:
                    break
            raise ValueError("request body too large")
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(n, MAX_BODY)) if n > 0 else b""

    def _cgi(self):
        path, _, query = self.path.partition("?")
        body = self._body() if self.command == "POST" else b""
        self.server.record({"method": self.command, "path": path, "query": query,
                            "host": self.headers.get("Host")})
        env = {
            "PATH": HOST_PATH,
            "HOME": str(self.server.root),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": urllib.parse.unquote(path),
            "QUERY_STRING": query,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type") or "",
            "CONTENT_LENGTH": str(len(body)),
        }
        for h in ("Git-Protocol", "Content-Encoding"):
            if self.headers.get(h):
                env["HTTP_" + h.upper().replace("-", "_")] = self.headers.get(h)
        try:
            p = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True,
                               timeout=60)
            out = p.stdout
        except subprocess.TimeoutExpired:
            out = b"Status: 504 timeout\r\n\r\n"
        head, sep, payload = out.partition(b"\r\n\r\n")
        if not sep:
            head, sep, payload = out.partition(b"\n\n")
        code, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                code = int(value.strip().split()[0])
            elif name:
                headers.append((name.strip(), value.strip()))
        if not sep:
            code, headers, payload = 502, [("Content-Type", "text/plain")], b"bad cgi output\n"
        self.send_response(code)
        for name, value in headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _cgi
    do_POST = _cgi


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, root):
        self.root = root
        self._lock = threading.Lock()
        self.requests = []
        super().__init__(("127.0.0.1", 0), _GitHandler)

    def record(self, rec):
        with self._lock:
            self.requests.append(rec)

    def get_request(self):
        sock, addr = super().get_request()
        sock.settimeout(SERVER_TIMEOUT)
        return sock, addr

    def handle_error(self, request, client_address):  # quiet: clients are hostile
        pass


class GitHTTPServer:
    """git's smart HTTP protocol for the bare repositories below `root` (a context manager)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.server = _Server(self.root)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def url(self, repo, host=GIT_HOST):
        return f"http://{host}:{self.port}/{repo}"

    @property
    def requests(self):
        with self.server._lock:
            return list(self.server.requests)

    def pushes(self):
        return [r for r in self.requests
                if r["method"] == "POST" and r["path"].endswith("/git-receive-pack")]


def served_repo(sb, root: Path, name: str, files=None, branch="main"):
    """A bare repository root/name (one commit holding `files`) that accepts pushes over HTTP."""
    work = root.parent / ("work-" + name.replace("/", "-"))
    init_repo(sb, work, commit=False)
    for rel, text in (files or {"file.txt": "hello\n"}).items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(text)
    sb.git("add", "-A", cwd=work)
    sb.git("commit", "-q", "-m", f"initial {name}", cwd=work)
    if branch != "main":
        sb.git("branch", "-q", "-m", branch, cwd=work)
    sb.git("clone", "-q", "--bare", str(work), str(root / name))
    sb.git("config", "http.receivepack", "true", cwd=root / name)
    return root / name


def net_flags(*allowed):
    """Reach the servers by name: GIT_HOST (and `allowed`) allowed, EVIL_HOST pinned but denied."""
    names = (GIT_HOST,) + tuple(allowed)
    return allow(*names) + pin(*names, EVIL_HOST)


@pytest.fixture
def git_server(scratch):
    with GitHTTPServer(scratch / "srv") as s:
        yield s


@pytest.fixture
def other_server(scratch):
    """A second server the policy never allows: it must see no request at all."""
    with GitHTTPServer(scratch / "srv-other") as s:
        yield s


# ---------------------------------------------------------------------------------------------
# the host's git


def host_git(sb, args, cwd, env=None, input=None, timeout=TIMEOUT):
    """git on the host (the user's git), never raising; returns the CompletedProcess."""
    e = sb.env()
    e.update(env or {})
    try:
        return subprocess.run(["git", *args], cwd=str(cwd), env=e, capture_output=True, text=True,
                              timeout=timeout, input=input,
                              stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as x:
        return subprocess.CompletedProcess(x.cmd, -1, "", f"timeout: {x}")


def host_git_tty(sb, args, cwd, env=None, timeout=TIMEOUT):
    """git on the host with a terminal on stdout (git starts a pager only then). Returns
    (returncode, output)."""
    e = sb.env()
    e.update({"TERM": "xterm", "LESS": "FRX"})
    e.update(env or {})
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen(["git", *args], cwd=str(cwd), env=e, stdin=slave, stdout=slave,
                             stderr=slave, close_fds=True, start_new_session=True)
    finally:
        os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.1)
            if r:
                try:
                    d = os.read(master, 65536)
                except OSError:
                    d = b""
                if not d:
                    break
                out += d
                if len(out) > 1 << 20:
                    break
            elif p.poll() is not None:
                break
        try:
            rc = p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
    finally:
        os.close(master)
    return rc, out.decode(errors="replace")


def config_entries(path: Path):
    """`git config --list` of one config file, as a list of lines (empty when it is absent)."""
    if not Path(path).exists():
        return []
    p = subprocess.run(["git", "config", "--no-includes", "--file", str(path), "--list"],
                       capture_output=True, text=True, timeout=TIMEOUT, env={"PATH": HOST_PATH})
    return p.stdout.splitlines()


def quote_value(v: str) -> str:
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def config_text(keys):
    """keys: [(name, value)] as `git config` takes them -> the text of a config file."""
    out = []
    for name, value in keys:
        section, _, rest = name.partition(".")
        sub, dot, key = rest.rpartition(".")
        head = f'[{section} "{sub}"]' if dot else f"[{section}]"
        out.append(f"{head}\n\t{key} = {quote_value(value)}\n")
    return "".join(out)


def sh_quote(s: str) -> str:
    return "'" + s.replace("'", "'\"'\"'") + "'"


# ---------------------------------------------------------------------------------------------
# payloads and the host's everyday git


def write_prog(path: Path, marker: Path, cat=False):
    """An executable that creates `marker` (and copies stdin to stdout when `cat`: a pager)."""
    path.write_text(f"#!/bin/sh\ntouch '{marker}'\n" + ("exec cat\n" if cat else "exit 0\n"))
    path.chmod(0o755)
    return path


def _fake_gpg_dir(base: Path):
    """A directory with a `gpg` that fails at once: the host's real gpg (and its agent) never
    starts when nothing planted replaced it; gpg.program, when planted, still wins."""
    d = base / "fakebin"
    if not d.exists():
        d.mkdir()
        (d / "gpg").write_text("#!/bin/sh\nexit 2\n")
        (d / "gpg").chmod(0o755)
    return d


def host_battery(sb, where: Path, scratch: Path):
    """What a user does in a repository on the host after an agent worked there: every git
    command below runs what the repository's config and hooks name (fsmonitor, pager, editor,
    aliases, filters, textconv, hooks, credential helpers, ssh, signing, transports...).
    Returns the commands' results (for messages)."""
    where = Path(where)
    env = {"EDITOR": "true", "PAGER": "cat", "GIT_TERMINAL_PROMPT": "0"}
    out = []

    def g(*args, tty=False, **kw):
        e = dict(env)
        e.update(kw.pop("env", {}))
        if tty:
            rc, o = host_git_tty(sb, list(args), where, env=e, timeout=15)
            out.append((args, rc))
        else:
            p = host_git(sb, list(args), where, env=e, timeout=15, **kw)
            out.append((args, p.returncode))

    g("status")
    f = where / "file.txt"
    if f.is_file():
        with open(f, "a") as fh:
            fh.write("host edit\n")
    g("diff")
    g("log", "-1", "-p", tty=True)
    g("diff", "HEAD", tty=True)
    g("add", "-A")
    g("commit", "-q", "-m", "host commit")
    g("commit", "--allow-empty")  # the editor
    g("commit", "-S", "--allow-empty", "-q", "-m", "signed",
      env={"PATH": f"{_fake_gpg_dir(scratch)}:{HOST_PATH}"})
    g("st")
    g("co")
    g("fetch", "-q", "origin")
    g("pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
    g("push", "-q", "origin", "HEAD:refs/heads/host-battery")
    g("ls-remote", "ssh://127.0.0.1:1/x")
    g("ls-remote", "git://127.0.0.1:1/x")
    g("credential", "fill", input="protocol=https\nhost=example.invalid\n\n")
    g("rebase", "-i", "HEAD~1")
    g("rebase", "--abort")
    if f.is_file():
        f.unlink()
        g("checkout", "--", "file.txt")  # the smudge filter
    g("checkout", "-q", "-b", "host-branch")  # post-checkout
    g("checkout", "-q", "-")
    g("status")
    return out
