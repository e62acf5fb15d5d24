#!/usr/bin/env python3
"""Figures 1 and 2: start-up time of paddock against baselines, and as the policy grows.

Figure 1 times `paddock run -- /bin/true` (built-in default policy, proxy on: it always is) and
`paddock run -- bash -c true` against the same commands bare, under `unshare -Urmpf
--mount-proc`, `bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc`, srt (one allowed
domain) and `runsc --rootless --network=none do`, all in an empty project directory. srt and
runsc are timed in a block of their own: their teardown (network namespaces are destroyed by a
kernel worker after the process exits) would otherwise land in their neighbours' timings.

Figure 2 times `paddock run --settings FILE -- /bin/true` with 10, 100 and 1,000 rules (a mixed
file: half allowedDomains, a quarter denyRead and a quarter allowWrite of existing directories;
also domains only and paths only), srt with the same mixed files, and both in a project of
100,000 files against the empty project.

Run alone: bench/startup.py [--quick] (it is the suite restricted to these two figures).
"""

import json
import os
import sys

from common import CACHE, Case, measure_interleaved

RULE_COUNTS = (10, 100, 1000)
PROJECT_FILES = 100_000


def empty_project():
    d = os.path.join(CACHE, "project-empty")
    os.makedirs(d, exist_ok=True)
    return d


def big_project(log):
    """A project of 100,000 small files (100 packages x 10 modules x 100 files), made once."""
    d = os.path.join(CACHE, "project-100k")
    done = d + ".done"
    if os.path.exists(done):
        return d
    log(f"creating {PROJECT_FILES} files under {os.path.relpath(d)} (once)")
    per_pkg, per_mod = 10, PROJECT_FILES // 1000
    for p in range(100):
        for m in range(per_pkg):
            md = os.path.join(d, f"pkg{p:02d}", f"mod{m}")
            os.makedirs(md, exist_ok=True)
            for i in range(per_mod):
                with open(os.path.join(md, f"file{i:03d}.js"), "w") as f:
                    f.write(f"export const v{i} = {p * 1000 + m * 100 + i};\n")
    with open(os.path.join(d, "package.json"), "w") as f:
        f.write('{"name": "bench-project", "version": "1.0.0"}\n')
    open(done, "w").close()
    return d


def _dirs(base, n):
    dirs = [os.path.join(base, f"d{i:04d}") for i in range(n)]
    for d in dirs:
        os.makedirs(d, exist_ok=True)
    return dirs


def rules_settings(kind, n):
    """A settings file with n rules of one kind: mixed, domains or paths. Paths are existing
    directories outside the project, denyRead ones in a directory of their own and allowWrite
    ones in another (paddock mirrors the siblings of a denied path, so sharing a parent with
    unrelated entries would measure those instead; see sibling_settings)."""
    base = os.path.join(CACHE, "rules", f"{kind}-{n}")
    if kind == "domains":
        n_dom, n_paths = n, 0
    elif kind == "paths":
        n_dom, n_paths = 0, n
    else:
        n_dom = n - n // 2
        n_paths = n // 2
    deny = _dirs(os.path.join(base, "deny"), n_paths // 2)
    write = _dirs(os.path.join(base, "write"), n_paths - n_paths // 2)
    s = {"filesystem": {"denyRead": deny, "allowRead": [], "allowWrite": write, "denyWrite": []},
         "network": {"allowedDomains": [f"h{i:04d}.example.com" for i in range(n_dom)],
                     "deniedDomains": []}}
    os.makedirs(base, exist_ok=True)
    path = os.path.join(base, "settings.json")
    with open(path, "w") as f:
        json.dump(s, f, indent=1)
    return path


def sibling_settings(n=1000):
    """One denyRead rule on a directory that has n - 1 siblings."""
    base = os.path.join(CACHE, "rules", f"siblings-{n}")
    dirs = _dirs(base, n)
    path = os.path.join(CACHE, "rules", f"siblings-{n}.json")
    with open(path, "w") as f:
        json.dump({"filesystem": {"denyRead": dirs[:1]}}, f)
    return path


def _row(case, ratio=None, note=None):
    r = {"label": case.name, "case": case.result()}
    if case.skip:
        r["skip"] = case.skip
    elif case.wall:
        r["stats"] = {k: case.result()["wall_ms"][k] for k in ("median", "min", "max")}
    if ratio is not None:
        r["ratio"] = ratio
    if note:
        r["note"] = note
    return r


def _median(case):
    return case.result()["wall_ms"]["median"] if case.wall and not case.skip else None


def figure_startup(sbs, runs, warmup, log):
    cwd = empty_project()
    order = ["paddock", "bare", "unshare", "unshare_net", "bwrap", "srt", "runsc"]
    blocks, data = [], {}
    for cmd_label, argv in (("/bin/true", ["/bin/true"]), ("bash -c true", ["bash", "-c", "true"])):
        cases = []
        for key in order:
            sb = sbs[key]
            c = Case(f"{sb.label} {cmd_label}" if key != "bare" else f"bare {cmd_label}",
                     key, sb.wrap(argv), cwd=cwd, env=sb.env)
            c.skip = sb.skip and f"{key} cannot run (see Skipped)"
            cases.append(c)
        log(f"figure 1: start-up, {cmd_label} ({runs} runs after {warmup} warm-up)")
        # srt and runsc take 100+ ms and leave kernel work behind them (network namespaces are
        # torn down by a kernel worker after the process exits), which lands in the timings of
        # whatever runs next: they are timed in a block of their own.
        heavy = {"srt", "runsc"}
        measure_interleaved([c for c in cases if c.sandbox not in heavy], runs, warmup)
        measure_interleaved([c for c in cases if c.sandbox in heavy], runs, warmup)
        pad = _median(cases[0])
        rows = []
        for c in cases:
            m = _median(c)
            rows.append(_row(c, ratio=(pad / m) if (pad and m and c.sandbox != "paddock") else None))
        blocks.append({"title": f"start-up, {cmd_label} (ms)", "ratio_label": "paddock/this",
                       "rows": rows})
        data[cmd_label] = {c.sandbox: c.result() for c in cases}
        if pad:
            data[cmd_label]["ratios"] = {c.sandbox: pad / _median(c) for c in cases
                                         if c.sandbox != "paddock" and _median(c)}
    return {"title": "1. Start-up", "blocks": blocks, "data": data, "cwd": cwd}


def figure_policy(sbs, runs, warmup, log):
    cwd = empty_project()
    pad, srt = sbs["paddock"], sbs["srt"]
    blocks, data = [], {}

    # Rules: paddock with each kind and size (interleaved, with the default policy as reference).
    cases = [Case("paddock, default policy (no settings file)", "paddock", pad.wrap(["/bin/true"]),
                  cwd=cwd, env=pad.env)]
    for kind in ("mixed", "domains", "paths"):
        for n in RULE_COUNTS:
            s = rules_settings(kind, n)
            cases.append(Case(f"paddock, {n} rules ({kind})", "paddock",
                              pad.wrap(["/bin/true"], settings=s), cwd=cwd, env=pad.env))
            cases[-1].kind, cases[-1].n = kind, n
    sib = Case("paddock, 1 denyRead rule on a directory with 999 siblings", "paddock",
               pad.wrap(["/bin/true"], settings=sibling_settings()), cwd=cwd, env=pad.env)
    cases.append(sib)
    for c in cases:
        c.skip = pad.skip and "paddock cannot run (see Skipped)"
    srt_cases = []
    for n in RULE_COUNTS:
        c = Case(f"srt, {n} rules (mixed)", "srt",
                 srt.wrap(["/bin/true"], settings=rules_settings("mixed", n)), cwd=cwd,
                 env=srt.env)
        c.kind, c.n = "mixed", n
        c.skip = srt.skip and "srt cannot run (see Skipped)"
        srt_cases.append(c)
    log(f"figure 2: start-up with 10/100/1000 rules ({runs} runs after {warmup} warm-up)")
    measure_interleaved(cases, runs, warmup)  # srt apart: see figure 1
    measure_interleaved(srt_cases, runs, warmup)
    rows = [_row(cases[0])]
    growth = {}
    for c in cases[1:-1] + srt_cases:
        ref = next(x for x in cases[1:-1] + srt_cases
                   if x.sandbox == c.sandbox and x.kind == c.kind and x.n == RULE_COUNTS[0])
        a, b = _median(c), _median(ref)
        ratio = a / b if a and b else None
        rows.append(_row(c, ratio=ratio))
        if ratio is not None and c.n == RULE_COUNTS[-1]:
            growth[f"{c.sandbox} {c.kind}"] = ratio
    a, b = _median(sib), _median(cases[0])
    rows.append(_row(sib, ratio=a / b if a and b else None,
                     note="ratio: this/default policy" if a and b else None))
    blocks.append({"title": "start-up, /bin/true, as the policy grows (ms)",
                   "ratio_label": "this/10 rules", "rows": rows})
    data["rules"] = {"cases": [c.result() for c in cases + srt_cases],
                     "ratio_1000_over_10": growth,
                     "one_deny_among_1000_siblings": sib.result(),
                     "mix": "mixed: half allowedDomains (hNNNN.example.com), a quarter denyRead "
                            "and a quarter allowWrite (existing directories outside the project, "
                            "each kind in a directory of its own); paths: half denyRead, half "
                            "allowWrite"}

    # A project of 100,000 files against an empty one.
    big = big_project(log)
    cases = []
    for sb in (pad, srt):
        for label, d in (("empty project", cwd), (f"project of {PROJECT_FILES:,} files", big)):
            c = Case(f"{sb.key} in an {label}" if label.startswith("empty") else
                     f"{sb.key} in a {label}", sb.key, sb.wrap(["/bin/true"]), cwd=d, env=sb.env)
            c.skip = sb.skip and f"{sb.key} cannot run (see Skipped)"
            cases.append(c)
    log(f"figure 2: start-up in a project of {PROJECT_FILES:,} files ({runs} runs)")
    measure_interleaved([c for c in cases if c.sandbox != "srt"], runs, warmup)
    measure_interleaved([c for c in cases if c.sandbox == "srt"], runs, warmup)
    rows, proj = [], {}
    for i, c in enumerate(cases):
        ratio = None
        if i % 2 == 1:
            a, b = _median(c), _median(cases[i - 1])
            ratio = a / b if a and b else None
            if ratio is not None:
                proj[c.sandbox] = ratio
        rows.append(_row(c, ratio=ratio))
    blocks.append({"title": f"start-up, /bin/true, empty project vs {PROJECT_FILES:,} files (ms)",
                   "ratio_label": "big/empty", "rows": rows})
    data["project"] = {"cases": [c.result() for c in cases], "ratio_big_over_empty": proj,
                       "files": PROJECT_FILES, "path": big}
    return {"title": "2. Start-up as the policy and the project grow", "blocks": blocks,
            "data": data}


if __name__ == "__main__":
    import suite
    sys.exit(suite.main(["--only", "startup,policy"] + sys.argv[1:]))
