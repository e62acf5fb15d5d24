"""Figure 5: the proxy.

Part 1 runs bench/proxy_bench.py (owned separately; run as is, never edited here) against
build/proxy_standalone and merges its JSON, whatever its shape: every number in it becomes a row,
grouped by its path, with median/min/max when it reports them.

Part 2 compares a 100 MB download over loopback, measured by curl itself (%{speed_download}:
bytes over curl's total time, so no sandbox start-up is counted):

  direct   curl http://127.0.0.1:PORT/bytes/100000000                        (on the host)
  paddock  paddock run --allow-domain bench.test --resolve bench.test=127.0.0.1 --
             curl [-p] http://bench.test:PORT/bytes/100000000       (through paddock's proxy)
  srt      srt --settings {allowedDomains: ["localhost"]} --
             curl [-p] --noproxy '' -x "$http_proxy" http://localhost:PORT/bytes/100000000

-p makes curl tunnel with CONNECT; without it the request goes absolute-form. Each sandbox runs
one shell loop of warm-up + runs curls, so every run uses the same sandbox.

How srt reaches a loopback upstream without DNS: srt's proxy runs on the host and resolves names
with the host's resolver, then drops loopback, link-local and the host's own addresses, except
for the RFC 6761 loopback names: `localhost` (and `*.localhost`) may resolve to loopback and
only to loopback. So the allowed domain is `localhost`. srt also sets NO_PROXY=localhost,...
inside, which would send curl direct (to the sandbox's own, empty loopback): `--noproxy ''` and
`-x "$http_proxy"` (the URL with srt's per-run proxy credentials) force the proxy.
"""

import json
import os
import subprocess
import sys
import tempfile

from common import CACHE, HERE, ROOT, last_line, stats
from baselines import srt_settings

SIZE = 100 * 1000 * 1000


# --------------------------------------------------------------------------- part 1


STATS = ("median", "min", "max", "mean", "p50", "p90", "p99", "n")


def flatten(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from flatten(v, path + (str(k),))
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield path, obj


def group(results):
    """{measure path: {stat: value}} from any nesting: .../X/median, .../median_X, .../X_median
    and a plain .../X (stat "value")."""
    out = {}
    for path, v in flatten(results):
        last = path[-1]
        toks = last.split("_")
        if last in STATS and len(path) > 1:
            m, s = path[:-1], last
        elif len(toks) > 1 and toks[0] in STATS:
            m, s = path[:-1] + ("_".join(toks[1:]),), toks[0]
        elif len(toks) > 1 and toks[-1] in STATS:
            m, s = path[:-1] + ("_".join(toks[:-1]),), toks[-1]
        else:
            m, s = path, "value"
        out.setdefault(m, {})[s] = v
    return out


def shown(m):
    """Whether a proxy_bench measure goes in the table (everything stays in the JSON): the
    throughputs, ratios, latencies and tunnels; of the ideal relay (the yardstick) only its
    fraction of direct; of the CPU accounting only the bound it sets on throughput."""
    last = m[-1]
    if m[0] == "config" or last in ("bar", "seconds"):
        return False
    if m[0] == "cpu":
        return last == "bound_of_direct"
    if m[0] == "ideal_relay":
        return last == "fraction_of_direct" or "added" in last
    return True


def central(st):
    for k in ("median", "value", "mean", "p50", "min"):
        if k in st:
            return st[k]
    return None


def proxy_bench_bars(groups):
    """The DESIGN's proxy bars from proxy_bench's numbers, whatever their shape."""
    bars = []
    for m, st in groups.items():
        if "ratio" not in m[-1]:
            continue
        v = central(st)
        if m[0].startswith("download"):
            bars.append((f"proxy_bench {'.'.join(m)} >= 0.9 of direct", v, ">=", 0.9))
        elif m[0].startswith("small"):
            bars.append((f"proxy_bench {'.'.join(m)} >= 0.8 of direct", v, ">=", 0.8))
    tun = {m[-1]: central(st) for m, st in groups.items() if m[0].startswith("tunnel")}
    if "tunnels" in tun and "served" in tun:
        bars.append((f"proxy_bench tunnels served ({int(tun['served'])} of {int(tun['tunnels'])})",
                     tun["served"], ">=", tun["tunnels"]))
    rss = [(k, v) for k, v in tun.items() if "rss" in k and v is not None]
    rss.sort(key=lambda kv: ("peak" not in kv[0], kv[0]))
    if rss:
        k, v = rss[0]
        mib = v if "mib" in k.lower() else v / 1024.0
        bars.append((f"proxy_bench proxy RSS with 1,000 tunnels ({k}) < 64 MiB", mib, "<", 64.0))
    return bars


def run_proxy_bench(proxy, log):
    script = os.path.join(HERE, "proxy_bench.py")
    if not os.path.exists(script):
        return {"skipped": "bench/proxy_bench.py missing"}
    if not proxy or not os.path.exists(proxy):
        return {"skipped": f"{proxy or 'proxy_standalone'} not built "
                           "(cmake --build build --target proxy_standalone)"}
    fd, out = tempfile.mkstemp(prefix="proxy_bench.", suffix=".json")
    os.close(fd)
    log("figure 5: bench/proxy_bench.py --start-proxy " + os.path.relpath(proxy, ROOT))
    try:
        p = subprocess.run([sys.executable, script, "--start-proxy", proxy, "--json-out", out],
                           capture_output=True, text=True, timeout=1800, cwd=ROOT)
        if p.returncode != 0:
            return {"skipped": f"proxy_bench.py exited {p.returncode}: "
                               f"{last_line(p.stderr or p.stdout, p.returncode)}",
                    "stdout": p.stdout[-4000:]}
        with open(out) as f:
            results = json.load(f)
    except (OSError, ValueError, subprocess.TimeoutExpired) as e:
        return {"skipped": f"proxy_bench.py: {e}"}
    finally:
        os.unlink(out)
    return {"results": results, "stdout": p.stdout}


# --------------------------------------------------------------------------- part 2


def start_upstream():
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "upstream.py")],
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().split()
    if len(line) != 2 or line[0] != "port":
        p.kill()
        raise RuntimeError(f"upstream did not start: {line}")
    return p, int(line[1])


def curl_loop(n, url, extra=""):
    fmt = '%{speed_download} %{size_download} %{http_code} %{exitcode}\\n'
    return f'for i in $(seq {n}); do curl -s -o /dev/null -w "{fmt}" {extra} {url}; done; true'


def run_loop(argv, env, cwd, warmup, runs):
    """Speeds (MB/s) of the complete downloads after the warm-up ones, and the lines of the
    incomplete ones (a short body, a curl error)."""
    p = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=900)
    lines = p.stdout.splitlines()
    if len(lines) != warmup + runs:
        raise RuntimeError(f"{len(lines)} of {warmup + runs} downloads ran; "
                           f"{last_line(p.stderr, p.returncode)}")
    speeds, bad = [], []
    for line in lines[warmup:]:
        f = line.split()
        if len(f) == 4 and f[2] == "200" and int(float(f[1])) == SIZE and f[3] == "0":
            speeds.append(float(f[0]) / 1e6)
        else:
            bad.append(line)
    if not speeds:
        raise RuntimeError(f"no download completed: {bad[0]}")
    return speeds, bad


def downloads(sbs, runs, warmup, log):
    cwd = os.path.join(CACHE, "project-empty")
    os.makedirs(cwd, exist_ok=True)
    up, port = start_upstream()
    n = warmup + runs
    path = f"/bytes/{SIZE}"
    pad, srt = sbs["paddock"], sbs["srt"]
    srt_cfg = srt_settings(["localhost"], name="srt-localhost.json")
    pad_prefix = pad.prefix[:2] + ["--allow-domain", "bench.test", "--resolve",
                                   "bench.test=127.0.0.1"] + pad.prefix[2:]
    cases = [("direct", "direct curl on loopback", None,
              lambda: ["sh", "-c", curl_loop(n, f"http://127.0.0.1:{port}{path}")], None)]
    for flag in ("", "-p"):
        how = "-p (CONNECT)" if flag else "(absolute-form)"
        cases.append(("paddock", f"paddock run -- curl {how}", pad.skip,
                      lambda flag=flag: pad_prefix + [
                          "sh", "-c", curl_loop(n, f"http://bench.test:{port}{path}", flag)],
                      pad.env))
        cases.append(("srt", f"srt -- curl {how}", srt.skip,
                      lambda flag=flag: srt.wrap(
                          ["sh", "-c", curl_loop(n, f"http://localhost:{port}{path}",
                                                 f"{flag} --noproxy '' -x \"$http_proxy\"")],
                          settings=srt_cfg), srt.env))
    results = []
    try:
        log(f"figure 5: 100 MB downloads, direct / paddock / srt ({runs} runs after {warmup})")
        for key, label, skip, argv_fn, env in cases:
            r = {"label": label, "sandbox": key, "command": argv_fn()}
            if skip:
                r["skip"] = f"{key} cannot run (see Skipped)"
            else:
                try:
                    r["speeds"], r["incomplete"] = run_loop(argv_fn(), env, cwd, warmup, runs)
                except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                    r["skip"] = f"failed: {e}"
            results.append(r)
    finally:
        up.kill()
        up.wait()
    direct = results[0].get("speeds")
    d_med = stats(direct)["median"] if direct else None
    rows = []
    for r in results:
        row = {"label": r["label"]}
        if "skip" in r:
            row["skip"] = r["skip"]
        else:
            s = stats(r["speeds"])
            r["MBps"] = s
            row["stats"] = {k: s[k] for k in ("median", "min", "max")}
            if d_med and r["sandbox"] != "direct":
                row["ratio"] = r["ratio_to_direct"] = s["median"] / d_med
            if r["incomplete"]:
                f = r["incomplete"][0].split()
                got = (f"{int(float(f[1]))} of {SIZE} bytes, HTTP {f[2]}, curl exit {f[3]}"
                       if len(f) == 4 else r["incomplete"][0])
                row["note"] = (f"{len(r['incomplete'])} of {runs} downloads incomplete "
                               f"(e.g. {got}); stats of the complete ones")
        rows.append(row)
    return rows, results


def figure_proxy(sbs, runs, warmup, log, proxy):
    blocks, data, bars = [], {}, []
    pb = run_proxy_bench(proxy, log)
    data["proxy_bench"] = pb
    if "results" in pb:
        groups = group(pb["results"])
        rows = []
        hidden = 0
        for m, st in groups.items():
            if not shown(m):
                hidden += 1
                continue
            row = {"label": ".".join(m)}
            if {"median", "min", "max"} <= st.keys():
                row["stats"] = {k: st[k] for k in ("median", "min", "max")}
            elif "p50" not in st and central(st) is not None:
                row["value"] = central(st)
            extra = {k: v for k, v in st.items() if k not in ("median", "min", "max", "value", "n")}
            if extra:
                row["note"] = " ".join(f"{k}={v:.4g}" for k, v in extra.items())
            rows.append(row)
        if hidden:
            rows.append({"label": f"({hidden} more numbers in the JSON: config, CPU, ideal relay)"})
        blocks.append({"title": "proxy_bench.py --start-proxy proxy_standalone (its units)",
                       "rows": rows})
        bars += proxy_bench_bars(groups)
    else:
        blocks.append({"title": "bench/proxy_bench.py", "rows": [
            {"label": "proxy_bench.py", "skip": pb["skipped"]}]})
    rows, results = downloads(sbs, runs, warmup, log)
    data["downloads"] = {"size_bytes": SIZE, "cases": results,
                         "srt_upstream": "allowedDomains [\"localhost\"]; curl --noproxy '' "
                                         "-x \"$http_proxy\" http://localhost:PORT/..."}
    blocks.append({"title": "100 MB download over loopback, curl's own speed (MB/s)",
                   "ratio_label": "this/direct", "rows": rows})
    for r in results:
        if r["sandbox"] == "paddock" and "ratio_to_direct" in r:
            bars.append((f"{r['label']}: download >= 0.9 of direct", r["ratio_to_direct"], ">=", 0.9))
    return {"title": "5. Proxy", "blocks": blocks, "data": data, "bars": bars}
