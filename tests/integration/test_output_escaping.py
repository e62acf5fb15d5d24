"""Threat: forge or hide paddock's own messages (issue 8, finding 7b). The exit summary names
paths chosen inside the sandbox; printed raw, a name holding a newline forges a line that starts
with "paddock:", and escape sequences hide text or retitle the terminal. Every control character
in a message that carries a name chosen inside must be escaped.

The commands below send their own stderr to /dev/null, so everything on paddock's stderr is
paddock's: each line must be free of bytes below 0x20 (the newline ending it aside) and of 0x7f,
and no line may be one the sandbox wrote."""

import pytest

from conftest import init_repo
from netutil import inside  # noqa: F401 (fixture)

FORGED = "paddock: note: all writes succeeded"
# a newline, the forged line, then "conceal" (ESC [ 8 m), a carriage return, a bell, DEL
HOSTILE = "\\npaddock: note: all writes succeeded\\e[8m\\r\\a\\x7f"


def check_paddock_stderr(err: bytes, must_mention: bytes):
    lines = err.split(b"\n")
    assert lines[-1] == b"", err  # every line ends with a newline
    for line in lines[:-1]:
        assert line.startswith(b"paddock:"), (line, err)
        bad = [c for c in line if c < 0x20 or c == 0x7F]
        assert not bad, (line, err)
    assert not any(l.startswith(FORGED.encode()) for l in lines), err
    # control: the refusal was reported at all
    assert must_mention in err, err


ATTACKS = {
    # the reproducer: a refused create inside a repository's hooks
    "touch-hook": ("touch $'.git/hooks/x" + HOSTILE + "'", b".git/hooks/x"),
    "mkdir-in-hooks": ("mkdir $'.git/hooks/d" + HOSTILE + "'", b".git/hooks/d"),
    "rename-into-hooks": ("touch a && mv a $'.git/hooks/y" + HOSTILE + "'", b".git/hooks/y"),
    "symlink-into-hooks": ("ln -s /bin/sh $'.git/hooks/z" + HOSTILE + "'", b".git/hooks/z"),
    "outside-writable-paths": ("echo x > $'/etc/paddock-it" + HOSTILE + "'", b"/etc/paddock-it"),
    "directory-name": ("mkdir -p $'d" + HOSTILE + "' && echo x > $'d" + HOSTILE + "/.envrc'",
                       b".envrc"),
    "chmod-protected": ("mkdir -p $'sub" + HOSTILE + "' && cd $'sub" + HOSTILE + "' && "
                        "git init -q . 2>/dev/null; chmod 777 .git/hooks/pre-commit.sample; "
                        "ln -s /bin/true .git/hooks/pre-commit", b".git/hooks"),
    # the adoption of a directory that became a gitdir names the hook it set aside
    "adopted-gitdir": ("mkdir -p $'g" + HOSTILE + "/hooks' && cp /bin/true $'g" + HOSTILE
                       + "/hooks/pre-commit' && touch $'g" + HOSTILE + "/HEAD'", b"set aside"),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_exit_summary_escapes_names(sb, attack):
    init_repo(sb, sb.project)
    cmd, mention = ATTACKS[attack]
    r = sb.sh("exec 2>/dev/null; " + cmd + "; exit 0", text=False)
    assert r.rc == 0, r
    check_paddock_stderr(r.err, mention)


def test_network_denials_escape_host_names(sb, inside):
    """Requests naming a hostile host, through both proxies: the denial lines stay printable."""
    r = inside("""
        import os, socket, struct
        os.dup2(os.open('/dev/null', os.O_WRONLY), 2)
        E = b'\\x1b[8m\\x07\\x7f\\x08paddock: note: fine'
        for req in [b'CONNECT evil' + E + b'.test:443 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n',
                    b'GET http://evil' + E + b'.test/ HTTP/1.1\\r\\nHost: evil.test\\r\\n\\r\\n',
                    b'GET / HTTP/1.1\\r\\nHost: evil' + E + b'.test\\r\\n\\r\\n',
                    b'GET http://evil.test/' + E + b' HTTP/1.1\\r\\n\\r\\n',
                    b'CONNECT evil.test:443' + E + b' HTTP/1.1\\r\\n\\r\\n',
                    b'GET http://denied-' + E.replace(b' ', b'') + b'.test/ HTTP/1.1\\r\\n'
                    b'Host: denied-' + E.replace(b' ', b'') + b'.test\\r\\n\\r\\n',
                    # an ordinary denial, the control that the summary is printed at all
                    b'GET http://deny.test/ HTTP/1.1\\r\\nHost: deny.test\\r\\n\\r\\n']:
            exchange(req, read_for=1.0)
        for cmd in (1, 2, 3):
            s = socket.create_connection(('127.0.0.1', 1080), timeout=5)
            s.sendall(b'\\x05\\x01\\x00'); s.recv(2)
            h = b'evil' + E + b'.test'
            s.sendall(b'\\x05' + bytes([cmd]) + b'\\x00\\x03' + bytes([len(h)]) + h + struct.pack('!H', 443))
            s.recv(10); s.close()
    """)
    check_paddock_stderr(r.err.encode(), b"deny.test")

