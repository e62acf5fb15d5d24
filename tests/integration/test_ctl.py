"""paddock ctl (issue 13, item 4): live control of a running sandbox from another terminal.

Each test starts a sandbox whose command waits, at marked steps, for a file the test creates in
the project (`step NAME` waits for NAME.go, at most 30 s) and leaves NAME.done when it gets
there, so the test can act in between: list, show, allow, deny. Destinations are pinned with
--resolve to host-side servers on 127.0.0.1, so each test proves what arrived there.

The control socket is $XDG_RUNTIME_DIR/paddock/ctl/<ID>.sock when that variable names a private
directory of the user's, else /tmp/paddock-<uid>/ctl/<ID>.sock. The suite's environment has no
XDG_RUNTIME_DIR unless a test sets one."""

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import IS_ROOT, TIMEOUT, host_env
from netutil import (ALLOWED, DENIED, HTTPRecorder, allow, http_server, pin, settle,  # noqa: F401
                     wait_for)

NAME = "ctl.test"
LONG = "sleep 0.3; echo ran"

PRELUDE = r"""
step() {
  n=0
  until [ -e "$1.go" ]; do
    n=$((n + 1)); [ $n -gt 600 ] && { echo "timeout at $1"; exit 99; }
    sleep 0.05
  done
  touch "$1.done"
}
mark() { touch "$1.done"; }
"""


def ctl_dir(env=None):
    xdg = (env or {}).get("XDG_RUNTIME_DIR")
    if xdg:
        return Path(xdg) / "paddock" / "ctl"
    return Path(f"/tmp/paddock-{os.geteuid()}/ctl")


def ctl(sb, *args, env=None, timeout=TIMEOUT):
    p = subprocess.run([sb.binary, "ctl", *args], capture_output=True, text=True,
                       timeout=timeout, env=sb.env(env), cwd=str(sb.project),
                       stdin=subprocess.DEVNULL)
    return p


class Running:
    """`paddock run [flags] -c PRELUDE+script` in the background."""

    def __init__(self, sb, script, flags=(), env=None, pass_fds=()):
        self.sb = sb
        self.env = env
        self.p = sb.popen(["-c", PRELUDE + script], flags=list(flags), env=env, text=True,
                          pass_fds=pass_fds)
        self.out = self.err = None

    def reached(self, name, timeout=20):
        assert wait_for(lambda: (Path(self.sb.project) / f"{name}.done").exists() or
                        self.p.poll() is not None, timeout), f"the command never reached {name}"
        assert self.p.poll() is None, self.finish()

    def go(self, name):
        (Path(self.sb.project) / f"{name}.go").touch()

    def finish(self, timeout=40):
        if self.out is None:
            try:
                self.out, self.err = self.p.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.out, self.err = self.p.communicate()
        return f"rc={self.p.returncode}\nstdout={self.out}\nstderr={self.err}"

    def id(self, timeout=10):
        """The sandbox's id, as `paddock ctl list` shows it for our paddock process."""
        found = []

        def look():
            r = ctl(self.sb, "list", env=self.env)
            for line in r.stdout.splitlines()[1:]:
                cols = line.split()
                if len(cols) > 2 and cols[1] == str(self.p.pid):
                    found.append(cols[0])
                    return True
            return False

        assert wait_for(look, timeout, 0.1), "paddock ctl list never showed the sandbox"
        return found[0]

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.finish()


@pytest.fixture
def running(sb):
    started = []

    def start(script, flags=(), env=None, pass_fds=()):
        r = Running(sb, script, flags, env, pass_fds)
        started.append(r)
        return r

    yield start
    for r in started:
        r.kill()


def get(port, tag, extra="", host=NAME):
    return (f"curl -sS --max-time 10 {extra} -o /dev/null -w '{tag}=%{{http_code}}\\n' "
            f"http://{host}:{port}/{tag}; ")


def captured(port, tag, host=NAME):
    # Ignores the proxy variables: the sandbox's resolver and the capture by name carry it.
    return (f"curl -sS --noproxy '*' --max-time 10 -o /dev/null -w '{tag}=%{{http_code}}\\n' "
            f"http://{host}:{port}/{tag}; echo {tag}_rc=$?; ")


# ---------------------------------------------------------------------------------------------
# list, show


def test_list_shows_a_running_sandbox(sb, running):
    r = running("step a; echo done", flags=["--ask-timeout", "5"])
    sid = r.id()
    assert len(sid) == 12 and all(c in "0123456789abcdef" for c in sid), sid
    out = ctl(sb, "list")
    assert out.returncode == 0, out
    header, *rows = out.stdout.splitlines()
    assert header.split() == ["ID", "PID", "STARTED", "QUESTIONS", "PROJECT", "COMMAND"], header
    row = next(l for l in rows if l.startswith(sid))
    assert str(sb.project.resolve()) in row and "bash -c '\\nstep() {" in row, row
    assert row.split()[4] == "-", row  # not asking: no question count
    sock = ctl_dir() / f"{sid}.sock"
    st = os.lstat(sock)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    assert st.st_uid == os.geteuid()
    for d in (ctl_dir(), ctl_dir().parent):
        dst = os.lstat(d)
        assert stat.S_ISDIR(dst.st_mode) and stat.S_IMODE(dst.st_mode) == 0o700, (d, oct(dst.st_mode))
    r.go("a")
    r.finish()
    assert r.p.returncode == 0 and "done" in r.out, r.finish()
    # Removed when the command ended, before paddock exits.
    assert not sock.exists()
    assert sid not in ctl(sb, "list").stdout


def test_show_prints_the_denials_the_sandbox_just_caused(sb, running, http_server):
    port = http_server.port
    r = running(get(port, "refused", host=DENIED) + "echo 'x=1' > .bashrc; mark caused; step end",
                flags=pin(DENIED))
    r.reached("caused")
    sid = r.id()
    show = ctl(sb, "show", sid[:6])  # a prefix of the id is enough
    assert show.returncode == 0, show
    text = show.stdout
    assert f"sandbox {sid}" in text and str(sb.project.resolve()) in text, text
    lines = text.split("recent denials")[1].splitlines()
    net = [l for l in lines if f"{DENIED}:{port}" in l]
    assert net and "network" in net[0] and "default-deny" in net[0], text
    fs = [l for l in lines if "/.bashrc" in l]
    assert fs and "filesystem" in fs[0], text
    assert "rules added with paddock ctl (this run only; no settings file changed): none" in text
    r.go("end")
    r.finish()
    assert "refused=403" in r.out, r.finish()
    assert http_server.requests == []


# ---------------------------------------------------------------------------------------------
# allow, deny


def test_allow_makes_a_refused_name_reachable_in_the_same_run(sb, running, http_server):
    port = http_server.port
    settings = Path(sb.home) / ".config" / "paddock" / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text('{"network": {"allowedDomains": ["other.test"]}}\n')
    before = settings.read_bytes()
    r = running(get(port, "before_proxy") + captured(port, "before_captured") +
                "mark refused; step allowed; " +
                get(port, "after_proxy") + captured(port, "after_captured"),
                flags=pin(NAME))
    r.reached("refused")
    sid = r.id()
    out = ctl(sb, "allow", sid, NAME)
    assert out.returncode == 0, out
    assert f"sandbox {sid}: allowed {NAME} for the rest of this run" in out.stdout, out
    assert "no settings file was changed" in out.stdout, out
    r.go("allowed")
    r.finish()
    assert "before_proxy=403" in r.out, r.finish()
    # Refused by the resolver before: no address for the name (curl exit 6).
    assert "before_captured_rc=6" in r.out, r.finish()
    assert "after_proxy=200" in r.out and "after_captured=200" in r.out, r.finish()
    assert http_server.paths() == ["/after_proxy", "/after_captured"]
    assert settings.read_bytes() == before
    show_rule = [l for l in r.err.splitlines() if "paddock: denied" in l]
    assert show_rule, r.err  # the refusals before the change are in the summary


def test_deny_makes_an_allowed_name_refused(sb, running, http_server):
    port = http_server.port
    r = running(get(port, "before") + f"getent hosts {NAME} >/dev/null; echo lookup_before=$?; "
                "mark first; step denied; " +
                get(port, "after_proxy") + captured(port, "after_captured") +
                f"getent hosts {NAME} >/dev/null; echo lookup_after=$?; ",
                flags=pin(NAME) + allow(NAME))
    r.reached("first")
    sid = r.id()
    out = ctl(sb, "deny", sid, NAME)
    assert out.returncode == 0 and f"denied {NAME}" in out.stdout, out
    show = ctl(sb, "show", sid)
    assert f"  deny  {NAME}" in show.stdout, show.stdout
    r.go("denied")
    r.finish()
    assert "before=200" in r.out and "lookup_before=0" in r.out, r.finish()
    assert "after_proxy=403" in r.out, r.finish()
    assert "after_captured_rc=6" in r.out and "lookup_after=2" in r.out, r.finish()
    assert http_server.paths() == ["/before"]
    assert f"ctl:{NAME}" in r.err, r.err  # the exit summary names the rule that refused


def test_allow_then_deny_of_the_same_pattern_replaces_it(sb, running, http_server):
    port = http_server.port
    r = running("step one; " + get(port, "one") + "mark got_one; step two; " + get(port, "two"),
                flags=pin(NAME))
    sid = r.id()
    assert ctl(sb, "deny", sid, NAME).returncode == 0
    out = ctl(sb, "allow", sid, NAME)
    assert "replacing its deny rule" in out.stdout, out
    r.go("one")
    r.reached("got_one")
    out = ctl(sb, "deny", sid, NAME)
    assert "replacing its allow rule" in out.stdout, out
    out = ctl(sb, "deny", sid, NAME)
    assert "was denied already" in out.stdout, out
    r.go("two")
    r.finish()
    assert "one=200" in r.out and "two=403" in r.out, r.finish()


def test_a_settings_deny_still_wins_and_ctl_says_so(sb, running):
    r = running("step end", flags=["--deny-domain", DENIED])
    sid = r.id()
    out = ctl(sb, "allow", sid, DENIED)
    assert out.returncode == 0, out
    assert "note: still denied" in out.stdout and "deniedDomains" in out.stdout, out
    r.go("end")
    r.finish()


class SilentAgent:
    """The harness's end of --agent-channel that never answers: it only records."""

    def __init__(self):
        self.ours, self.theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.lines = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        buf = b""
        self.ours.settimeout(60)
        try:
            while chunk := self.ours.recv(65536):
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    self.lines.append(json.loads(line))
        except OSError:
            pass

    def requests(self):
        return [m for m in self.lines if m.get("type") == "permission_request"]


def test_allow_answers_an_open_question(sb, running, http_server):
    port = http_server.port
    agent = SilentAgent()
    fd = agent.theirs.fileno()
    r = running(get(port, "asked") + get(port, "again"),
                flags=["--ask", "--ask-timeout", "30", "--agent-channel", str(fd)] + pin(NAME),
                pass_fds=(fd,))
    agent.theirs.close()
    sid = r.id()
    assert wait_for(lambda: agent.requests(), 10), "paddock never asked"
    show = ctl(sb, "show", sid)
    assert "asking: on (--ask), 1 open question" in show.stdout, show.stdout
    assert f"{NAME}:{port} (http)" in show.stdout, show.stdout
    listed = ctl(sb, "list").stdout
    assert any(l.startswith(sid) and l.split()[4] == "1" for l in listed.splitlines()), listed
    t0 = time.monotonic()
    out = ctl(sb, "allow", sid, f"{NAME}:{port}")
    assert out.returncode == 0 and "answered 1 open question (allow_run)" in out.stdout, out
    r.finish()
    assert time.monotonic() - t0 < 15
    assert "asked=200" in r.out and "again=200" in r.out, r.finish()
    assert http_server.paths() == ["/asked", "/again"]
    assert len(agent.requests()) == 1, agent.lines


# ---------------------------------------------------------------------------------------------
# errors and exit codes


def test_errors_and_exit_codes(sb, running):
    r = running("step end")
    sid = r.id()
    cases = [
        (["show", "0000000000ff"], 1, "no running sandbox has the id"),
        (["show", "zz"], 2, "is not a sandbox id"),
        (["show"], 2, "id is required"),
        (["allow", sid, "*.com"], 2, "public suffix"),
        (["allow", sid, "localhost:3000"], 2, "loopback"),
        (["allow", sid, "https://x.test/"], 2, "not a URL"),
        (["deny", sid, "a b"], 2, "whitespace"),
        (["allow", "0000000000ff", "x.test"], 1, "no running sandbox"),
        (["frob"], 2, ""),
        ([], 2, "subcommand is required"),
    ]
    for args, code, text in cases:
        out = ctl(sb, *args)
        assert out.returncode == code, (args, out)
        assert text in out.stderr, (args, out.stderr)
    # deny takes "*" (deny everything for the rest of the run)
    assert ctl(sb, "deny", sid, "*").returncode == 0
    r.go("end")
    r.finish()


# ---------------------------------------------------------------------------------------------
# the socket: only the user's, absent inside, gone at exit


def test_socket_and_directory_are_absent_inside(sb, running, home):
    """$XDG_RUNTIME_DIR in the home: the home is visible inside (through its layer), and the
    control directory must not be."""
    xdg = home / "run"
    xdg.mkdir(mode=0o700)
    os.chmod(xdg, 0o700)
    env = {"XDG_RUNTIME_DIR": str(xdg)}
    uid = os.geteuid()
    # First a run that makes the directory, so the next one starts with it on the host.
    first = running("step end", env=env)
    first_id = first.id()
    sock = ctl_dir(env) / f"{first_id}.sock"
    assert sock.exists(), list(ctl_dir(env).iterdir())
    script = (
        f"ls -a {xdg}; echo ls_rc=$?; "
        f"ls -a {xdg}/paddock 2>&1; echo inner_rc=$?; "
        f"ls -a /tmp/paddock-{uid} /run/user/{uid}/paddock 2>&1 | head -3; "
        "python3 -c \"import socket,sys\n"
        "s=socket.socket(socket.AF_UNIX)\n"
        "try:\n s.connect(sys.argv[1]); print('connected')\n"
        "except OSError as e: print('refused', e.errno)\" " + str(sock) + "; "
        "mark looked; step end")
    r = running(script, env=env)
    r.reached("looked")
    sid = r.id()
    assert (ctl_dir(env) / f"{sid}.sock").exists()
    r.go("end")
    first.go("end")
    r.finish()
    first.finish()
    assert "ls_rc=0" in r.out, r.finish()
    assert "paddock" not in r.out.split("ls_rc=0")[0].split(), r.out
    assert "inner_rc=2" in r.out, r.out  # ENOENT: absent, not "permission denied"
    assert "connected" not in r.out and "refused 2" in r.out, r.out
    assert f"/tmp/paddock-{uid}" in r.out and "No such file" in r.out, r.out
    assert not (ctl_dir(env) / f"{sid}.sock").exists()


def test_unsafe_control_directories_are_refused_with_a_warning(sb, home, scratch):
    # Longer than the socket's delay (control/server.h): a shorter run makes no socket.
    xdg = home / "run"
    xdg.mkdir(mode=0o700)
    os.chmod(xdg, 0o700)
    env = {"XDG_RUNTIME_DIR": str(xdg)}
    elsewhere = scratch / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (xdg / "paddock").symlink_to(elsewhere)
    r = sb.sh(LONG, env=env)
    assert r.rc == 0 and "ran" in r.out, r
    assert "warning: no control socket for this run" in r.err and "symlink" in r.err, r.err
    assert list(elsewhere.iterdir()) == []
    (xdg / "paddock").unlink()
    (xdg / "paddock").mkdir(mode=0o700)
    os.chmod(xdg / "paddock", 0o755)
    r = sb.sh(LONG, env=env)
    assert r.rc == 0 and "ran" in r.out, r
    assert "mode 0755 lets others in" in r.err, r.err
    assert not (xdg / "paddock" / "ctl").exists()
    r = sb.sh(LONG, env=env, flags=["--quiet"])
    assert r.rc == 0 and r.err == "", r
    if IS_ROOT:
        os.chmod(xdg / "paddock", 0o700)
        os.chown(xdg / "paddock", 65534, 65534)
        r = sb.sh(LONG, env=env)
        assert r.rc == 0 and "owned by uid 65534" in r.err, r.err
    # One the sandbox may write (here: inside the project) could have its socket replaced.
    inproject = sb.project / "run"
    inproject.mkdir(mode=0o700)
    os.chmod(inproject, 0o700)
    r = sb.sh(LONG, env={"XDG_RUNTIME_DIR": str(inproject)})
    assert r.rc == 0 and "which the sandbox may write" in r.err, r.err
    assert list(inproject.iterdir()) == []  # nothing made there
    # A runtime directory others may enter is not used at all: /tmp/paddock-UID instead.
    os.chmod(xdg, 0o755)
    r = sb.sh(LONG, env=env, flags=["--debug"])
    assert r.rc == 0 and f"control socket /tmp/paddock-{os.geteuid()}/ctl/" in r.err, r.err


def test_a_killed_run_leaves_a_socket_that_list_removes(sb, running):
    r = running("step end")
    sid = r.id()
    sock = ctl_dir() / f"{sid}.sock"
    os.kill(r.p.pid, signal.SIGKILL)
    r.finish()
    assert sock.exists()  # nobody removed it
    out = ctl(sb, "show", sid)
    assert out.returncode == 1 and "is not running any more" in out.stderr, out
    assert not sock.exists()  # show took it away too
    # One more, planted: a socket nobody listens on.
    stale = ctl_dir() / f"{secrets.token_hex(6)}.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(stale))
    s.close()
    # Not a socket: left alone.
    other = ctl_dir() / f"{secrets.token_hex(6)}.sock"
    other.write_text("not a socket")
    try:
        out = ctl(sb, "list")
        assert out.returncode == 0, out
        assert "removed 1 socket left by runs that were killed" in out.stderr, out
        assert not stale.exists() and other.exists()
    finally:
        other.unlink()
        if stale.exists():
            stale.unlink()


def other_user():
    for name in ("paddock-test", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        if pw.pw_uid != os.geteuid():
            return pw
    return None


def as_user(pw, argv, env=None, **kw):
    return subprocess.run(argv, user=pw.pw_uid, group=pw.pw_gid, extra_groups=[],
                          capture_output=True, text=True, timeout=TIMEOUT, env=env, **kw)


CONNECT = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print(json.dumps({"connect": e.errno})); sys.exit()
data = b""
# A refusing server answers at accept and closes; a send that comes after that close fails
# (EPIPE), but the refusal is already queued on our side and must still be read.
try:
    s.sendall(b'{"op":"summary"}\n')
except OSError:
    pass
try:
    while chunk := s.recv(4096):
        data += chunk
except OSError:
    pass
print(json.dumps({"connect": 0, "answer": data.decode(errors="replace")}))
"""


def test_another_user_cannot_reach_the_socket(sb, running):
    if not IS_ROOT:
        # The unprivileged pass cannot start another user's sandbox; root's directory, when
        # root has run one here (the root pass did), is closed to us.
        root_dir = Path("/tmp/paddock-0")
        if not root_dir.exists():
            pytest.skip("root has no control directory here to try")
        with pytest.raises(PermissionError):
            os.listdir(root_dir)
        with pytest.raises(PermissionError):
            os.listdir(root_dir / "ctl")
        return
    pw = other_user()
    if pw is None:
        pytest.skip("no other user to try with")
    r = running("step end")
    sid = r.id()
    sock = ctl_dir() / f"{sid}.sock"
    out = as_user(pw, ["python3", "-c", CONNECT, str(sock)], cwd="/")
    assert json.loads(out.stdout) == {"connect": 13}, out  # EACCES: the directory is 0700
    out = as_user(pw, [sb.binary, "ctl", "list"], env=host_env(Path(pw.pw_dir)), cwd="/")
    assert sid not in out.stdout, out
    r.go("end")
    r.finish()


def test_root_is_refused_by_a_users_sandbox(paddock):
    """The file mode does not stop root; the peer-credential check must."""
    if not IS_ROOT:
        pytest.skip("connecting to another user's socket needs root")
    pw = other_user()
    if pw is None:
        pytest.skip("no other user to try with")
    # Where the other user can reach it (the suite's base lies in root's home).
    base = Path(tempfile.mkdtemp(prefix="paddock-ctl-other-", dir="/tmp"))
    home = base / "home"
    project = base / "project"
    home.mkdir()
    project.mkdir()
    for d in (base, home, project):
        os.chown(d, pw.pw_uid, pw.pw_gid)
    env = host_env(home)
    env["USER"] = pw.pw_name
    d = Path(f"/tmp/paddock-{pw.pw_uid}/ctl")
    # That user's other runs (a killed one leaves its socket) are not this test's.
    before = set(d.glob("*.sock")) if d.is_dir() else set()
    p = subprocess.Popen([paddock, "run", "--ephemeral-home", "-c", PRELUDE + "step end"],
                         user=pw.pw_uid,
                         group=pw.pw_gid, extra_groups=[], cwd=str(project), env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        assert wait_for(lambda: d.is_dir() and set(d.glob("*.sock")) - before, 15), p.poll()
        socks = sorted(set(d.glob("*.sock")) - before)
        owned = [s for s in socks if os.lstat(s).st_uid == pw.pw_uid]
        assert owned
        out = subprocess.run(["python3", "-c", CONNECT, str(owned[0])], capture_output=True,
                             text=True, timeout=TIMEOUT)
        res = json.loads(out.stdout)
        assert res["connect"] == 0, res  # root passes the file mode ...
        answer = json.loads(res["answer"].splitlines()[0])
        assert answer["ok"] is False and "only by the user who started it" in answer["error"]
        assert "summary" not in answer
        # ... and paddock ctl, run as root, neither lists nor reaches it.
        r = subprocess.run([paddock, "ctl", "list"], capture_output=True, text=True,
                           timeout=TIMEOUT, env=host_env(Path("/root")))
        assert owned[0].name[:12] not in r.stdout
    finally:
        (project / "end.go").touch()
        try:
            p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
        shutil.rmtree(base, ignore_errors=True)
    assert p.returncode == 0
