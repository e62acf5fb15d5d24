#!/usr/bin/env python3
"""Proxy benchmark (DESIGN 8): paddock's HTTP proxy against direct loopback, as ratios in one run.

Measures, with an upstream HTTP server this script runs on 127.0.0.1 (or --upstream-port):
  1. a 100 MB download: direct, through the proxy (absolute-form HTTP) and through a CONNECT
     tunnel; bar: proxy >= 0.9 of direct
  2. small requests per second, keep-alive and one connection per request; bar: >= 0.8 of direct
  3. 1,000 concurrent CONNECT tunnels, each carrying one request: all must be served; the
     proxy's RSS is reported when its pid is known (bar: < 64 MiB)

The proxy must allow --name (default bench.test) and send it to 127.0.0.1, e.g. `paddock run
--allow-domain bench.test --resolve bench.test=127.0.0.1 -- ...`, or use --start-proxy with
tests/tools/proxy_standalone, which this script then starts with exactly those rules:

  bench/proxy_bench.py --start-proxy build/tests/proxy_standalone
  bench/proxy_bench.py --proxy 127.0.0.1:3128 --proxy-pid 12345

Through `paddock run` the client must run inside the sandbox (the proxy listens on the sandbox's
own 127.0.0.1) while "direct" must run outside, so the two halves run separately:

  bench/proxy_bench.py --serve 8080 &                      # the upstream, outside
  bench/proxy_bench.py --mode direct --upstream-port 8080 --json-out direct.json
  paddock run --allow-domain bench.test --resolve bench.test=127.0.0.1 -- \
      bench/proxy_bench.py --mode proxy --proxy 127.0.0.1:3128 --upstream-port 8080 \
      --baseline direct.json

Downloads and small requests use curl when it is installed (the DESIGN's baseline is "direct curl
on loopback"), else a Python client (--client python forces it). Only the standard library.
"""

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

BLOCK = memoryview(b"\x5a" * (1 << 20))
SMALL_BODY = b"ok\n"


# --------------------------------------------------------------------------- upstream server


def _handle(conn):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            parts = lines[0].split(b" ")
            target = parts[1] if len(parts) > 1 else b"/"
            if not target.startswith(b"/"):  # absolute-form (a proxy that forwards it as is)
                target = b"/" + target.split(b"/", 3)[-1]
            close = any(l.lower().startswith(b"connection:") and b"close" in l.lower()
                        for l in lines[1:])
            conn_hdr = b"Connection: close\r\n" if close else b""
            if target.startswith(b"/bytes/"):
                n = int(target[7:])
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n" % (n, conn_hdr))
                while n > 0:
                    k = min(n, len(BLOCK))
                    conn.sendall(BLOCK[:k])
                    n -= k
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" %
                             (len(SMALL_BODY), conn_hdr, SMALL_BODY))
            if close:
                return
    except OSError:
        return
    finally:
        conn.close()


def _serve(port_queue, port):
    raise_nofile()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4096)
    port_queue.put(ls.getsockname()[1])
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=_handle, args=(conn,), daemon=True).start()


def start_upstream(port=0):
    q = multiprocessing.Queue()
    p = multiprocessing.Process(target=_serve, args=(q, port), daemon=True)
    p.start()
    return p, q.get(timeout=10)


# --------------------------------------------------------------------------- helpers


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def split_hostport(s):
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port)


def rss_kib(pid):
    """(VmRSS, VmHWM) in KiB of pid, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except (OSError, KeyError, ValueError):
        return None


def recv_until(sock, marker, buf=b""):
    while marker not in buf:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed")
        buf += data
    return buf


def read_response(sock, buf=b""):
    """Reads one Content-Length response; returns (status, body_len, rest)."""
    buf = recv_until(sock, b"\r\n\r\n", buf)
    head, rest = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    got = len(rest)
    if got >= length:
        return status, length, rest[length:]
    remaining = length - got
    scratch = bytearray(1 << 20)
    view = memoryview(scratch)
    while remaining > 0:
        n = sock.recv_into(view, min(remaining, len(scratch)))
        if n == 0:
            raise ConnectionError("closed mid-body")
        remaining -= n
    return status, length, b""


def best_of(repeat, fn):
    return min(fn() for _ in range(repeat))


# --------------------------------------------------------------------------- measurements


class Bench:
    def __init__(self, args, up_port):
        self.args = args
        self.up_port = up_port
        self.proxy = split_hostport(args.proxy) if args.proxy else None
        self.name = args.name
        self.curl = shutil.which("curl") if args.client != "python" else None
        self.results = {}
        self.baseline = {}
        if args.baseline:
            with open(args.baseline) as f:
                self.baseline = json.load(f)

    # -- downloads

    def _download_curl(self, mode, size):
        url_direct = f"http://127.0.0.1:{self.up_port}/bytes/{size}"
        url_named = f"http://{self.name}:{self.up_port}/bytes/{size}"
        cmd = [self.curl, "-s", "-o", "/dev/null", "-w", "%{size_download}"]
        if mode == "direct":
            cmd.append(url_direct)
        else:
            cmd += ["-x", f"http://{self.args.proxy}"]
            if mode == "connect":
                cmd.append("-p")
            cmd.append(url_named)
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        elapsed = time.perf_counter() - t0
        if int(out.strip() or 0) != size:
            raise RuntimeError(f"{mode}: downloaded {out!r} bytes, expected {size}")
        return elapsed

    def _download_python(self, mode, size):
        t0 = time.perf_counter()
        if mode == "direct":
            s = socket.create_connection(("127.0.0.1", self.up_port))
            req = f"GET /bytes/{size} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        else:
            s = socket.create_connection(self.proxy)
            hp = f"{self.name}:{self.up_port}"
            if mode == "connect":
                s.sendall(f"CONNECT {hp} HTTP/1.1\r\nHost: {hp}\r\n\r\n".encode())
                head = recv_until(s, b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"CONNECT refused: {head[:80]!r}")
                req = f"GET /bytes/{size} HTTP/1.1\r\nHost: {hp}\r\n\r\n"
            else:
                req = f"GET http://{hp}/bytes/{size} HTTP/1.1\r\nHost: {hp}\r\n\r\n"
        s.sendall(req.encode())
        status, n, _ = read_response(s)
        s.close()
        if status != 200 or n != size:
            raise RuntimeError(f"{mode}: status {status}, {n} bytes")
        return time.perf_counter() - t0

    def downloads(self):
        size = self.args.download_mb * 1000 * 1000
        fn = self._download_curl if self.curl else self._download_python
        res = dict(self.baseline.get("download", {}))
        modes = {"both": ("direct", "http", "connect"), "direct": ("direct",),
                 "proxy": ("http", "connect")}[self.args.mode]
        for mode in modes:
            t = best_of(self.args.repeat, lambda: fn(mode, size))
            res[mode] = {"seconds": t, "MBps": size / t / 1e6}
        if "direct" in res:
            for mode in ("http", "connect"):
                if mode in res:
                    res[mode]["ratio"] = res["direct"]["seconds"] / res[mode]["seconds"]
        self.results["download"] = res

    # -- small requests

    def _small_curl(self, mode, count, keepalive):
        with tempfile.NamedTemporaryFile("w", suffix=".curl", delete=False) as cfg:
            host = "127.0.0.1" if mode == "direct" else self.name
            for _ in range(count):
                cfg.write(f'url = "http://{host}:{self.up_port}/small"\n')
            path = cfg.name
        cmd = [self.curl, "-s", "-K", path]
        if not keepalive:
            cmd += ["-H", "Connection: close"]
        if mode != "direct":
            cmd += ["-x", f"http://{self.args.proxy}"]
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, check=True).stdout
        elapsed = time.perf_counter() - t0
        os.unlink(path)
        if out.count(SMALL_BODY) != count:
            raise RuntimeError(f"{mode}: {out.count(SMALL_BODY)} of {count} answers")
        return elapsed

    def _small_python(self, mode, count, keepalive):
        if mode == "direct":
            addr, req = ("127.0.0.1", self.up_port), "GET /small HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        else:
            hp = f"{self.name}:{self.up_port}"
            addr, req = self.proxy, f"GET http://{hp}/small HTTP/1.1\r\nHost: {hp}\r\n"
        req = (req + ("\r\n" if keepalive else "Connection: close\r\n\r\n")).encode()
        t0 = time.perf_counter()
        s, rest = None, b""
        for _ in range(count):
            if s is None:
                s = socket.create_connection(addr)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                rest = b""
            s.sendall(req)
            status, _, rest = read_response(s, rest)
            if status != 200:
                raise RuntimeError(f"{mode}: status {status}")
            if not keepalive:
                s.close()
                s = None
        if s is not None:
            s.close()
        return time.perf_counter() - t0

    def _small_parallel(self, mode, keepalive):
        fn = self._small_curl if self.curl else self._small_python
        par, count = self.args.parallel, self.args.requests
        per = max(1, count // par)
        if par == 1:
            return count / fn(mode, per, keepalive)
        times = [0.0] * par

        def run(i):
            times[i] = fn(mode, per, keepalive)

        t0 = time.perf_counter()
        threads = [threading.Thread(target=run, args=(i,)) for i in range(par)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return per * par / (time.perf_counter() - t0)

    def small_requests(self):
        res = {}
        base = self.baseline.get("small_requests", {})
        for keepalive in (True, False):
            key = "keepalive" if keepalive else "new_connection"
            v = dict(base.get(key, {}))
            for mode in ("direct", "proxy"):
                if self.args.mode in ("both", mode):
                    v[mode + "_rps"] = max(self._small_parallel(mode, keepalive)
                                           for _ in range(self.args.repeat))
            if "direct_rps" in v and "proxy_rps" in v:
                v["ratio"] = v["proxy_rps"] / v["direct_rps"]
            res[key] = v
        self.results["small_requests"] = res

    # -- concurrent tunnels

    def tunnels(self):
        n = self.args.tunnels
        hp = f"{self.name}:{self.up_port}"
        socks, served, failures = [], 0, []
        t0 = time.perf_counter()
        for _ in range(n):
            s = socket.create_connection(self.proxy, timeout=30)
            s.sendall(f"CONNECT {hp} HTTP/1.1\r\nHost: {hp}\r\n\r\n".encode())
            socks.append(s)
        rests = []
        for s in socks:
            try:
                head = recv_until(s, b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    failures.append(head[:60])
                rests.append(head.split(b"\r\n\r\n", 1)[1])
            except OSError as e:
                failures.append(str(e))
                rests.append(b"")
        established = time.perf_counter() - t0
        usage = rss_kib(self.args.proxy_pid) if self.args.proxy_pid else None
        for s in socks:
            try:
                s.sendall(f"GET /small HTTP/1.1\r\nHost: {hp}\r\n\r\n".encode())
            except OSError as e:
                failures.append(str(e))
        for s, rest in zip(socks, rests):
            try:
                status, _, _ = read_response(s, rest)
                served += status == 200
            except OSError as e:
                failures.append(str(e))
        total = time.perf_counter() - t0
        after = rss_kib(self.args.proxy_pid) if self.args.proxy_pid else None
        for s in socks:
            s.close()
        res = {"tunnels": n, "served": served, "established_s": established, "total_s": total,
               "failures": [repr(f) for f in failures[:5]]}
        if usage and after:
            res["proxy_rss_kib"] = max(usage[0], after[0])
            res["proxy_peak_rss_kib"] = after[1]
        self.results["tunnels"] = res


def start_proxy(path, name):
    proc = subprocess.Popen([path, "--http", "0", "--socks", "0", "--allow", name, "--resolve",
                             f"{name}=127.0.0.1"], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    fields = dict(kv.split("=") for kv in line.split())
    return proc, f"127.0.0.1:{fields['http']}"


def report(r):
    d = r.get("download")
    if d:
        for mode in ("direct", "http", "connect"):
            if mode not in d:
                continue
            line = f"download          {mode:7}{d[mode]['MBps']:8.0f} MB/s"
            if "ratio" in d[mode]:
                ok = "ok" if d[mode]["ratio"] >= 0.9 else "BELOW BAR 0.9"
                line += f"   ratio {d[mode]['ratio']:.2f}  {ok}"
            print(line)
    s = r.get("small_requests")
    if s:
        for key, v in s.items():
            line = f"small requests    {key:15}"
            for mode in ("direct", "proxy"):
                if mode + "_rps" in v:
                    line += f" {mode} {v[mode + '_rps']:8.0f}/s"
            if "ratio" in v:
                ok = "ok" if v["ratio"] >= 0.8 else "BELOW BAR 0.8"
                line += f"  ratio {v['ratio']:.2f}  {ok}"
            print(line)
    t = r.get("tunnels")
    if t:
        ok = "ok" if t["served"] == t["tunnels"] else "NOT ALL SERVED"
        line = (f"concurrent CONNECT tunnels: {t['served']}/{t['tunnels']} served  {ok}  "
                f"(open in {t['established_s']:.2f} s, done in {t['total_s']:.2f} s)")
        if "proxy_rss_kib" in t:
            mib = t["proxy_peak_rss_kib"] / 1024
            line += f"  proxy peak RSS {mib:.1f} MiB {'ok' if mib < 64 else 'ABOVE BAR 64'}"
        print(line)
        for f in t["failures"]:
            print("   failure:", f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--proxy", help="HTTP proxy HOST:PORT (e.g. 127.0.0.1:3128)")
    ap.add_argument("--start-proxy", metavar="PATH", help="start tests/tools/proxy_standalone")
    ap.add_argument("--proxy-pid", type=int, help="pid whose RSS to report")
    ap.add_argument("--name", default="bench.test",
                    help="host name the proxy allows and sends to 127.0.0.1 (default bench.test)")
    ap.add_argument("--upstream-port", type=int, default=0,
                    help="use a server already on 127.0.0.1:PORT (it must serve /bytes/N and "
                    "/small like ours); default: start one")
    ap.add_argument("--client", choices=("auto", "python"), default="auto")
    ap.add_argument("--download-mb", type=int, default=100)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--parallel", type=int, default=1, help="concurrent small-request clients")
    ap.add_argument("--tunnels", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="best of N for each measurement")
    ap.add_argument("--only", choices=("download", "small", "tunnels"), action="append")
    ap.add_argument("--json", action="store_true", help="print the results as JSON too")
    ap.add_argument("--json-out", metavar="FILE", help="write the results as JSON to FILE")
    ap.add_argument("--mode", choices=("both", "direct", "proxy"), default="both",
                    help="measure direct, through the proxy, or both (default)")
    ap.add_argument("--baseline", metavar="FILE",
                    help="results of an earlier --mode direct run, for the ratios")
    ap.add_argument("--serve", type=int, metavar="PORT",
                    help="only run the upstream server on 127.0.0.1:PORT (0: any), until killed")
    args = ap.parse_args()
    raise_nofile()
    if args.serve is not None:
        q = multiprocessing.Queue()
        threading.Thread(target=lambda: print(f"upstream 127.0.0.1:{q.get()}", flush=True),
                         daemon=True).start()
        _serve(q, args.serve)
        return

    proxy_proc = None
    if args.start_proxy:
        proxy_proc, args.proxy = start_proxy(args.start_proxy, args.name)
        args.proxy_pid = proxy_proc.pid
    if not args.proxy and args.mode != "direct":
        ap.error("--proxy or --start-proxy is required (or --mode direct)")

    server = None
    up_port = args.upstream_port
    if not up_port:
        server, up_port = start_upstream()
    try:
        b = Bench(args, up_port)
        only = set(args.only or ("download", "small", "tunnels"))
        if args.mode == "direct":
            only.discard("tunnels")
        print(f"proxy {args.proxy}, upstream 127.0.0.1:{up_port} as {args.name}, client "
              f"{'curl' if b.curl else 'python'}, best of {args.repeat}")
        if "download" in only:
            b.downloads()
        if "small" in only:
            b.small_requests()
        if "tunnels" in only:
            b.tunnels()
        report(b.results)
        if args.json:
            print(json.dumps(b.results, indent=2))
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump(b.results, f, indent=2)
    finally:
        if proxy_proc:
            proxy_proc.terminate()
            proxy_proc.wait(timeout=10)
        if server:
            server.terminate()


if __name__ == "__main__":
    main()
