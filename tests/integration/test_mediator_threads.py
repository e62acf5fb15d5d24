"""Threat (availability): mediated calls made from a thread other than the main one (issue 8,
finding 5). The supervisor looked the caller up with pidfd_open(thread id), which fails for a
thread that is not a group leader, so connect() to the proxy, reopening /dev/stdout, fchmod, unix
bind and sendto failed with ESRCH from any thread: Go, Java and threaded Python clients could not
reach the network. Each case runs the same code in the main thread (control) and in a new thread;
both must work, and the host sees the effect of both."""

import os
import stat

import pytest

from netutil import ALLOWED, allow, http_server, pin  # noqa: F401 (fixture)
from netutil import last_json

FLAGS = allow(ALLOWED) + pin(ALLOWED)

RUNNER = """
import json, os, socket, sys, threading, urllib.request
PORT = int(sys.argv[1])
ALLOWED = sys.argv[2]

def case(tag):
{body}

def attempt(tag):
    try:
        return case(tag)
    except OSError as e:
        return 'ERR errno=%s %s' % (e.errno, e)

out = {{'main': attempt('main')}}
box = {{}}
t = threading.Thread(target=lambda: box.update(r=attempt('thread')))
t.start()
t.join(30)
out['thread'] = box.get('r', 'thread did not finish')
print(json.dumps(out), flush=True)
"""

CASES = {
    # the reproducer: connect() to the proxy, and an HTTP request through it
    "proxy-connect-http": """
    s = socket.create_connection(('127.0.0.1', 3128), timeout=10)
    s.sendall(('GET http://%s:%d/%s HTTP/1.1\\r\\nHost: %s:%d\\r\\nConnection: close\\r\\n\\r\\n'
               % (ALLOWED, PORT, tag, ALLOWED, PORT)).encode())
    data = b''
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    return 'OK' if b' 200 ' in data.split(b'\\r\\n')[0] else 'BAD %r' % data[:80]
""",
    "urllib-through-proxy-env": """
    body = urllib.request.urlopen('http://%s:%d/%s' % (ALLOWED, PORT, tag), timeout=10).read()
    return 'OK' if body else 'EMPTY'
""",
    "socks5-connect": """
    s = socket.create_connection(('127.0.0.1', 1080), timeout=10)
    s.sendall(b'\\x05\\x01\\x00')
    assert s.recv(2) == b'\\x05\\x00'
    name = ALLOWED.encode()
    s.sendall(b'\\x05\\x01\\x00\\x03' + bytes([len(name)]) + name + PORT.to_bytes(2, 'big'))
    head = s.recv(10)
    if head[1] != 0:
        return 'SOCKS reply %d' % head[1]
    s.sendall(('GET /%s HTTP/1.1\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n' % (tag, ALLOWED)).encode())
    return 'OK' if b' 200 ' in s.recv(65536) else 'BAD'
""",
    # reopening the caller's own descriptors
    "dev-stdout": """
    with open('/dev/stdout', 'w') as f:
        f.write('WROTE-VIA-DEV-STDOUT-%s\\n' % tag)
    return 'OK'
""",
    "proc-thread-self-fd-1": """
    fd = os.open('/proc/thread-self/fd/1', os.O_WRONLY)
    os.write(fd, ('WROTE-VIA-PROC-FD-%s\\n' % tag).encode())
    os.close(fd)
    return 'OK'
""",
    # calls on a descriptor
    "fchmod": """
    fd = os.open('mode-%s' % tag, os.O_RDONLY | os.O_CREAT, 0o644)
    os.fchmod(fd, 0o600)
    os.close(fd)
    return 'OK'
""",
    "unix-bind": """
    socket.socket(socket.AF_UNIX).bind('bound-%s.sock' % tag)
    return 'OK'
""",
    "unix-connect": """
    l = socket.socket(socket.AF_UNIX)
    l.bind('/tmp/listen-%s.sock' % tag)
    l.listen(1)
    c = socket.socket(socket.AF_UNIX)
    c.connect('/tmp/listen-%s.sock' % tag)
    return 'OK'
""",
    "udp-sendto": """
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.bind(('127.0.0.1', 0))
    r.settimeout(5)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(tag.encode(), r.getsockname())
    return 'OK' if r.recv(100) == tag.encode() else 'LOST'
""",
    # path calls (these do not need the caller's descriptors)
    "create-file": """
    with open('created-%s.txt' % tag, 'w') as f:
        f.write(tag)
    return 'OK'
""",
    "chmod-path": """
    open('chmod-%s' % tag, 'w').close()
    os.chmod('chmod-%s' % tag, 0o600)
    return 'OK'
""",
}


def indent(body):
    return "\n".join(("    " + l.strip("\n")) if l.strip() else "" for l in body.strip("\n").split("\n"))


@pytest.mark.parametrize("case", list(CASES))
def test_mediated_call_from_a_thread(sb, http_server, case):
    script = RUNNER.format(body=indent(CASES[case]))
    r = sb.exec(["python3", "-c", script, str(http_server.port), ALLOWED], flags=FLAGS)
    res = last_json(r.out)
    assert res is not None, r
    assert res["main"] == "OK", (res, r)  # control: the main thread can
    assert res["thread"] == "OK", (res, r)
    p = sb.project
    if case in ("proxy-connect-http", "urllib-through-proxy-env", "socks5-connect"):
        assert sorted(http_server.paths()) == ["/main", "/thread"], http_server.requests
    elif case == "dev-stdout":
        assert "WROTE-VIA-DEV-STDOUT-thread" in r.out, r
    elif case == "proc-thread-self-fd-1":
        assert "WROTE-VIA-PROC-FD-thread" in r.out, r
    elif case == "fchmod":
        assert stat.S_IMODE(os.stat(p / "mode-thread").st_mode) == 0o600
    elif case == "unix-bind":
        assert stat.S_ISSOCK(os.lstat(p / "bound-thread.sock").st_mode)
    elif case == "create-file":
        assert (p / "created-thread.txt").read_text() == "thread"
    elif case == "chmod-path":
        assert stat.S_IMODE(os.stat(p / "chmod-thread").st_mode) == 0o600

