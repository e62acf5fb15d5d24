"""--ask and --agent-channel (issue 13, items 1 and 3): a destination that matches no rule waits
while paddock asks the agent harness on an inherited socket, and every refusal (network and
filesystem) reaches the harness as a "blocked" notice.

A scripted agent (the Agent class) holds the other end of a socketpair, records every line paddock
writes and answers each permission_request as the test says. Destinations are pinned with
--resolve to host-side servers on 127.0.0.1, so each test proves what arrived there."""

import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from conftest import descendants
from netutil import (ALLOWED, DENIED, HTTPRecorder, allow, deny, http_server, inside, pin,  # noqa: F401
                     settle, wait_for)

ASKED = "ask.test"


class Agent:
    """The harness's end of --agent-channel. `answer(request)` returns the reply for a
    permission_request: a decision word, a dict (sent as JSON), raw bytes (sent as they are), a
    list of those (sent in order), or None (no reply)."""

    def __init__(self, answer=None, close_after=None):
        self.ours, self.theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.answer = answer or (lambda req: None)
        self.close_after = close_after  # close our end after this many requests
        self.messages = []
        self.lock = threading.Lock()
        self.eof = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def requests(self):
        with self.lock:
            return [m for m in self.messages if m.get("type") == "permission_request"]

    def blocked(self):
        with self.lock:
            return [m for m in self.messages if m.get("type") == "blocked"]

    def _send(self, reply, req):
        if isinstance(reply, list):
            for r in reply:
                self._send(r, req)
            return
        if isinstance(reply, str):
            reply = {"type": "permission_response", "id": req["id"], "decision": reply}
        if isinstance(reply, dict):
            reply = (json.dumps(reply) + "\n").encode()
        self.ours.sendall(reply)

    def _run(self):
        self.ours.settimeout(60)
        buf = b""
        seen = 0
        try:
            while True:
                chunk = self.ours.recv(65536)
                if not chunk:
                    break
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    msg = json.loads(line)
                    with self.lock:
                        self.messages.append(msg)
                    if msg.get("type") != "permission_request":
                        continue
                    seen += 1
                    if self.close_after is not None and seen >= self.close_after:
                        self.ours.close()
                        return
                    reply = self.answer(msg)
                    if reply is not None:
                        self._send(reply, msg)
        except OSError:
            pass
        finally:
            self.eof.set()


def run_with_agent(sb, agent, cmd, flags=(), timeout=60, ask=True, during=None):
    """paddock run [--ask] --agent-channel FD [flags] -c CMD, with the agent on FD. `during(pid)`
    runs on a thread while paddock does."""
    fd = agent.theirs.fileno()
    try:
        argv_flags = (["--ask"] if ask else []) + ["--agent-channel", str(fd), *flags]
        # A session of its own: no controlling terminal, so the agent is the only one asked even
        # when the suite runs in a terminal (test_ask_terminal.py asks there).
        p = sb.popen(["-c", cmd], flags=argv_flags, pass_fds=(fd,), text=True,
                     start_new_session=True)
    finally:
        agent.theirs.close()
    agent.start()
    helper = threading.Thread(target=during, args=(p.pid,), daemon=True) if during else None
    if helper:
        helper.start()
    try:
        out, err = p.communicate(timeout=timeout)
    except Exception:
        p.kill()
        p.communicate()
        raise
    # paddock closes the channel at exit: the agent reads end of file.
    assert agent.eof.wait(10), "paddock did not close the agent channel at exit"
    if helper:
        helper.join(10)

    class R:
        pass

    r = R()
    r.rc, r.out, r.err = p.returncode, out, err
    r.__repr__ = lambda: f"rc={p.returncode} out={out!r} err={err!r}"
    return r


def get(port, path, extra="", host=ASKED, tag="code"):
    return (f"curl -sS --max-time 20 {extra} -o /dev/null -w '{tag}=%{{http_code}}\\n' "
            f"http://{host}:{port}{path}; ")


BASE = pin(ASKED, DENIED)


def test_allow_once_asks_again_next_time(sb, http_server):
    port = http_server.port
    agent = Agent(lambda req: "allow_once")
    r = run_with_agent(sb, agent, get(port, "/one", tag="a") + get(port, "/two", tag="b"),
                       flags=BASE)
    assert "a=200" in r.out and "b=200" in r.out, (r.out, r.err)
    assert http_server.paths() == ["/one", "/two"]
    reqs = agent.requests()
    assert len(reqs) == 2, agent.messages
    q = reqs[0]
    assert q["host"] == ASKED and q["port"] == port and q["protocol"] == "http", q
    assert q["rule"] == "default-deny" and q["timeout_ms"] == 60000, q
    assert isinstance(q["id"], str) and reqs[1]["id"] != q["id"], reqs


def test_allow_run_asks_once_for_the_run(sb, http_server):
    port = http_server.port
    agent = Agent(lambda req: "allow_run")
    r = run_with_agent(sb, agent,
                       get(port, "/one", tag="a") + get(port, "/two", "-p", tag="b") +
                       f"curl -sS --max-time 20 --socks5-hostname 127.0.0.1:1080 "
                       f"http://{ASKED}:{port}/three -o /dev/null -w 'c=%{{http_code}}\\n'",
                       flags=BASE)
    assert "a=200" in r.out and "b=200" in r.out and "c=200" in r.out, (r.out, r.err)
    assert sorted(http_server.paths()) == ["/one", "/three", "/two"]
    assert len(agent.requests()) == 1, agent.messages


def test_allow_always_is_written_to_the_settings_file(sb, http_server):
    port = http_server.port
    settings = Path(sb.home) / ".config" / "paddock" / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    original = {"filesystem": {"denyRead": ["~/private-notes"]},
                "network": {"allowedDomains": [ALLOWED], "deniedDomains": [DENIED]}}
    settings.write_text(json.dumps(original, indent=4))
    os.chmod(settings, 0o640)
    agent = Agent(lambda req: "allow_always")
    r = run_with_agent(sb, agent, get(port, "/one", tag="a") + get(port, "/two", tag="b"),
                       flags=BASE)
    assert "a=200" in r.out and "b=200" in r.out, (r.out, r.err)
    assert len(agent.requests()) == 1, agent.messages
    line = f'paddock: added "{ASKED}:{port}" to network.allowedDomains in {settings}'
    assert line in r.err, r.err
    saved = json.loads(settings.read_text())
    assert saved["network"]["allowedDomains"] == [ALLOWED, f"{ASKED}:{port}"], saved
    assert saved["network"]["deniedDomains"] == [DENIED], saved
    assert saved["filesystem"] == original["filesystem"], saved
    assert os.stat(settings).st_mode & 0o777 == 0o640
    assert not [p for p in settings.parent.iterdir() if p.name != "settings.json"]
    # The next run allows it from the file, without asking and without a channel.
    r2 = sb.sh(get(port, "/three"), flags=BASE)
    assert "code=200" in r2.out, r2


def test_allow_always_refuses_a_settings_file_that_is_not_json(sb, http_server):
    port = http_server.port
    settings = Path(sb.home) / "custom-settings.json"
    settings.write_text('{"network": {"allowedDomains": []}}')
    agent = Agent(lambda req: "allow_always")

    # Valid when paddock starts; broken by the time the answer comes.
    def answer(req):
        settings.write_text('{"network": {"allowedDomains": [,]}}')
        return "allow_always"

    agent.answer = answer
    r = run_with_agent(sb, agent, get(port, "/one"), flags=BASE + ["--settings", str(settings)])
    assert "code=200" in r.out, (r.out, r.err)  # allowed for this run all the same
    assert "not valid JSON (line 1" in r.err and "allowed for this run only" in r.err, r.err
    assert settings.read_text() == '{"network": {"allowedDomains": [,]}}'


def test_deny_stands_for_the_run_and_the_reason_reaches_the_command(sb, http_server):
    port = http_server.port
    agent = Agent(lambda req: {"type": "permission_response", "id": req["id"], "decision": "deny",
                               "reason": "not needed for this task"})
    r = run_with_agent(sb, agent,
                       f"curl -sS --max-time 20 -i http://{ASKED}:{port}/one; echo; " +
                       get(port, "/two", tag="b") +
                       f"curl -sS --max-time 20 --socks5-hostname 127.0.0.1:1080 "
                       f"http://{ASKED}:{port}/three; echo socks_rc=$?", flags=BASE)
    assert r.out.startswith("HTTP/1.1 403"), (r.out, r.err)
    assert "not needed for this task" in r.out, r.out
    assert "b=403" in r.out and "socks_rc=97" in r.out, r.out
    assert len(agent.requests()) == 1, agent.messages
    settle()
    assert http_server.requests == [] and http_server.connections == 0
    assert any(f"{ASKED}:{port} (ask:deny" in d for d in r.err.splitlines()), r.err


def test_no_answer_within_the_timeout_is_a_denial(sb, http_server):
    port = http_server.port
    agent = Agent(lambda req: None)
    t0 = time.monotonic()
    r = run_with_agent(sb, agent, f"curl -sS --max-time 20 -i http://{ASKED}:{port}/one",
                       flags=BASE + ["--ask-timeout", "1"])
    elapsed = time.monotonic() - t0
    assert r.out.startswith("HTTP/1.1 403"), (r.out, r.err)
    assert "no answer came within 1 s" in r.out, r.out
    assert elapsed < 10, elapsed
    assert len(agent.requests()) == 1 and agent.requests()[0]["timeout_ms"] == 1000
    assert http_server.requests == []


def test_identical_requests_waiting_together_are_asked_once(sb, http_server):
    port = http_server.port
    first = threading.Event()

    def answer(req):
        first.set()
        time.sleep(2)  # the others arrive and join the open question
        return "allow_once"

    agent = Agent(answer)
    cmd = "".join(f"( {get(port, f'/c{i}', tag=f'c{i}')} ) & " for i in range(5)) + "wait"
    r = run_with_agent(sb, agent, cmd, flags=BASE)
    for i in range(5):
        assert f"c{i}=200" in r.out, (r.out, r.err)
    assert len(agent.requests()) == 1, agent.requests()
    assert len(http_server.requests) == 5


def test_a_waiting_connection_does_not_hold_up_others(sb, http_server):
    port = http_server.port
    release = threading.Event()

    def answer(req):
        release.wait(20)
        return "allow_once"

    agent = Agent(answer)
    # While ask.test waits, an allowed name is served at once.
    cmd = (f"( {get(port, '/asked', tag='asked')} ) & sleep 0.5; "
           f"{get(port, '/free', host=ALLOWED, tag='free')} date +free_at=%s.%N; wait")
    t0 = time.time()
    threading.Timer(4, release.set).start()
    r = run_with_agent(sb, agent, cmd, flags=BASE + allow(ALLOWED) + pin(ALLOWED))
    assert "free=200" in r.out and "asked=200" in r.out, (r.out, r.err)
    free_at = float(r.out.split("free_at=")[1].split()[0])
    assert free_at - t0 < 3.5, (free_at - t0, r.out)


def test_denied_and_private_destinations_are_never_asked(sb, http_server):
    port = http_server.port
    agent = Agent(lambda req: "allow_run")
    px = "--noproxy '' -x http://127.0.0.1:3128"
    cmd = (get(port, "/denied", host=DENIED, tag="denied") +
           get(port, "/loopback", px, host="127.0.0.1", tag="loopback") +
           get(port, "/private", px + " --connect-timeout 3", host="10.255.255.1", tag="private") +
           get(port, "/meta", px, host="169.254.169.254", tag="meta") +
           # a Host header that disagrees with the request target
           f"curl -sS --max-time 10 {px} -o /dev/null -w 'mismatch=%{{http_code}}\\n' "
           f"-H 'Host: other.test' http://{ASKED}:{port}/x; "
           # a malformed request
           "printf 'GARBAGE\\r\\n\\r\\n' | timeout 5 python3 -c \"import socket,sys;"
           "s=socket.create_connection(('127.0.0.1',3128));s.sendall(sys.stdin.buffer.read());"
           "print('malformed=' + s.recv(100).decode().split()[1])\"")
    r = run_with_agent(sb, agent, cmd, flags=BASE + deny(DENIED))
    for tag in ("denied", "loopback", "private", "meta"):
        assert f"{tag}=403" in r.out, (tag, r.out, r.err)
    assert "mismatch=400" in r.out and "malformed=400" in r.out, (r.out, r.err)
    assert agent.requests() == [], agent.requests()
    settle()
    assert http_server.requests == []
    rules = {(b.get("host"), b.get("rule")) for b in agent.blocked()}
    assert (DENIED, DENIED) in rules, agent.blocked()
    assert ("127.0.0.1", "default-deny") in rules, agent.blocked()


def test_malformed_replies_are_ignored_with_a_note(sb, http_server):
    port = http_server.port

    def answer(req):
        return [b"not json at all\n",
                b"[1, 2, 3]\n",
                {"type": "permission_response", "id": "999999", "decision": "allow_once"},
                {"type": "permission_response", "id": req["id"], "decision": "maybe"},
                {"type": "permission_response", "id": int(req["id"]), "decision": "allow_once"},
                {"type": "hello"},
                b"x" * 70000 + b"\n",
                b"\n",
                "allow_once"]

    agent = Agent(answer)
    r = run_with_agent(sb, agent, get(port, "/one"), flags=BASE)
    assert "code=200" in r.out, (r.out, r.err)
    notes = [l for l in r.err.splitlines() if l.startswith("paddock: agent channel: ignored")]
    assert len(notes) == 7, r.err
    assert any("not JSON" in n for n in notes) and any("unknown decision" in n for n in notes)
    assert any("999999" in n for n in notes) and any("longer than" in n for n in notes)
    assert r.rc == 0


def test_a_closed_channel_denies_open_and_later_questions(sb, http_server):
    port = http_server.port
    agent = Agent(close_after=1)
    t0 = time.monotonic()
    r = run_with_agent(sb, agent,
                       f"curl -sS --max-time 20 -i http://{ASKED}:{port}/one; echo; " +
                       get(port, "/two", host="other.test", tag="later"),
                       flags=BASE + pin("other.test"))
    assert r.out.startswith("HTTP/1.1 403"), (r.out, r.err)
    assert "agent channel closed" in r.out, r.out
    assert "later=403" in r.out, r.out
    assert time.monotonic() - t0 < 20
    assert "paddock: agent channel: the agent closed it" in r.err, r.err
    assert http_server.requests == []


def test_captured_connections_are_asked_too(sb, inside, http_server):
    port = http_server.port
    agent = Agent(lambda req: "allow_once")
    # A program that ignores the proxy variables: the sandbox's resolver answers the unlisted name,
    # and the connection to its address is captured and asked about.
    cmd = (f"curl -sS --noproxy '*' --max-time 20 -o /dev/null -w 'code=%{{http_code}}\\n' "
           f"http://{ASKED}:{port}/captured")
    r = run_with_agent(sb, agent, cmd, flags=BASE)
    assert "code=200" in r.out, (r.out, r.err)
    reqs = agent.requests()
    assert len(reqs) == 1 and reqs[0]["protocol"] == "captured", reqs
    assert http_server.paths() == ["/captured"]


def test_blocked_notices_for_network_and_filesystem_refusals(sb, http_server):
    port = http_server.port
    agent = Agent()
    r = run_with_agent(sb, agent,
                       get(port, "/x", host=DENIED) + "echo 'export X=1' > .bashrc; echo rc=$?",
                       flags=BASE, ask=False)
    assert "code=403" in r.out and "rc=0" not in r.out, (r.out, r.err)
    net = [b for b in agent.blocked() if b["kind"] == "network"]
    assert any(b["host"] == DENIED and b["port"] == port and b["rule"] == "default-deny" and
               b["advice"] == f"--allow-domain {DENIED}:{port} allows it" for b in net), net
    fs = [b for b in agent.blocked() if b["kind"] == "filesystem"]
    assert any(b["path"].endswith("/.bashrc") and b["operation"] and b["reason"] for b in fs), \
        agent.blocked()
    assert agent.requests() == []


def test_the_channel_is_not_visible_inside(sb):
    agent = Agent()
    ino = os.fstat(agent.theirs.fileno()).st_ino
    fd = agent.theirs.fileno()  # the number the command would find it under if it leaked
    script = (
        "import os, stat\n"
        f"try:\n    st = os.fstat({fd}); print('fd-open' if stat.S_ISSOCK(st.st_mode) else 'fd-closed')\n"
        "except OSError: print('fd-closed')\n"
        "found = []\n"
        "for pid in os.listdir('/proc'):\n"
        "    if not pid.isdigit(): continue\n"
        "    try: fds = os.listdir(f'/proc/{pid}/fd')\n"
        "    except OSError: continue\n"
        "    for fd in fds:\n"
        "        try: t = os.readlink(f'/proc/{pid}/fd/{fd}')\n"
        "        except OSError: continue\n"
        f"        if t == 'socket:[{ino}]': found.append((pid, fd))\n"
        "print('found', found)\n")
    (Path(sb.project) / "look.py").write_text(script)
    held = {}

    def look_from_outside(pid):
        # Root can read the fds of paddock's init (not dumpable, so others cannot): it must not
        # hold the socket either, although it never execs.
        time.sleep(1.5)
        for d in descendants(pid):
            try:
                links = [os.readlink(f"/proc/{d}/fd/{n}") for n in os.listdir(f"/proc/{d}/fd")]
            except OSError:
                continue
            held[d] = f"socket:[{ino}]" in links

    r = run_with_agent(sb, agent, "python3 look.py; sleep 3", ask=False, during=look_from_outside)
    assert "fd-closed" in r.out and "found []" in r.out, (r.out, r.err)
    if os.geteuid() == 0:
        assert held and not any(held.values()), held


def test_ask_without_anyone_to_ask_refuses_to_start(sb):
    # No controlling terminal (a session of its own) and no channel.
    p = sb.popen(["-c", "echo ran"], flags=["--ask"], text=True, start_new_session=True)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 125, (out, err)
    assert "ran" not in out
    assert "--ask" in err and "--agent-channel" in err and "no terminal" in err, err


def test_agent_channel_must_be_a_socket(sb, tmp_path):
    r = sb.sh("echo ran", flags=["--agent-channel", "2"])
    assert r.rc == 125 and "ran" not in r.out, r
    r = sb.sh("echo ran", flags=["--agent-channel", "55"])
    assert r.rc == 125 and "not open" in r.err, r
