"""Figure 3: peak memory of the supervisor and of the whole sandbox tree.

The command inside every sandbox is `/bin/sh -c 'echo ready; read x'`: it prints a line, then
waits on stdin. When the line arrives, every process of the tree is alive and set up, and we read
/proc/PID/status of each:

  supervisor peak RSS  VmHWM of the process we started (paddock, bwrap, unshare, srt's node,
                       runsc), read at "ready" and then every millisecond until it exits after we
                       release the command (VmHWM only grows, so the last reading is its peak
                       but for the last millisecond of its life)
  tree peak RSS        the SUM of VmHWM over every process in the tree at "ready" (the supervisor,
                       helpers, the sandbox's init and the command's own sh). Pages shared by
                       several processes count once per process, so this is an upper bound of
                       the tree's footprint; processes that exited before "ready" are not in it.

Under gVisor the command runs inside the sentry, so its tree is runsc's host processes. The
bare row is the sh alone. (getrusage's ru_maxrss is not used: it keeps the pre-exec high-water
mark of the forked Python parent.)
"""

import os
import select
import subprocess
import time

from common import CACHE, kib, proc_status, process_tree, stats

READY_CMD = ["/bin/sh", "-c", "echo ready; read x"]


def sample_once(sb, cwd):
    argv = sb.wrap(READY_CMD)
    p = subprocess.Popen(argv, cwd=cwd, env=sb.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([p.stdout], [], [], 60)
        line = p.stdout.readline() if ready else b"(timeout after 60 s)"
        if line.strip() != b"ready":
            p.kill()
            err = p.stderr.read().decode(errors="replace").strip().splitlines()
            raise RuntimeError(err[-1] if err else f"no ready line ({line!r})")
        tree = process_tree(p.pid)
        hwm = {}
        names = {}
        for pid in tree:
            st = proc_status(pid)
            v = kib(st, "VmHWM")
            if v is not None:
                hwm[pid] = v
                names[pid] = st.get("Name", "?")
        sup = hwm.get(p.pid, 0)
        p.stdin.write(b"\n")
        p.stdin.close()
        while p.poll() is None:
            v = kib(proc_status(p.pid), "VmHWM")
            if v is not None:
                sup = max(sup, v)
            time.sleep(0.001)
        p.stdout.read()
        p.stderr.read()
        if p.returncode != 0:
            raise RuntimeError(f"exit status {p.returncode}")
        return sup, sum(hwm.values()), len(hwm), sorted(names.values())
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def figure_memory(sbs, runs, warmup, log):
    cwd = os.path.join(CACHE, "project-empty")
    os.makedirs(cwd, exist_ok=True)
    order = ["paddock", "bare", "unshare", "bwrap", "srt", "runsc"]
    res = {}
    for key in order:
        sb = sbs[key]
        if sb.skip:
            res[key] = {"skipped": f"{key} cannot run (see Skipped)"}
            continue
        res[key] = {"sup": [], "tree": [], "procs": None}
    log(f"figure 3: memory ({runs} runs after {warmup} warm-up)")
    for rnd in range(warmup + runs):
        for key in order:
            r = res[key]
            if "skipped" in r:
                continue
            try:
                sup, tree, n, names = sample_once(sbs[key], cwd)
            except (RuntimeError, OSError) as e:
                res[key] = {"skipped": f"failed: {e}"}
                continue
            if rnd >= warmup:
                r["sup"].append(sup / 1024.0)
                r["tree"].append(tree / 1024.0)
                r["procs"] = names
    sup_rows, tree_rows, data = [], [], {}
    pad = res.get("paddock", {})
    pad_sup = stats(pad["sup"])["median"] if pad.get("sup") else None
    pad_tree = stats(pad["tree"])["median"] if pad.get("tree") else None
    for key in order:
        r, sb = res[key], sbs[key]
        label = sb.label if key != "bare" else "bare (the sh alone)"
        if "skipped" in r:
            sup_rows.append({"label": label, "skip": r["skipped"]})
            tree_rows.append({"label": label, "skip": r["skipped"]})
            data[key] = {"skipped": r["skipped"]}
            continue
        s, t = stats(r["sup"]), stats(r["tree"])
        data[key] = {"supervisor_peak_rss_mib": s, "tree_peak_rss_sum_mib": t,
                     "tree_processes": r["procs"]}
        if key != "bare":
            sup_rows.append({"label": label, "stats": s,
                             "ratio": pad_sup / s["median"] if pad_sup and key != "paddock" else None})
        n = len(r["procs"])
        tree_rows.append({"label": f"{label} ({n} process{'es' if n != 1 else ''})",
                          "stats": t,
                          "ratio": pad_tree / t["median"] if pad_tree and key != "paddock" else None})
    return {"title": "3. Memory (MiB)", "data": data, "blocks": [
        {"title": "supervisor peak RSS (VmHWM of the process started) (MiB)",
         "ratio_label": "paddock/this", "rows": sup_rows},
        {"title": "sandbox tree: sum of peak RSS of every process at 'ready' (MiB)",
         "ratio_label": "paddock/this", "rows": tree_rows}]}
