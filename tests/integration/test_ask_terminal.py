"""--ask on the user's terminal (issue 13, item 2): paddock asks on its controlling terminal, the
command runs on a pty of paddock's own, and the terminal's modes are set back exactly.

The user's terminal is a pty made here (UserTerminal): paddock runs with it as its controlling
terminal, in its foreground, and (unless a test says otherwise) as stdin, stdout and stderr. The
test types on the master side and reads everything paddock and the command show there. Keys are
sent a moment after the question appears: paddock drops keys that arrive before a person could
have read it (ask/terminal_prompt.h). Destinations are pinned with --resolve to servers on
127.0.0.1, as in test_ask.py."""

import errno
import fcntl
import json
import os
import pty
import select
import signal
import socket
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path

import pytest

from conftest import Sandbox, descendants
from netutil import DENIED, deny, http_server, pin, settle  # noqa: F401

ASKED = "ask.test"
QUESTION = b"? [o]nce [r]un [a]lways [d]eny ("
AFTER_QUESTION = 0.4  # > kTypeaheadGuard (0.25 s)


@pytest.fixture
def tsb(paddock, home):
    """A sandbox whose project lies in the fake home (one project layout is enough here)."""
    proj = home / "proj"
    proj.mkdir()
    return Sandbox(paddock, home, proj)


class UserTerminal:
    """A pty standing for the user's terminal. Everything written to it is collected."""

    def __init__(self, rows=30, cols=100):
        self.master, self.slave = pty.openpty()
        self.resize(rows, cols)
        self.name = os.ttyname(self.slave)
        self.rdev = os.fstat(self.slave).st_rdev
        self.buf = bytearray()
        self.cond = threading.Condition()
        self.stopped = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def resize(self, rows, cols):
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def _read(self):
        while not self.stopped:
            r, _, _ = select.select([self.master], [], [], 0.05)
            if not r:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            with self.cond:
                self.buf += chunk
                self.cond.notify_all()

    def close(self):
        self.stopped = True
        self.reader.join(5)
        os.close(self.master)
        os.close(self.slave)

    def stty(self):
        """`stty -g` of the terminal, as the user's shell would find it."""
        return subprocess.run(["stty", "-g"], stdin=self.slave, capture_output=True, text=True,
                              timeout=10).stdout.strip()

    def start(self, sb, cmd, flags=(), stdin=None, pass_fds=(), env=None):
        """paddock run --ask [flags] -c CMD with this terminal as its controlling terminal."""
        slave = self.slave

        def become_foreground():
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

        return subprocess.Popen(sb.argv(["-c", cmd], ["--ask", *flags]), cwd=str(sb.project),
                                env=sb.env(env), stdin=slave if stdin is None else stdin,
                                stdout=slave, stderr=slave, start_new_session=True,
                                preexec_fn=become_foreground, pass_fds=pass_fds)

    def wait_for(self, needle, since=0, timeout=20):
        """The index just after the first `needle` at or after `since`."""
        needle = needle.encode() if isinstance(needle, str) else needle
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                at = self.buf.find(needle, since)
                if at >= 0:
                    return at + len(needle)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{needle!r} not shown; the terminal shows:\n"
                                         f"{bytes(self.buf).decode(errors='replace')}")
                self.cond.wait(left)

    def send(self, data):
        os.write(self.master, data.encode() if isinstance(data, str) else data)

    def answer(self, key, since=0, marker=QUESTION):
        """Waits for a question shown after `since`, then types `key`. Returns where the question
        ended."""
        at = self.wait_for(marker, since)
        at = self.wait_for(b" s) ", at)
        time.sleep(AFTER_QUESTION)
        self.send(key)
        return at

    def finish(self, p, timeout=60):
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise AssertionError(f"paddock did not exit; the terminal shows:\n{self.text()}")
        settle(0.2)  # the reader takes the last bytes
        return rc

    def text(self):
        with self.cond:
            return bytes(self.buf).decode(errors="replace").replace("\r\n", "\n").replace("\r", "")

    def questions(self):
        with self.cond:
            return self.buf.count(QUESTION)


@pytest.fixture
def term():
    t = UserTerminal()
    yield t
    t.close()


def get(port, path, extra="", host=ASKED, tag="code"):
    return (f"curl -sS --max-time 20 {extra} -o /dev/null -w '{tag}=%{{http_code}}\\n' "
            f"http://{host}:{port}{path}; ")


BASE = pin(ASKED, DENIED)


def stat_fields(pid):
    """(session, tty_nr) from /proc/PID/stat (readable for every process, dumpable or not)."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[3]), int(rest[4])


def test_allow_once_asks_again_and_the_terminal_is_set_back(tsb, term, http_server):
    port = http_server.port
    before = term.stty()
    p = term.start(tsb, "tty; " + get(port, "/one", tag="a") + get(port, "/two", tag="b"),
                   flags=BASE)
    at = term.answer("o")
    term.answer("o", since=at)
    assert term.finish(p) == 0, term.text()
    out = term.text()
    assert "a=200" in out and "b=200" in out, out
    assert term.questions() == 2, out
    assert f"paddock: allow {ASKED}:{port}, plain HTTP via the proxy? [o]nce" in out, out
    assert f"once\npaddock: {ASKED}:{port} allowed when asked (this connection)" in out, out
    assert http_server.paths() == ["/one", "/two"]
    # The command's terminal is paddock's pty, under its own name inside; not the user's.
    shown = [l for l in out.splitlines() if l.startswith("/dev/pts/")]
    assert shown and shown[0] != term.name, (term.name, out)
    assert term.stty() == before


def test_allow_run_is_not_asked_again(tsb, term, http_server):
    port = http_server.port
    p = term.start(tsb,
                   get(port, "/one", tag="a") + get(port, "/two", "-p", tag="b") +
                   f"curl -sS --max-time 20 --socks5-hostname 127.0.0.1:1080 -o /dev/null "
                   f"-w 'c=%{{http_code}}\\n' http://{ASKED}:{port}/three",
                   flags=BASE)
    term.answer("r")
    assert term.finish(p) == 0, term.text()
    out = term.text()
    assert "a=200" in out and "b=200" in out and "c=200" in out, out
    assert term.questions() == 1, out
    assert "allowed when asked (for this run)" in out, out
    assert sorted(http_server.paths()) == ["/one", "/three", "/two"]


def test_allow_always_is_written_to_the_settings_file(tsb, term, http_server):
    port = http_server.port
    settings = Path(tsb.home) / ".config" / "paddock" / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"network": {"allowedDomains": ["allowed.test"]}}))
    p = term.start(tsb, get(port, "/one", tag="a") + get(port, "/two", tag="b"), flags=BASE)
    term.answer("A")
    assert term.finish(p) == 0, term.text()
    out = term.text()
    assert "a=200" in out and "b=200" in out and term.questions() == 1, out
    assert (f'paddock: added "{ASKED}:{port}" to network.allowedDomains in {settings}' in out), out
    assert "allowed when asked (always: added to allowedDomains)" in out, out
    saved = json.loads(settings.read_text())
    assert saved["network"]["allowedDomains"] == ["allowed.test", f"{ASKED}:{port}"], saved
    # The next run is allowed from the file: no question, no terminal needed.
    r = tsb.sh(get(port, "/three"), flags=BASE)
    assert "code=200" in r.out, r


def test_deny_stands_for_the_run(tsb, term, http_server):
    port = http_server.port
    p = term.start(tsb, get(port, "/one", tag="a") + get(port, "/two", tag="b"), flags=BASE)
    term.answer("d")
    assert term.finish(p) == 0, term.text()
    out = term.text()
    assert "a=403" in out and "b=403" in out and term.questions() == 1, out
    assert f"{ASKED}:{port} was refused when asked" in out, out
    settle()
    assert http_server.requests == []


def test_ctrl_c_at_the_question_denies_and_does_not_reach_the_command(tsb, term, http_server):
    port = http_server.port
    p = term.start(tsb, "trap 'echo interrupted' INT; " + get(port, "/one") + "echo still-here",
                   flags=BASE)
    term.answer("\x03")
    assert term.finish(p) == 0, term.text()
    out = term.text()
    assert "code=403" in out and "still-here" in out and "interrupted" not in out, out
    assert "deny\n" in out


def test_any_other_key_asks_again(tsb, term, http_server):
    port = http_server.port
    p = term.start(tsb, get(port, "/one"), flags=BASE)
    at = term.answer("x")
    at = term.answer("yes", since=at)  # several keys at once: typeahead or a paste
    term.answer("o", since=at)
    assert term.finish(p) == 0, term.text()
    out = term.text()
    assert out.count("answer with one key: o, r, a or d") == 2, out
    assert "code=200" in out, out


def test_no_answer_within_the_timeout_denies_and_sets_the_terminal_back(tsb, term, http_server):
    port = http_server.port
    before = term.stty()
    t0 = time.monotonic()
    p = term.start(tsb, get(port, "/one"), flags=BASE + ["--ask-timeout", "1"])
    assert term.finish(p) == 0, term.text()
    assert time.monotonic() - t0 < 15
    out = term.text()
    assert term.questions() == 1 and "code=403" in out, out
    assert f"{ASKED}:{port} matches no allowedDomains rule and no answer came within 1 s" in out
    assert term.stty() == before
    assert http_server.requests == []


def test_a_command_reading_the_terminal_gets_only_what_is_typed_after(tsb, term, http_server):
    port = http_server.port
    cmd = ("{ " + get(port, "/one") + "} > curl.out 2>&1 & "
           "read -r line; echo \"got=[$line]\"; wait; cat curl.out")
    p = term.start(tsb, cmd, flags=BASE)
    at = term.answer("x")             # not an answer: asked again
    at = term.answer("o", since=at)   # the answer
    at = term.wait_for("allowed when asked (this connection)", at)
    term.send("typed after\r")
    assert term.finish(p) == 0, term.text()
    out = term.text()
    assert "got=[typed after]" in out, out
    assert "code=200" in out, out


def test_identical_requests_waiting_together_are_asked_once(tsb, term, http_server):
    port = http_server.port
    cmd = "".join(f"( {get(port, f'/c{i}', tag=f'c{i}')} ) & " for i in range(5)) + "wait"
    p = term.start(tsb, cmd, flags=BASE)
    term.wait_for(QUESTION)
    time.sleep(1.5)  # the others join the open question
    term.send("o")
    assert term.finish(p) == 0, term.text()
    out = term.text()
    for i in range(5):
        assert f"c{i}=200" in out, out
    assert term.questions() == 1, out
    assert len(http_server.requests) == 5


def test_denied_and_private_destinations_are_never_asked(tsb, term, http_server):
    port = http_server.port
    px = "--noproxy '' -x http://127.0.0.1:3128"
    cmd = (get(port, "/denied", host=DENIED, tag="denied") +
           get(port, "/loopback", px, host="127.0.0.1", tag="loopback") +
           get(port, "/private", px + " --connect-timeout 3", host="10.255.255.1", tag="private") +
           get(port, "/meta", px, host="169.254.169.254", tag="meta"))
    p = term.start(tsb, cmd, flags=BASE + deny(DENIED))
    assert term.finish(p) == 0, term.text()
    out = term.text()
    for tag in ("denied", "loopback", "private", "meta"):
        assert f"{tag}=403" in out, (tag, out)
    assert term.questions() == 0, out
    settle()
    assert http_server.requests == []


# Inside: everything the sandbox could use to answer its own question, or to reach the user's
# terminal. Prints one JSON object: what happened, and the terminal it is on.
SELF_ANSWER = r"""
import errno, fcntl, json, os, struct, termios
res = {}
def attempt(name, fn):
    try:
        fn()
        res[name] = "OK"
    except OSError as e:
        res[name] = errno.errorcode.get(e.errno, str(e.errno))
tty = os.open("/dev/tty", os.O_RDWR)
# Opened for writing, /dev/tty goes through the write mediator, which opens it in the supervisor:
# it must still be this process's own controlling terminal, not the supervisor's (the user's).
# TIOCGSID (0x5429) answers only on the caller's controlling terminal.
try:
    res["dev_tty_sid"] = struct.unpack("i", fcntl.ioctl(tty, 0x5429, b"\0" * 4))[0]
except OSError as e:
    res["dev_tty_sid"] = errno.errorcode.get(e.errno, str(e.errno))
res["own_sid"] = os.getsid(0)
# The same through /proc/self/fd: a read-only /dev/tty (not mediated) opened again for writing.
ro = os.open("/dev/tty", os.O_RDONLY)
try:
    again = os.open(f"/proc/self/fd/{ro}", os.O_RDWR)
    res["reopen_sid"] = struct.unpack("i", fcntl.ioctl(again, 0x5429, b"\0" * 4))[0]
except OSError as e:
    res["reopen_sid"] = errno.errorcode.get(e.errno, str(e.errno))
attempt("write_dev_tty", lambda: os.write(tty, b"a\r\n"))
attempt("tiocsti_dev_tty", lambda: fcntl.ioctl(tty, termios.TIOCSTI, b"a"))
attempt("tiocsti_stdin", lambda: fcntl.ioctl(0, termios.TIOCSTI, b"r"))
attempt("tioccons", lambda: fcntl.ioctl(tty, termios.TIOCCONS))
attempt("tiocsetd", lambda: fcntl.ioctl(tty, termios.TIOCSETD, struct.pack("i", 0)))
# A look-alike question, and a query whose reply holds an answer key: DECRQSS is answered
# ESC P 1 $ r 0 m ESC \, with an "r" in it.
os.write(1, b"paddock: allow ask.test:1, plain HTTP via the proxy? [o]nce [r]un [a]lways [d]eny (60 s) ")
os.write(1, b"\x1bP$qm\x1b\\")
with open("/proc/self/stat") as f:
    rest = f.read().rsplit(")", 1)[1].split()
res["session"], res["tty_nr"] = int(rest[3]), int(rest[4])
print("\n" + json.dumps(res), flush=True)
"""


def test_the_sandbox_cannot_answer_its_own_question(tsb, term, http_server):
    port = http_server.port
    (Path(tsb.project) / "self_answer.py").write_text(SELF_ANSWER)
    settings = Path(tsb.home) / ".config" / "paddock" / "settings.json"
    seen = {}

    p = term.start(tsb, "python3 self_answer.py; " + get(port, "/one"),
                   flags=BASE + ["--ask-timeout", "4"])
    real = f"paddock: allow {ASKED}:{port}, ".encode()
    at = term.wait_for(real)
    at = term.wait_for(b" s) ", at)
    # From outside, while the question is up: nothing of the sandbox is in the user's session or
    # has the user's terminal as its controlling terminal, or (where we may look) open.
    sid = os.getsid(p.pid)
    for d in descendants(p.pid):
        try:
            seen[d] = stat_fields(d)
            links = [os.stat(f"/proc/{d}/fd/{n}").st_rdev for n in os.listdir(f"/proc/{d}/fd")]
        except OSError:
            continue  # paddock's init is not dumpable: only root reads its fds
        assert term.rdev not in links, (d, links)
    time.sleep(AFTER_QUESTION)
    # What a terminal sends back, late and (over a slow link) in pieces: the DECRQSS reply, whose
    # "r" arrives on its own, and device attributes.
    for piece in (b"\x1bP1$", b"r", b"0m\x1b\\", b"\x1b[?64;1;2;6;22c"):
        term.send(piece)
        time.sleep(0.1)
    assert term.finish(p) == 0, term.text()
    out = term.text()
    inside = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
    assert inside["dev_tty_sid"] == inside["own_sid"], inside  # its own terminal, not the user's
    assert inside["reopen_sid"] == inside["own_sid"], inside
    assert inside["write_dev_tty"] == "OK", inside  # output only: it is shown, it answers nothing
    for attempt in ("tiocsti_dev_tty", "tiocsti_stdin", "tioccons", "tiocsetd"):
        assert inside[attempt] == "EPERM", (attempt, inside)
    assert inside["tty_nr"] != term.rdev and inside["session"] != sid, inside
    assert "allowed when asked" not in out, out
    assert "no answer came within 4 s" in out and "code=403" in out, out
    assert term.questions() == 2, out  # the look-alike and the real one
    assert not settings.exists()
    assert seen and all(s != sid and tty != term.rdev for s, tty in seen.values()), (sid, seen)
    assert http_server.requests == []


def test_the_command_output_waits_while_a_question_is_up(tsb, term, http_server):
    port = http_server.port
    cmd = ("( i=0; while [ $i -lt 30 ]; do echo tick$i; i=$((i+1)); sleep 0.1; done ) & "
           "sleep 0.5; " + get(port, "/one") + "wait")
    p = term.start(tsb, cmd, flags=BASE)
    at = term.wait_for(QUESTION)
    at = term.wait_for(b" s) ", at)
    time.sleep(1.5)
    with term.cond:
        during = bytes(term.buf[at:])
    assert b"tick" not in during, during
    term.send("o")
    assert term.finish(p) == 0, term.text()
    out = term.text()
    after = out[out.index("allowed when asked"):]
    assert "tick29" in after, out
    ticks = [l for l in out.splitlines() if l.startswith("tick")]
    assert ticks == [f"tick{i}" for i in range(30)], ticks  # held, not lost


def test_the_terminal_is_set_back_when_the_command_is_killed(tsb, term):
    before = term.stty()
    p = term.start(tsb, "echo started; sleep 60")
    term.wait_for("started")
    assert term.stty() != before  # raw while the command runs on paddock's pty
    sleeps = []
    for _ in range(100):
        sleeps = [d for d in descendants(p.pid)
                  if open(f"/proc/{d}/comm").read().strip() == "sleep"]
        if sleeps:
            break
        time.sleep(0.05)
    assert sleeps
    os.kill(sleeps[0], signal.SIGKILL)
    assert term.finish(p) == 128 + signal.SIGKILL
    assert term.stty() == before


def test_the_terminal_is_set_back_when_paddock_is_terminated_during_a_question(tsb, term,
                                                                               http_server):
    before = term.stty()
    p = term.start(tsb, get(http_server.port, "/one"), flags=BASE)
    term.wait_for(b" s) ", term.wait_for(QUESTION))
    os.kill(p.pid, signal.SIGTERM)  # relayed to the command
    assert term.finish(p) == 128 + signal.SIGTERM, term.text()
    assert "the command ended before an answer" in term.text()
    assert term.stty() == before


def test_the_window_size_follows_the_terminal(tsb, term):
    # os.write in the handler: the signal may come while print() is still writing.
    script = ("import os, signal, time\n"
              "got = []\n"
              "def on_winch(*_):\n"
              "    got.append(1)\n"
              "    os.write(1, f'winch {tuple(os.get_terminal_size())}\\n'.encode())\n"
              "signal.signal(signal.SIGWINCH, on_winch)\n"
              "print('size', tuple(os.get_terminal_size()), flush=True)\n"
              "print('ready', flush=True)\n"
              "deadline = time.monotonic() + 20\n"
              "while not got and time.monotonic() < deadline:\n"
              "    time.sleep(0.05)\n")
    (Path(tsb.project) / "winch.py").write_text(script)
    p = term.start(tsb, "python3 winch.py")
    term.wait_for("ready")
    term.resize(40, 120)
    term.wait_for("winch")
    assert term.finish(p) == 0, term.text()
    out = term.text()
    assert "size (100, 30)" in out and "winch (120, 40)" in out, out


def test_keys_are_read_only_for_questions_when_stdin_is_not_the_terminal(tsb, term, http_server):
    before = term.stty()
    port = http_server.port
    p = term.start(tsb, "echo waiting; sleep 1; " + get(port, "/one"), flags=BASE,
                   stdin=subprocess.DEVNULL)
    term.wait_for("waiting")
    assert term.stty() == before  # nothing relayed from the keyboard: the terminal keeps its modes
    term.answer("o")
    assert term.finish(p) == 0, term.text()
    assert "code=200" in term.text()
    assert term.stty() == before


def test_an_answer_on_the_agent_channel_takes_the_question_down(tsb, term, http_server):
    port = http_server.port
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    asked = []

    def agent():
        buf = b""
        ours.settimeout(30)
        try:
            while True:
                chunk = ours.recv(65536)
                if not chunk:
                    return
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    msg = json.loads(line)
                    if msg.get("type") == "permission_request":
                        asked.append(msg)
                        time.sleep(1)  # the question is on the terminal meanwhile
                        ours.sendall((json.dumps({"type": "permission_response", "id": msg["id"],
                                                  "decision": "allow_run"}) + "\n").encode())
        except OSError:
            pass

    t = threading.Thread(target=agent, daemon=True)
    fd = theirs.fileno()
    try:
        p = term.start(tsb, get(port, "/one"), flags=BASE + ["--agent-channel", str(fd)],
                       pass_fds=(fd,))
    finally:
        theirs.close()
    t.start()
    assert term.finish(p) == 0, term.text()
    t.join(10)
    ours.close()
    out = term.text()
    assert term.questions() == 1 and len(asked) == 1, (out, asked)
    assert f"paddock: {ASKED}:{port} allowed when asked (for this run)" in out, out
    assert "code=200" in out, out


def test_a_background_paddock_does_not_ask_on_the_terminal(tsb, term):
    # A shell with job control runs paddock in a background group of the terminal's session.
    r = subprocess.run(["bash", "-c", "set -m; \"$@\" & wait $!; echo rc=$?", "bash",
                        *tsb.argv(["-c", "echo ran"], ["--ask"])],
                       cwd=str(tsb.project), env=tsb.env(), stdin=term.slave,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30,
                       start_new_session=True,
                       preexec_fn=lambda: fcntl.ioctl(term.slave, termios.TIOCSCTTY, 0))
    assert "rc=125" in r.stdout and "ran" not in r.stdout, r
    assert "nobody to ask" in r.stderr and "background" in r.stderr, r.stderr


def test_a_captured_connection_names_its_process(tsb, term, http_server):
    port = http_server.port
    # A program that ignores the proxy variables: the write mediator saw its connect.
    p = term.start(tsb, get(port, "/captured", "--noproxy '*'"), flags=BASE)
    term.answer("o")
    assert term.finish(p) == 0, term.text()
    out = term.text()
    assert f"paddock: allow {ASKED}:{port}, a direct connection from curl (pid " in out, out
    assert "code=200" in out, out


def test_a_closed_agent_channel_leaves_the_terminal_to_answer(tsb, term, http_server):
    port = http_server.port
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    fd = theirs.fileno()
    try:
        p = term.start(tsb, get(port, "/one"), flags=BASE + ["--agent-channel", str(fd)],
                       pass_fds=(fd,))
    finally:
        theirs.close()
    term.wait_for(QUESTION)
    ours.close()  # the harness went away while the question is up
    term.wait_for("questions are asked on the terminal only")
    time.sleep(0.3)
    term.send("o")
    assert term.finish(p) == 0, term.text()
    assert "code=200" in term.text(), term.text()
