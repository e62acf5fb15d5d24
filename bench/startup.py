#!/usr/bin/env python3
"""Start-up time of `paddock run -- /bin/true` against baselines measured in the same run.

Prints median/min/max over N runs (after warm-up) and the ratio of paddock's median to each
baseline's. Never asserts: it measures and reports. Usage: bench/startup.py [--runs N] [--paddock P]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time


def measure(cmd, runs, warmup, cwd):
    for _ in range(warmup):
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        times.append((time.perf_counter() - t0) * 1000.0)
        if r.returncode != 0:
            return None, r.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["exit %d" % r.returncode]
    return times, None


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--paddock", default=os.path.join(here, "..", "build", "paddock"))
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--json", default=None, help="write results here too")
    a = ap.parse_args()
    cwd = os.path.join(here, "..", "build", "bench-project")
    os.makedirs(cwd, exist_ok=True)
    paddock = os.path.abspath(a.paddock)
    cases = [
        ("paddock run -- /bin/true", [paddock, "run", "--quiet", "--", "/bin/true"]),
        ("bare /bin/true", ["/bin/true"]),
        ("unshare -Urmpf --mount-proc /bin/true", ["unshare", "-Urmpf", "--mount-proc", "/bin/true"]),
        ("bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc /bin/true",
         ["bwrap", "--unshare-all", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "/bin/true"]),
        ("paddock run -c true (bash)", [paddock, "run", "--quiet", "-c", "true"]),
        ("bwrap ... bash -c true",
         ["bwrap", "--unshare-all", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "bash", "-c", "true"]),
    ]
    results = {}
    print(f"{'case':70} {'median':>8} {'min':>8} {'max':>8}  (ms, {a.runs} runs)")
    for name, cmd in cases:
        if shutil.which(cmd[0]) is None and not os.path.exists(cmd[0]):
            print(f"{name:70} skipped: {cmd[0]} not installed")
            continue
        times, err = measure(cmd, a.runs, a.warmup, cwd)
        if times is None:
            print(f"{name:70} skipped: {err[0]}")
            continue
        med = statistics.median(times)
        results[name] = {"median_ms": med, "min_ms": min(times), "max_ms": max(times)}
        print(f"{name:70} {med:8.2f} {min(times):8.2f} {max(times):8.2f}")
    p = results.get("paddock run -- /bin/true")
    if p:
        print()
        for name, r in results.items():
            if name.startswith("paddock") or name.startswith("bare"):
                continue
            print(f"ratio paddock / {name}: {p['median_ms'] / r['median_ms']:.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "results": results}, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
