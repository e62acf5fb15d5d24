"""Shared pieces of the benchmark suite: timing, statistics, process-tree memory, results.

Only the standard library. Nothing here asserts a timing: functions measure and return numbers,
or a reason why a case could not run.
"""

import os
import statistics
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.path.join(ROOT, "build", "bench-cache")


def stats(samples):
    """median/min/max (and the samples) of a list of numbers."""
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "runs": len(samples), "samples": [round(s, 4) for s in samples]}


def last_line(data, rc):
    text = data.decode(errors="replace") if isinstance(data, bytes) else (data or "")
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    return lines[-1][:300] if lines else f"exit status {rc}"


class Case:
    """One command to time: a name, the sandbox it runs under, argv, cwd and environment."""

    def __init__(self, name, sandbox, argv, cwd=None, env=None, stdin=None, ok=(0,)):
        self.name, self.sandbox, self.argv, self.ok = name, sandbox, argv, ok
        self.cwd, self.env, self.stdin = cwd, env, stdin
        self.wall, self.cpu = [], []
        self.skip = None

    def run_once(self):
        """Runs the command once; returns (wall ms, cpu ms) or raises RuntimeError with the reason."""
        stdin = subprocess.DEVNULL if self.stdin is None else subprocess.PIPE
        t0 = time.perf_counter()
        p = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdin=stdin,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if self.stdin is not None:
            p.stdin.write(self.stdin)
            p.stdin.close()
        err = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        wall = (time.perf_counter() - t0) * 1000.0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode not in self.ok:
            raise RuntimeError(last_line(err, p.returncode))
        return wall, (ru.ru_utime + ru.ru_stime) * 1000.0

    def result(self):
        r = {"name": self.name, "sandbox": self.sandbox, "command": self.argv}
        if self.skip:
            r["skipped"] = self.skip
        elif self.wall:
            r["wall_ms"] = stats(self.wall)
            r["cpu_ms"] = stats(self.cpu)
        return r


def measure_interleaved(cases, runs, warmup, progress=None):
    """Times every case `runs` times after `warmup` untimed runs, round-robin across cases so a
    change in the machine's load hits every case alike. A case that fails is dropped with the
    reason (its last line of stderr)."""
    live = [c for c in cases if not c.skip]
    for c in live:  # a first run tells whether the case can run at all (and warms caches)
        try:
            c.run_once()
        except (RuntimeError, OSError) as e:
            c.skip = f"failed: {e}"
    for rnd in range(warmup - 1 + runs):
        # The order rotates each round, so no case always follows the same neighbour; after a
        # heavy run (srt's node, gVisor) a short pause lets its teardown finish off the clock.
        k = rnd % len(cases) if cases else 0
        for c in cases[k:] + cases[:k]:
            if c.skip:
                continue
            try:
                w, cpu = c.run_once()
            except (RuntimeError, OSError) as e:
                c.skip = f"failed during the runs: {e}"
                continue
            if rnd >= warmup - 1:
                c.wall.append(w)
                c.cpu.append(cpu)
            if w > 50:
                time.sleep(0.05)
        if progress:
            progress()
    return cases


# --------------------------------------------------------------------------- process trees


def ratio_rows(cases):
    """Table rows for cases measured together, the first being paddock's: median/min/max of
    wall_ms and paddock's median over each other case's (the ratio the figures print)."""
    pad = cases[0].result().get("wall_ms", {}).get("median")
    rows = []
    for c in cases:
        r = {"label": c.name}
        res = c.result()
        if c.skip:
            r["skip"] = c.skip
        elif "wall_ms" in res:
            r["stats"] = {k: res["wall_ms"][k] for k in ("median", "min", "max")}
            if pad and c.sandbox != "paddock":
                r["ratio"] = pad / res["wall_ms"]["median"]
        rows.append(r)
    return rows


def proc_status(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    except OSError:
        return {}


def kib(status, key):
    v = status.get(key)
    return int(v.split()[0]) if v else None


def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def process_tree(pid):
    """pid and every descendant alive now (breadth first)."""
    seen, i = [pid], 0
    while i < len(seen):
        seen += [c for c in children(seen[i]) if c not in seen]
        i += 1
    return seen


# --------------------------------------------------------------------------- machine


def read_first(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def machine_info():
    cpu = ""
    for line in read_first("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in read_first("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    distro = ""
    for line in read_first("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            distro = line.split("=", 1)[1].strip('"')
    u = os.uname()
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_mib": mem_kib // 1024,
            "kernel": u.release, "arch": u.machine, "distro": distro,
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
            "uid": os.getuid()}


def version_of(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unknown ({e})"
    out = (p.stdout or p.stderr).strip().splitlines()
    return out[0].strip() if out else f"unknown (exit {p.returncode})"
