#!/usr/bin/env python3
"""paddock's benchmark suite: every figure of DESIGN section 8, against baselines measured in the
same invocation. Run it with `bash bench/run.sh` (which builds paddock first if needed).

  1. start-up: paddock run -- /bin/true and bash -c true, against bare, unshare, bwrap, srt, runsc
  2. start-up with 10/100/1,000 settings rules, and in a project of 100,000 files
  3. memory: supervisor peak RSS and the sandbox tree's, against the same baselines
  4. work inside: a g++ compile and `find /usr -type f`, against bare and bwrap
  6. work inside, writes: untar, create, unlink, git checkout, npm ci (tmpfs and disk)
  5. proxy: bench/proxy_bench.py (merged), and a 100 MB download direct / paddock / srt
  7. the resolver inside and capture by name: DNS answer p50, a captured connection against one
     through HTTP_PROXY (bench/capture.py)

It installs what the baselines need (bubblewrap, runsc, socat, ripgrep from Debian when root; srt
from npm into bench/.peers/srt) and skips a baseline that cannot run, saying why. It never
asserts: the bars of DESIGN 8 are printed as met / not met, and the exit status is 0 whatever the
numbers. Prints a table on stdout (progress on stderr) and writes bench/results/latest.json
plus a dated copy. Only the standard library.
"""

import argparse
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import baselines  # noqa: E402
from common import CACHE, HERE, ROOT, machine_info, version_of  # noqa: E402

FIGURES = ("startup", "policy", "memory", "work", "writes", "proxy", "capture")


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def snapshot(path, name):
    """A private copy of a binary, so a rebuild in build/ during the run cannot swap it."""
    if not path or not os.path.exists(path):
        return None
    d = os.path.join(CACHE, "bin")
    os.makedirs(d, exist_ok=True)
    dst = os.path.join(d, name)
    shutil.copy2(path, dst + ".tmp")
    os.replace(dst + ".tmp", dst)
    return dst


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()[:16]


def git_info():
    def git(*a):
        p = subprocess.run(["git", "-C", ROOT] + list(a), capture_output=True, text=True)
        return p.stdout.strip() if p.returncode == 0 else None
    dirty = git("status", "--porcelain", "--", "src", "CMakeLists.txt")
    return {"commit": git("rev-parse", "--short=12", "HEAD"),
            "src_dirty": bool(dirty) if dirty is not None else None}


def build_type():
    try:
        with open(os.path.join(ROOT, "build", "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return None


# --------------------------------------------------------------------------- table


def table(doc):
    out = []
    w = 74
    m = doc["machine"]
    out.append(f"paddock benchmarks, {doc['date']}")
    out.append(f"machine: {m['nproc']} vCPU {m['cpu']}, {m['memory_mib']} MiB, Linux "
               f"{m['kernel']}, {m['distro']}")
    out.append(f"load average at start {m['load_avg_at_start']}, at end "
               f"{m.get('load_avg_at_end')}; the suite took {doc.get('duration_s')} s")
    p = doc["paddock"]
    out.append(f"paddock: {p['version']} ({p['build_type']}), commit {p['git']['commit']}"
               f"{' + uncommitted src changes' if p['git']['src_dirty'] else ''}")
    for k, b in doc["baselines"].items():
        if k in ("paddock", "bare"):
            continue
        out.append(f"  {k:8} {b.get('version') or '-'}" +
                   ("  [cannot run, see Skipped]" if b.get("skipped") else ""))
    r = doc["runs"]
    out.append(f"runs: start-up figures {r['startup']} after {r['startup_warmup']} warm-up; "
               f"memory, work and downloads {r['heavy']} after {r['heavy_warmup']}; "
               "median / min / max; runs of a block interleaved")
    for fig in doc["figures"].values():
        out.append("")
        out.append(fig["title"])
        for b in fig.get("blocks", []):
            rl = b.get("ratio_label", "")
            out.append(f"  {b['title']:{w}} {'median':>8} {'min':>8} {'max':>8}  {rl}")
            for row in b["rows"]:
                label = row["label"]
                if len(label) > w - 2:
                    label = label[:w - 5] + "..."
                if "skip" in row:
                    lines = textwrap.wrap("skipped: " + row["skip"], 100)
                    out.append(f"    {label:{w - 2}} " + lines[0])
                    out += [" " * (w + 3) + l for l in lines[1:]]
                    continue
                s = row.get("stats")
                if s:
                    line = f"    {label:{w - 2}} {fmt(s['median']):>8} {fmt(s['min']):>8} {fmt(s['max']):>8}"
                else:
                    v = row.get("value")
                    line = f"    {label:{w - 2}} {fmt(v) if v is not None else '':>8} {'':>8} {'':>8}"
                if row.get("ratio") is not None:
                    line += f"  {row['ratio']:.2f}"
                if row.get("note"):
                    line += f"  {row['note']}"
                out.append(line.rstrip())
    out.append("")
    out.append("Bars (DESIGN 8; reported, never asserted)")
    for b in doc["bars"]:
        v = fmt(b["value"])
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[b["met"]]
        out.append(f"  {b['name']:{w + 6}} {v:>8}  {verdict}" +
                   (f"  ({b['why']})" if b.get("why") else ""))
    if doc["skips"]:
        out.append("")
        out.append("Skipped")
        for s in doc["skips"]:
            out += textwrap.wrap(s, 110, initial_indent="  ", subsequent_indent="    ")
    return "\n".join(out)


# --------------------------------------------------------------------------- bars


def bar(name, value, op, limit, why=None):
    if value is None:
        met = None
    else:
        met = {"<=": value <= limit, "<": value < limit, ">=": value >= limit}[op]
    return {"name": name, "value": value, "op": op, "limit": limit, "met": met,
            **({"why": why} if why else {})}


def bars_of(figs):
    out = []
    st = figs.get("startup", {}).get("data", {}).get("/bin/true", {}).get("ratios", {})
    if "startup" in figs:
        out.append(bar("start-up /bin/true: paddock / bwrap <= 1.0", st.get("bwrap"), "<=", 1.0))
        out.append(bar("start-up /bin/true: paddock / unshare <= 1.5", st.get("unshare"), "<=", 1.5))
        un, unn = (figs["startup"]["data"]["/bin/true"].get(k, {}) for k in ("unshare", "unshare_net"))
        if un.get("wall_ms") and unn.get("wall_ms"):
            # Not a bar: what a network namespace alone adds to unshare's start-up.
            out.append(bar("  (context) unshare -Urmpfn / unshare -Urmpf, the network namespace alone",
                           unn["wall_ms"]["median"] / un["wall_ms"]["median"], "<=", 1.5))
    mem = figs.get("memory", {}).get("data", {}).get("paddock", {})
    if "memory" in figs:
        s = mem.get("supervisor_peak_rss_mib")
        out.append(bar("supervisor peak RSS (MiB, median) <= 4", s and s["median"], "<=", 4.0,
                       why=s and f"max {s['max']:.2f}"))
    pol = figs.get("policy", {}).get("data", {})
    if "policy" in figs:
        g = pol.get("rules", {}).get("ratio_1000_over_10", {})
        out.append(bar("start-up with 1,000 rules / with 10 (mixed) < 2", g.get("paddock mixed"),
                       "<", 2.0))
        for kind in ("domains", "paths"):
            out.append(bar(f"start-up with 1,000 rules / with 10 ({kind} only) < 2",
                           g.get(f"paddock {kind}"), "<", 2.0))
        pr = pol.get("project", {}).get("ratio_big_over_empty", {})
        out.append(bar("start-up in 100,000-file project / empty, about the same (<= 1.1)",
                       pr.get("paddock"), "<=", 1.1))
    if "writes" in figs:
        # Issue 12's goals: median paddock / bare, each place.
        goals = (("untar", 1.3), ("create 5,000", 1.5), ("unlink 5,000", 1.5),
                 ("git checkout", 1.3), ("npm ci", 1.1))
        for key, data in figs["writes"].get("data", {}).items():
            limit = next((g for k, g in goals if key.startswith(k)), None)
            pad = data.get("paddock", {}).get("wall_ms")
            bare = data.get("bare", {}).get("wall_ms")
            if limit is None:
                continue
            v = pad["median"] / bare["median"] if pad and bare else None
            out.append(bar(f"writes: {key}: paddock / bare <= {limit}", v, "<=", limit))
    if "proxy" in figs:
        for name, v, op, limit in figs["proxy"].get("bars", []):
            out.append(bar(name, v, op, limit))
        if not figs["proxy"].get("bars"):
            out.append(bar("proxy bars (proxy_bench.py did not run)", None, ">=", 0))
    if "capture" in figs:
        for name, v, op, limit in figs["capture"].get("bars", []):
            out.append(bar(name, v, op, limit))
    return out


# --------------------------------------------------------------------------- main


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="10 runs everywhere (default: 20 for start-up figures, 10 for the rest)")
    ap.add_argument("--runs", type=int, help="runs per start-up case (at least 10)")
    ap.add_argument("--only", help=f"comma-separated subset of {','.join(FIGURES)}")
    ap.add_argument("--no-install", action="store_true", help="install no baseline")
    ap.add_argument("--paddock", default=os.path.join(ROOT, "build", "paddock"))
    ap.add_argument("--proxy-standalone", default=os.path.join(ROOT, "build", "proxy_standalone"))
    ap.add_argument("--results", default=os.path.join(HERE, "results"),
                    help="directory for latest.json and the dated copy")
    a = ap.parse_args(argv)
    only = a.only.split(",") if a.only else list(FIGURES)
    bad = [f for f in only if f not in FIGURES]
    if bad:
        ap.error(f"unknown figure {bad}; choose from {FIGURES}")
    runs = max(10, a.runs or (10 if a.quick else 20))
    startup_warmup = 2 if a.quick else 3
    heavy, heavy_warmup = 10, 1

    t_start = time.time()
    notes = baselines.install(a.no_install)
    for n in notes:
        log(n)
    if not os.path.exists(a.paddock):
        log(f"{a.paddock} missing: build it first (bash bench/run.sh does)")
        return 2
    paddock = snapshot(a.paddock, "paddock")
    proxy = snapshot(a.proxy_standalone, "proxy_standalone")
    cwd = os.path.join(CACHE, "project-empty")
    os.makedirs(cwd, exist_ok=True)
    log("probing baselines")
    sbs = baselines.detect(paddock, cwd)

    now = datetime.datetime.now(datetime.timezone.utc)
    doc = {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_info(),
        "paddock": {"version": sbs["paddock"].version, "build_type": build_type(),
                    "binary_sha256": sha256(paddock), "git": git_info()},
        "tools": {t: version_of([t, "--version"]) for t in ("curl", "g++", "python3")
                  if shutil.which(t)},
        "baselines": {k: {"label": s.label, "command_prefix": s.prefix, "version": s.version,
                          **({"skipped": s.skip} if s.skip else {})} for k, s in sbs.items()},
        "runs": {"startup": runs, "startup_warmup": startup_warmup, "heavy": heavy,
                 "heavy_warmup": heavy_warmup, "quick": a.quick},
        "install_notes": notes,
        "figures": {},
    }
    if sbs["srt"].skip is None and os.path.exists(baselines.SRT_BIN):
        doc["baselines"]["srt"]["installed_in"] = os.path.relpath(baselines.SRT_DIR, ROOT)

    figs = doc["figures"]
    import capture
    import memory
    import proxy_figure
    import startup
    import work
    import writes
    if "startup" in only:
        figs["startup"] = startup.figure_startup(sbs, runs, startup_warmup, log)
    if "policy" in only:
        figs["policy"] = startup.figure_policy(sbs, runs, startup_warmup, log)
    if "memory" in only:
        figs["memory"] = memory.figure_memory(sbs, heavy, heavy_warmup + 1, log)
    if "work" in only:
        figs["work"] = work.figure_work(sbs, heavy, heavy_warmup, log)
    if "writes" in only:
        figs["writes"] = writes.figure_writes(sbs, heavy, heavy_warmup, log)
    if "proxy" in only:
        figs["proxy"] = proxy_figure.figure_proxy(sbs, heavy, heavy_warmup, log, proxy)
    if "capture" in only:
        figs["capture"] = capture.figure_capture(paddock, 5, log)

    baselines.remove_srt_litter()
    doc["bars"] = bars_of(figs)
    doc["skips"] = [f"{k}: {s.skip}" for k, s in sbs.items() if s.skip] + \
        [f"install: {n}" for n in notes] + \
        [f"writes: {n}" for n in figs.get("writes", {}).get("skips", [])]
    doc["duration_s"] = round(time.time() - t_start, 1)
    doc["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = table(doc)
    doc["table"] = text
    print(text)
    os.makedirs(a.results, exist_ok=True)
    latest = os.path.join(a.results, "latest.json")
    dated = os.path.join(a.results, now.strftime("%Y-%m-%dT%H%M%SZ") + ".json")
    with open(dated, "w") as f:
        json.dump(doc, f, indent=1)
    shutil.copyfile(dated, latest)
    log(f"results: {os.path.relpath(latest)} and {os.path.relpath(dated)} "
        f"({doc['duration_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
