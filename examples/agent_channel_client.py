#!/usr/bin/env python3
"""A minimal agent harness for paddock's --agent-channel (docs/AGENT_CHANNEL.md).

Runs a command under `paddock run --ask --agent-channel FD`, prints every "blocked" notice, and
answers each permission_request from a small policy (a fixed list here; a real harness would ask
its model or its user interface).

    python3 examples/agent_channel_client.py -- npm install
"""
import json
import os
import socket
import subprocess
import sys
import threading


# The harness's judgement: here a fixed list; a real harness asks its model or its user.
TRUSTED = {"registry.npmjs.org", "pypi.org", "files.pythonhosted.org"}


def decide(request):
    """Return (decision, reason)."""
    if request["host"] in TRUSTED:
        return "allow_run", None
    return "deny", f"{request['host']} is not needed for this task"


def serve(conn):
    buf = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:  # paddock closes the channel when the run ends
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            msg = json.loads(line)
            if msg["type"] == "blocked":
                print(f"[agent] blocked: {msg['reason']}"
                      + (f" (try: {msg['advice']})" if "advice" in msg else ""), file=sys.stderr)
            elif msg["type"] == "permission_request":
                decision, reason = decide(msg)
                reply = {"type": "permission_response", "id": msg["id"], "decision": decision}
                if reason:
                    reply["reason"] = reason
                conn.sendall((json.dumps(reply) + "\n").encode())


def main():
    argv = sys.argv[1:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    fd = theirs.fileno()
    proc = subprocess.Popen(["paddock", "run", "--ask", "--agent-channel", str(fd), "--", *argv],
                            pass_fds=(fd,))
    theirs.close()  # only paddock holds that end now: its exit is our end of file
    t = threading.Thread(target=serve, args=(ours,), daemon=True)
    t.start()
    rc = proc.wait()
    t.join(5)
    sys.exit(rc)


if __name__ == "__main__":
    main()
