#!/usr/bin/env python3
"""Proxy benchmark (DESIGN 8): paddock's HTTP proxy against direct loopback, as ratios in one run.

Measures, with an upstream HTTP server this script runs on 127.0.0.1 (or --upstream-port):
  1. a 100 MB download: direct, through the proxy (absolute-form HTTP) and through a CONNECT
     tunnel; bar: proxy >= 0.9 of direct
  2. small requests per second, keep-alive and one connection per request; bar: >= 0.8 of direct;
     and the latency each request gains through the proxy (p50 and p99 of the per-request times,
     proxy minus direct)
  3. 1,000 concurrent CONNECT tunnels, each carrying one request: all must be served; the
     proxy's RSS is reported when its pid is known (bar: < 64 MiB)

Every figure is the median, min and max of --runs runs (default 15, at least 10 for a verdict)
after --warmup runs that are thrown away. Direct and proxied runs are interleaved round by round
(the order rotating), so a slow moment of the machine hits both; a ratio is taken per round (direct
and proxied of the same round) and reported as the median, min and max of those. Same client
(curl, else Python), same upstream, same sizes for every path.

The yardstick: bench/ideal_relay.c, compiled by this script when a C compiler is there, is the
least work any relay can do (accept, connect, splice both ways, nothing else). It is measured in
the same rounds with the same client; a bar the ideal relay cannot meet on this machine is out of
reach for any user-space proxy here. For downloads the CPU time of client, upstream and relay is
also accounted (/proc, rusage): total CPU-seconds per GB divided by the CPU count bounds the
throughput from above, whatever the scheduler does.

The proxy must allow --name (default bench.test) and send it to 127.0.0.1, e.g. `paddock run
--allow-domain bench.test --resolve bench.test=127.0.0.1 -- ...`, or use --start-proxy with
tests/tools/proxy_standalone, which this script then starts with exactly those rules:

  bench/proxy_bench.py --start-proxy build/proxy_standalone --json-out results.json
  bench/proxy_bench.py --proxy 127.0.0.1:3128 --proxy-pid 12345

Through `paddock run` the client must run inside the sandbox (the proxy listens on the sandbox's
own 127.0.0.1) while "direct" must run outside, so the two halves run separately (ratios are then
taken against the baseline's median, and nothing is interleaved):

  bench/proxy_bench.py --serve 8080 &                      # the upstream, outside
  bench/proxy_bench.py --mode direct --upstream-port 8080 --json-out direct.json
  paddock run --allow-domain bench.test --resolve bench.test=127.0.0.1 -- \\
      bench/proxy_bench.py --mode proxy --proxy 127.0.0.1:3128 --upstream-port 8080 \\
      --baseline direct.json

Downloads and small requests use curl when it is installed (the DESIGN's baseline is "direct curl
on loopback"), else a Python client (--client python forces it). Only the standard library.

JSON (--json-out FILE, --json): one object; absent parts were not measured. A "stats" object is
{"median": x, "min": x, "max": x, "n": runs}.

  config          {runs, warmup, download_bytes, requests, parallel, client, cpus, proxy,
                   proxy_threads, upstream_port, mode, kernel, tcp_congestion_control,
                   loadavg_start, loadavg_end, notes: [..]}
  download        {"direct": {"MBps": stats, "seconds": stats},
                   "http" | "connect": {"MBps": stats, "seconds": stats,
                                        "ratio": stats,     proxied/direct throughput, per round
                                        "bar": 0.9, "met": ratio.median >= bar}}
  small_requests  {"keepalive" | "new_connection": {
                       "direct_rps": stats, "proxy_rps": stats, "ratio": stats,
                       "bar": 0.8, "met": bool}}
  latency         {"keepalive" | "new_connection": {
                       "direct_us": {"p50", "p99"}, "proxy_us": {"p50", "p99"},
                       "added_us": {"p50", "p99"}}}       proxy minus direct, per request
  tunnels         {tunnels, served, established_s, total_s, failures: [..],
                   proxy_rss_kib, proxy_peak_rss_kib}    (RSS when the proxy's pid is known)
  ideal_relay     the yardstick, same rounds and client: {"download": {"http" | "connect":
                   {"MBps": stats, "fraction_of_direct": stats}}, "small_requests":
                   {"keepalive" | "new_connection": {"rps": stats, "fraction_of_direct":
                   stats}}, "latency": {same shape as latency, relay minus direct}}
  cpu             {"download": {"direct" | "http" | "connect" | "ideal_http" | "ideal_connect":
                   {"client_s_per_GB", "upstream_s_per_GB", "relay_s_per_GB", "total_s_per_GB",
                    "bound_MBps": what the CPU work allows on config.cpus CPUs at best,
                    "bound_of_direct": bound_MBps / direct median MBps}}}
                  CPU time moving the bytes: each party's CPU during the download less its CPU
                  during a one-byte download over the same path (start-up, connection, heads)
"""

import argparse
import json
import multiprocessing
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BLOCK = memoryview(b"\x5a" * (1 << 20))
SMALL_BODY = b"ok\n"
DOWNLOAD_BAR = 0.9
SMALL_BAR = 0.8
MIN_RUNS_FOR_VERDICT = 10


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


def cpu_seconds(pid):
    """CPU time of a whole process, threads that ended included, to the nanosecond (its process
    CPU clock: clock_getcpuclockid(), which Python lacks, is this formula), or None."""
    if not pid:
        return None
    try:
        return time.clock_gettime(((~pid) << 3) | 2)
    except OSError:
        return None


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def stats(values):
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
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


# --------------------------------------------------------------------------- the ideal relay


def build_ideal_relay(workdir):
    """Compiles bench/ideal_relay.c into workdir; returns the binary's path or (None, why)."""
    src = os.path.join(HERE, "ideal_relay.c")
    cc = next((c for c in ("cc", "gcc", "clang") if shutil.which(c)), None)
    if not os.path.exists(src):
        return None, "bench/ideal_relay.c missing"
    if not cc:
        return None, "no C compiler"
    out = os.path.join(workdir, "ideal_relay")
    r = subprocess.run([cc, "-O2", "-pthread", "-o", out, src], capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"{cc} failed: {r.stderr.strip().splitlines()[-1:]}"
    return out, None


def start_ideal_relay(binary, up_port):
    # The same choices paddock makes for bulk transfers (1 MiB pipes, reno on the loopback side),
    # so the yardstick is the best a relay does here, not a straw man.
    proc = subprocess.Popen([binary, "0", str(up_port), "--pipe-size", str(1 << 20), "--cc",
                             "reno"], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("port="):
        proc.kill()
        proc.wait()
        raise RuntimeError(f"ideal_relay did not start: {line!r}")
    return proc, f"127.0.0.1:{int(line.split('=')[1])}"


# --------------------------------------------------------------------------- measurements


class Path:
    """One way to the upstream: direct, through the proxy, or through the ideal relay."""

    def __init__(self, key, proxy=None, connect=False, pid=None):
        self.key = key          # "direct", "http", "connect", "ideal_http", "ideal_connect", ...
        self.proxy = proxy      # "host:port" or None (direct)
        self.connect = connect  # tunnel with CONNECT
        self.pid = pid          # the relay's pid, for CPU accounting


class Bench:
    def __init__(self, args, up_port, up_pid, ideal):
        self.args = args
        self.up_port = up_port
        self.up_pid = up_pid
        self.ideal = ideal  # "host:port" of the ideal relay, pid; or None
        self.name = args.name
        self.curl = shutil.which("curl") if args.client != "python" else None
        self.results = {}
        self.baseline = {}
        if args.baseline:
            with open(args.baseline) as f:
                self.baseline = json.load(f)
        self.tmp = tempfile.mkdtemp(prefix="proxy_bench.")

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def rounds(self):
        """(round index, measured?) for warm-up then measured rounds."""
        for i in range(self.args.warmup + self.args.runs):
            yield i, i >= self.args.warmup

    @staticmethod
    def rotate(items, i):
        k = i % len(items)
        return items[k:] + items[:k]

    # -- downloads

    def _download_curl(self, path, size):
        if path.proxy:
            cmd = [self.curl, "-sS", "-o", "/dev/null", "-x", f"http://{path.proxy}"]
            if path.connect:
                cmd.append("-p")
            cmd.append(f"http://{self.name}:{self.up_port}/bytes/{size}")
        else:
            cmd = [self.curl, "-sS", "-o", "/dev/null", f"http://127.0.0.1:{self.up_port}/bytes/{size}"]
        cmd[1:1] = ["-w", "%{http_code} %{size_download} %{time_total}"]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"{path.key}: curl exited {out.returncode}: {out.stderr.strip()}")
        code, got, seconds = out.stdout.split()
        if code != "200" or int(got) != size:
            raise RuntimeError(f"{path.key}: status {code}, {got} of {size} bytes")
        return float(seconds)

    def _download_python(self, path, size):
        t0 = time.perf_counter()
        if not path.proxy:
            s = socket.create_connection(("127.0.0.1", self.up_port))
            req = f"GET /bytes/{size} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        else:
            s = socket.create_connection(split_hostport(path.proxy))
            hp = f"{self.name}:{self.up_port}"
            if path.connect:
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
            raise RuntimeError(f"{path.key}: status {status}, {n} bytes")
        return time.perf_counter() - t0

    def _download_once(self, path, size):
        """(seconds, {client, upstream, relay: CPU seconds or None})."""
        fn = self._download_curl if self.curl else self._download_python
        c0, u0, r0 = children_cpu(), cpu_seconds(self.up_pid), cpu_seconds(path.pid)
        seconds = fn(path, size)
        c1, u1, r1 = children_cpu(), cpu_seconds(self.up_pid), cpu_seconds(path.pid)
        cpu = {"client": c1 - c0 if self.curl else None,
               "upstream": None if u0 is None or u1 is None else u1 - u0,
               "relay": None if r0 is None or r1 is None else r1 - r0}
        if not path.pid and path.key == "direct":
            cpu["relay"] = 0.0
        return seconds, cpu

    def _transfer_cpu(self, path, size):
        """(seconds, CPU of each party for the bytes alone): the CPU of a one-byte download over
        the same path (curl's start-up, the connection, the heads) is taken off, so what is left
        is what moving `size` bytes costs, the part that bounds a long transfer."""
        seconds, big = self._download_once(path, size)
        _, tiny = self._download_once(path, 1)
        return seconds, {k: None if big[k] is None or tiny[k] is None else max(0.0, big[k] - tiny[k])
                         for k in big}

    def downloads(self, paths):
        size = self.args.download_mb * 1000 * 1000
        times = {p.key: [] for p in paths}
        cpu = {p.key: {"client": [], "upstream": [], "relay": []} for p in paths}
        for i, measured in self.rounds():
            for p in self.rotate(paths, i):
                t, c = self._transfer_cpu(p, size)
                if measured:
                    times[p.key].append(t)
                    for k, v in c.items():
                        cpu[p.key][k].append(v)
        res = dict(self.baseline.get("download", {}))
        direct_med = None
        if times.get("direct"):
            direct_med = statistics.median(times["direct"])
        elif "direct" in res:
            direct_med = res["direct"]["seconds"]["median"]
        ideal = {}
        for p in paths:
            t = times[p.key]
            entry = {"MBps": stats([size / x / 1e6 for x in t]), "seconds": stats(t)}
            if p.key != "direct" and direct_med is not None:
                if times.get("direct"):  # same rounds: one ratio per round
                    r = [d / x for d, x in zip(times["direct"], t)]
                else:
                    r = [direct_med / x for x in t]
                if p.key.startswith("ideal_"):
                    entry["fraction_of_direct"] = stats(r)
                else:
                    entry["ratio"] = stats(r)
                    entry["bar"] = DOWNLOAD_BAR
                    entry["met"] = self.verdict(entry["ratio"], DOWNLOAD_BAR)
            if p.key.startswith("ideal_"):
                ideal[p.key[len("ideal_"):]] = entry
            else:
                res[p.key] = entry
        self.results["download"] = res
        if ideal:
            self.results.setdefault("ideal_relay", {})["download"] = ideal
        self.results.setdefault("cpu", {})["download"] = self._cpu_table(cpu, times, size,
                                                                          direct_med)

    def _cpu_table(self, cpu, times, size, direct_med):
        ncpu = os.cpu_count() or 1
        out = {}
        for key, parts in cpu.items():
            gb = size * len(times[key]) / 1e9
            if not gb:
                continue
            row = {}
            total = 0.0
            complete = True
            for who, label in (("client", "client_s_per_GB"), ("upstream", "upstream_s_per_GB"),
                               ("relay", "relay_s_per_GB")):
                vals = parts[who]
                if not vals or any(v is None for v in vals):
                    complete = False
                    continue
                row[label] = sum(vals) / gb
                total += sum(vals)
            if complete:
                row["total_s_per_GB"] = total / gb
                bound = size * len(times[key]) / (total / ncpu) / 1e6 if total > 0 else None
                row["bound_MBps"] = bound
                if bound and direct_med:
                    row["bound_of_direct"] = bound / (size / direct_med / 1e6)
            out[key] = row
        return out

    def verdict(self, st, bar):
        if st is None or st["n"] < MIN_RUNS_FOR_VERDICT:
            return None  # too few runs to call it
        return st["median"] >= bar

    # -- small requests

    def _small_curl(self, path, count, keepalive):
        """(wall seconds, [per-request seconds])."""
        host = self.name if path.proxy else "127.0.0.1"
        cfg = os.path.join(self.tmp, f"small-{host}.curl")
        if not os.path.exists(cfg):
            with open(cfg, "w") as f:
                for _ in range(count):
                    f.write(f'url = "http://{host}:{self.up_port}/small"\noutput = "/dev/null"\n')
        cmd = [self.curl, "-sS", "-K", cfg, "-w", "%{http_code} %{time_total}\\n"]
        if not keepalive:
            cmd += ["-H", "Connection: close"]
        if path.proxy:
            cmd += ["-x", f"http://{path.proxy}"]
            if path.connect:
                cmd.append("-p")
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        if out.returncode != 0:
            raise RuntimeError(f"{path.key}: curl exited {out.returncode}: {out.stderr.strip()}")
        lines = out.stdout.split("\n")[:-1]
        ok = [float(t) for code, t in (l.split() for l in lines) if code == "200"]
        if len(ok) != count:
            raise RuntimeError(f"{path.key}: {len(ok)} of {count} answers were 200")
        return elapsed, ok

    def _small_python(self, path, count, keepalive):
        if not path.proxy:
            addr, req = ("127.0.0.1", self.up_port), "GET /small HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        else:
            hp = f"{self.name}:{self.up_port}"
            addr, req = split_hostport(path.proxy), f"GET http://{hp}/small HTTP/1.1\r\nHost: {hp}\r\n"
        req = (req + ("\r\n" if keepalive else "Connection: close\r\n\r\n")).encode()
        lat = []
        t0 = time.perf_counter()
        s, rest = None, b""
        for _ in range(count):
            r0 = time.perf_counter()
            if s is None:
                s = socket.create_connection(addr)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                rest = b""
            s.sendall(req)
            status, _, rest = read_response(s, rest)
            if status != 200:
                raise RuntimeError(f"{path.key}: status {status}")
            if not keepalive:
                s.close()
                s = None
            lat.append(time.perf_counter() - r0)
        if s is not None:
            s.close()
        return time.perf_counter() - t0, lat

    def _small_once(self, path, keepalive):
        """(requests per second, [per-request seconds])."""
        fn = self._small_curl if self.curl else self._small_python
        par, count = self.args.parallel, self.args.requests
        per = max(1, count // par)
        if par == 1:
            wall, lat = fn(path, per, keepalive)
            return per / wall, lat
        lats = [None] * par

        def run(i):
            lats[i] = fn(path, per, keepalive)[1]

        t0 = time.perf_counter()
        threads = [threading.Thread(target=run, args=(i,)) for i in range(par)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        return per * par / wall, [x for l in lats for x in l]

    def small_requests(self, paths):
        res, lat_res, ideal = {}, {}, {}
        base = self.baseline.get("small_requests", {})
        base_lat = self.baseline.get("latency", {})
        for keepalive in (True, False):
            key = "keepalive" if keepalive else "new_connection"
            rps = {p.key: [] for p in paths}
            lat = {p.key: [] for p in paths}
            for i, measured in self.rounds():
                for p in self.rotate(paths, i):
                    r, l = self._small_once(p, keepalive)
                    if measured:
                        rps[p.key].append(r)
                        lat[p.key].extend(l)
            v = dict(base.get(key, {}))
            lv = dict(base_lat.get(key, {}))
            if rps.get("direct"):
                v["direct_rps"] = stats(rps["direct"])
                lv["direct_us"] = self._pcts(lat["direct"])
            direct = rps.get("direct") or None
            direct_med = v["direct_rps"]["median"] if "direct_rps" in v else None
            for p in paths:
                if p.key == "direct":
                    continue
                ratios = None
                if direct:
                    ratios = stats([x / d for d, x in zip(direct, rps[p.key])])
                elif direct_med:
                    ratios = stats([x / direct_med for x in rps[p.key]])
                pl = self._pcts(lat[p.key])
                added = None
                if "direct_us" in lv:
                    added = {k: pl[k] - lv["direct_us"][k] for k in ("p50", "p99")}
                if p.key.startswith("ideal"):
                    e = {"rps": stats(rps[p.key])}
                    if ratios:
                        e["fraction_of_direct"] = ratios
                    ideal.setdefault("small_requests", {})[key] = e
                    le = {"relay_us": pl}
                    if added:
                        le["added_us"] = added
                    ideal.setdefault("latency", {})[key] = le
                    continue
                v["proxy_rps"] = stats(rps[p.key])
                lv["proxy_us"] = pl
                if added:
                    lv["added_us"] = added
                if ratios:
                    v["ratio"] = ratios
                    v["bar"] = SMALL_BAR
                    v["met"] = self.verdict(ratios, SMALL_BAR)
            res[key] = v
            lat_res[key] = lv
        self.results["small_requests"] = res
        self.results["latency"] = lat_res
        for k, e in ideal.items():
            self.results.setdefault("ideal_relay", {})[k] = e

    @staticmethod
    def _pcts(values):
        return {"p50": percentile(values, 50) * 1e6, "p99": percentile(values, 99) * 1e6}

    # -- concurrent tunnels

    def tunnels(self, proxy, proxy_pid):
        n = self.args.tunnels
        hp = f"{self.name}:{self.up_port}"
        socks, served, failures = [], 0, []
        t0 = time.perf_counter()
        for _ in range(n):
            s = socket.create_connection(split_hostport(proxy), timeout=30)
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
        usage = rss_kib(proxy_pid) if proxy_pid else None
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
        after = rss_kib(proxy_pid) if proxy_pid else None
        for s in socks:
            s.close()
        res = {"tunnels": n, "served": served, "established_s": established, "total_s": total,
               "failures": [repr(f) for f in failures[:5]]}
        if usage and after:
            res["proxy_rss_kib"] = max(usage[0], after[0])
            res["proxy_peak_rss_kib"] = after[1]
        self.results["tunnels"] = res


def start_proxy(path, name, threads):
    cmd = [path, "--http", "0", "--socks", "0", "--allow", name, "--resolve", f"{name}=127.0.0.1"]
    if threads:
        cmd += ["--threads", str(threads)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    fields = dict(kv.split("=") for kv in line.split())
    return proc, f"127.0.0.1:{fields['http']}"


# --------------------------------------------------------------------------- report


def fmt_stats(st, unit="", digits=0):
    if not st:
        return "-"
    f = f"{{:.{digits}f}}"
    return (f"{f.format(st['median'])}{unit} [{f.format(st['min'])}..{f.format(st['max'])}]")


def fmt_met(entry):
    met = entry.get("met")
    if met is None:
        return f"(bar {entry['bar']}: too few runs to judge)"
    return "ok" if met else f"BELOW BAR {entry['bar']}"


def report(r):
    cfg = r.get("config", {})
    print(f"median [min..max] of {cfg.get('runs')} runs after {cfg.get('warmup')} warm-up; "
          f"ratios per round; {cfg.get('cpus')} CPUs")
    d = r.get("download")
    ideal = r.get("ideal_relay", {})
    if d:
        for mode in ("direct", "http", "connect"):
            if mode not in d:
                continue
            e = d[mode]
            line = f"download        {mode:8} {fmt_stats(e['MBps'], ' MB/s'):>28}"
            if "ratio" in e:
                line += f"   ratio {fmt_stats(e['ratio'], '', 2):18} {fmt_met(e)}"
            print(line)
        for mode in ("http", "connect"):
            e = ideal.get("download", {}).get(mode)
            if e:
                line = f"  ideal relay   {mode:8} {fmt_stats(e['MBps'], ' MB/s'):>28}"
                if "fraction_of_direct" in e:
                    line += f"   of direct {fmt_stats(e['fraction_of_direct'], '', 2)}"
                print(line)
    c = {k: row for k, row in r.get("cpu", {}).get("download", {}).items()
         if "total_s_per_GB" in row}
    if c:
        print("download CPU    (s per GB: client + upstream + relay = total; best possible MB/s "
              "on all CPUs)")
        for key, row in c.items():
            line = (f"  {key:13} {row['client_s_per_GB']:.3f} + {row['upstream_s_per_GB']:.3f} + "
                    f"{row['relay_s_per_GB']:.3f} = {row['total_s_per_GB']:.3f}   "
                    f"<= {row['bound_MBps']:.0f} MB/s")
            if "bound_of_direct" in row:
                line += f" ({row['bound_of_direct']:.2f} of direct)"
            print(line)
    s = r.get("small_requests")
    lat = r.get("latency", {})
    if s:
        for key, v in s.items():
            line = f"small requests  {key:15}"
            if "direct_rps" in v:
                line += f" direct {fmt_stats(v['direct_rps'], '/s')}"
            if "proxy_rps" in v:
                line += f"  proxy {fmt_stats(v['proxy_rps'], '/s')}"
            print(line)
            if "ratio" in v:
                print(f"                {'':15} ratio {fmt_stats(v['ratio'], '', 2)}  {fmt_met(v)}")
            lv = lat.get(key, {})
            if "added_us" in lv:
                print(f"                {'':15} latency p50/p99: direct {lv['direct_us']['p50']:.0f}/"
                      f"{lv['direct_us']['p99']:.0f} us, proxy {lv['proxy_us']['p50']:.0f}/"
                      f"{lv['proxy_us']['p99']:.0f} us, added {lv['added_us']['p50']:+.0f}/"
                      f"{lv['added_us']['p99']:+.0f} us")
            e = ideal.get("small_requests", {}).get(key)
            if e:
                line = f"  ideal relay   {key:15} {fmt_stats(e['rps'], '/s')}"
                if "fraction_of_direct" in e:
                    line += f"  of direct {fmt_stats(e['fraction_of_direct'], '', 2)}"
                il = ideal.get("latency", {}).get(key, {})
                if "added_us" in il:
                    line += (f"  added p50/p99 {il['added_us']['p50']:+.0f}/"
                             f"{il['added_us']['p99']:+.0f} us")
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
    for n in cfg.get("notes", []):
        print("note:", n)


def machine_config(args, b, up_port):
    return {
        "runs": args.runs, "warmup": args.warmup, "download_bytes": args.download_mb * 1000 * 1000,
        "requests": args.requests, "parallel": args.parallel,
        "client": "curl" if b.curl else "python", "cpus": os.cpu_count(), "proxy": args.proxy,
        "proxy_threads": args.proxy_threads, "upstream_port": up_port, "mode": args.mode,
        "kernel": platform.release(),
        "tcp_congestion_control": read_text("/proc/sys/net/ipv4/tcp_congestion_control"),
        "loadavg_start": os.getloadavg()[0],
        "notes": [],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--proxy", help="HTTP proxy HOST:PORT (e.g. 127.0.0.1:3128)")
    ap.add_argument("--start-proxy", metavar="PATH", help="start tests/tools/proxy_standalone")
    ap.add_argument("--proxy-threads", type=int, help="--threads for --start-proxy")
    ap.add_argument("--proxy-pid", type=int, help="pid whose RSS and CPU time to report")
    ap.add_argument("--name", default="bench.test",
                    help="host name the proxy allows and sends to 127.0.0.1 (default bench.test)")
    ap.add_argument("--upstream-port", type=int, default=0,
                    help="use a server already on 127.0.0.1:PORT (it must serve /bytes/N and "
                    "/small like ours); default: start one")
    ap.add_argument("--client", choices=("auto", "python"), default="auto")
    ap.add_argument("--download-mb", type=int, default=100)
    ap.add_argument("--requests", type=int, default=2000, help="small requests per run")
    ap.add_argument("--parallel", type=int, default=1, help="concurrent small-request clients")
    ap.add_argument("--tunnels", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=15,
                    help=f"measured runs per figure (default 15; fewer than "
                    f"{MIN_RUNS_FOR_VERDICT} gives no verdict)")
    ap.add_argument("--repeat", type=int, help=argparse.SUPPRESS)  # the old name of --runs
    ap.add_argument("--warmup", type=int, default=2, help="runs thrown away first (default 2)")
    ap.add_argument("--no-ideal", action="store_true", help="skip the ideal relay yardstick")
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
    if args.repeat is not None:
        args.runs = args.repeat
    raise_nofile()
    if args.serve is not None:
        q = multiprocessing.Queue()
        threading.Thread(target=lambda: print(f"upstream 127.0.0.1:{q.get()}", flush=True),
                         daemon=True).start()
        _serve(q, args.serve)
        return

    proxy_proc = None
    if args.start_proxy:
        proxy_proc, args.proxy = start_proxy(args.start_proxy, args.name, args.proxy_threads)
        args.proxy_pid = proxy_proc.pid
    if not args.proxy and args.mode != "direct":
        ap.error("--proxy or --start-proxy is required (or --mode direct)")

    server, up_pid = None, None
    up_port = args.upstream_port
    if not up_port:
        server, up_port = start_upstream()
        up_pid = server.pid
    ideal_proc = b = None
    try:
        b = Bench(args, up_port, up_pid, None)
        b.results["config"] = cfg = machine_config(args, b, up_port)
        if args.runs < MIN_RUNS_FOR_VERDICT:
            cfg["notes"].append(f"{args.runs} runs: fewer than {MIN_RUNS_FOR_VERDICT}, no verdicts")
        ideal_addr = None
        if args.mode == "both" and not args.no_ideal:
            binary, why = build_ideal_relay(b.tmp)
            if binary:
                ideal_proc, ideal_addr = start_ideal_relay(binary, up_port)
            else:
                cfg["notes"].append(f"ideal relay skipped: {why}")
        only = set(args.only or ("download", "small", "tunnels"))
        if args.mode == "direct":
            only.discard("tunnels")

        paths = []
        if args.mode in ("both", "direct"):
            paths.append(Path("direct"))
        if args.mode in ("both", "proxy"):
            paths += [Path("http", args.proxy, False, args.proxy_pid),
                      Path("connect", args.proxy, True, args.proxy_pid)]
        if ideal_addr:
            paths += [Path("ideal_http", ideal_addr, False, ideal_proc.pid),
                      Path("ideal_connect", ideal_addr, True, ideal_proc.pid)]
        # Small requests go absolute-form (what HTTP clients do through a proxy); the relay
        # forwards them the same way.
        renamed = {"direct": "direct", "http": "proxy", "ideal_http": "ideal"}
        small_paths = [Path(renamed[p.key], p.proxy, False, p.pid) for p in paths
                       if p.key in renamed]

        print(f"proxy {args.proxy}, upstream 127.0.0.1:{up_port} as {args.name}, client "
              f"{'curl' if b.curl else 'python'}, ideal relay {ideal_addr or 'not run'}",
              flush=True)
        if "download" in only:
            b.downloads(paths)
        if "small" in only:
            b.small_requests(small_paths)
        if "tunnels" in only:
            b.tunnels(args.proxy, args.proxy_pid)
        cfg["loadavg_end"] = os.getloadavg()[0]
        busy = max(cfg["loadavg_start"], cfg["loadavg_end"])
        if busy > 0.5 * (os.cpu_count() or 1):
            cfg["notes"].append(f"load average {busy:.1f} on {os.cpu_count()} CPUs: other work "
                                "ran during the measurement; figures are noisier than usual")
        report(b.results)
        if args.json:
            print(json.dumps(b.results, indent=2))
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump(b.results, f, indent=2)
    finally:
        for proc in (proxy_proc, ideal_proc):
            if proc:
                proc.terminate()
                proc.wait(timeout=10)
        if server:
            server.terminate()
        if b:
            b.close()


if __name__ == "__main__":
    main()
