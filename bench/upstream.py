#!/usr/bin/env python3
"""A loopback HTTP upstream for the download comparison: GET /bytes/N answers N bytes.

Listens on 127.0.0.1 and, on the same port, ::1 when it can (srt resolves `localhost` itself and
may dial either). Prints `port N` once listening, then serves until killed. Standard library only.
"""

import socket
import sys
import threading

BLOCK = memoryview(b"\x5a" * (1 << 20))


def handle(conn):
    try:
        buf = b""
        while b"\r\n\r\n" not in buf:
            data = conn.recv(65536)
            if not data:
                return
            buf += data
        target = buf.split(b"\r\n", 1)[0].split(b" ")[1]
        if not target.startswith(b"/"):  # absolute-form
            target = b"/" + target.split(b"/", 3)[-1]
        n = int(target[7:]) if target.startswith(b"/bytes/") else 3
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % n)
        while n > 0:
            k = min(n, len(BLOCK))
            conn.sendall(BLOCK[:k])
            n -= k
    except (OSError, ValueError, IndexError):
        pass
    finally:
        conn.close()


def serve(ls):
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def main():
    v4 = socket.socket()
    v4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    v4.bind(("127.0.0.1", 0))
    v4.listen(512)
    port = v4.getsockname()[1]
    listeners = [v4]
    try:
        v6 = socket.socket(socket.AF_INET6)
        v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        v6.bind(("::1", port))
        v6.listen(512)
        listeners.append(v6)
    except OSError:
        pass
    for ls in listeners[1:]:
        threading.Thread(target=serve, args=(ls,), daemon=True).start()
    print(f"port {port}", flush=True)
    serve(v4)


if __name__ == "__main__":
    sys.exit(main())
