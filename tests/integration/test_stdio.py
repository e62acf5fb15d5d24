"""stdin/stdout/stderr pass through untouched (an MCP server speaking JSON-RPC on stdio works when
wrapped)."""

import hashlib
import json
import os
import select
import subprocess
import time

import pytest

from conftest import TIMEOUT


def test_binary_stdin_stdout_exact(sb):
    data = os.urandom(1 << 20)
    r = sb.exec(["cat"], input=data, text=False)
    assert r.rc == 0, r.err
    assert len(r.out) == len(data)
    assert hashlib.sha256(r.out).digest() == hashlib.sha256(data).digest()


def test_binary_through_shell_and_stderr(sb):
    data = os.urandom(300_000) + b"\n\0\r\n\x1b[2J"
    r = sb.sh("cat; cat /dev/null >&2; printf 'E\\0R\\n' >&2", input=data, text=False)
    assert r.rc == 0
    assert r.out == data
    assert b"E\0R\n" in r.err


def test_stdout_and_stderr_separate(sb):
    r = sb.sh("echo to-out; echo to-err >&2", flags=["--quiet"])
    assert r.out == "to-out\n" and r.err == "to-err\n", r


def test_empty_stdin_eof(sb):
    r = sb.exec(["wc", "-c"], input=b"", text=False)
    assert r.out.strip() == b"0"


def test_json_rpc_line_echo(sb):
    server = (
        "import sys, json\n"
        "for line in sys.stdin:\n"
        "    req = json.loads(line)\n"
        "    resp = {'jsonrpc': '2.0', 'id': req['id'], 'result': {'echo': req['params']}}\n"
        "    sys.stdout.write(json.dumps(resp) + '\\n'); sys.stdout.flush()\n")
    p = sb.popen(["--", "python3", "-u", "-c", server], flags=["--quiet"],
                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        for i in range(20):
            params = {"n": i, "text": "héllo \u2603 " * i, "nested": [1, {"a": None}]}
            req = {"jsonrpc": "2.0", "id": i, "method": "echo", "params": params}
            p.stdin.write((json.dumps(req) + "\n").encode())
            p.stdin.flush()
            # each answer must arrive before the next request is sent (no buffering in between)
            deadline = time.monotonic() + 10
            ready = []
            while not ready and time.monotonic() < deadline:
                ready, _, _ = select.select([p.stdout], [], [], 0.5)
            assert ready, f"no answer to request {i}"
            line = p.stdout.readline()
            resp = json.loads(line)
            assert resp == {"jsonrpc": "2.0", "id": i, "result": {"echo": params}}
        p.stdin.close()
        assert p.wait(timeout=TIMEOUT) == 0
        assert p.stdout.read() == b""
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_large_output_no_deadlock(sb):
    r = sb.sh("head -c 8000000 /dev/zero | tr '\\0' 'a'; head -c 2000000 /dev/zero >&2",
              text=False, flags=["--quiet"])
    assert r.rc == 0
    assert len(r.out) == 8_000_000 and len(r.err) == 2_000_000


@pytest.mark.parametrize("where", [
    "project",
    "tmp",
    "outside",
])
def test_dev_stdio_reopen_when_redirected_to_files(sb, scratch, tmp_path, where):
    d = {"project": sb.project, "tmp": tmp_path, "outside": scratch}[where]
    out, err = d / "out.log", d / "err.log"
    with open(out, "a") as fo, open(err, "a") as fe:  # O_APPEND: reopened fds append too
        p = subprocess.run(sb.argv(["-c", "echo o1; echo o2 >> /dev/stdout; echo o3 | tee -a /dev/stdout;"
                                    "echo e1 >&2; echo e2 >> /dev/stderr; echo DONE"], ["--quiet"]),
                           cwd=str(sb.project), env=sb.env(), stdout=fo, stderr=fe,
                           stdin=subprocess.DEVNULL, timeout=TIMEOUT)
    assert p.returncode == 0
    assert out.read_text().split() == ["o1", "o2", "o3", "o3", "DONE"], (out.read_text(), err.read_text())
    assert err.read_text().split() == ["e1", "e2"], err.read_text()
