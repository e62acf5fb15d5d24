"""Figure 6: write-heavy work inside the sandbox, against bare and bubblewrap, on a tmpfs and on
the disk. Every create, chmod, rename and unlink in paddock is judged by its supervisor: this is
the figure that shows what that costs.

  untar     tar xf of /usr/include (about 8k files)
  create    5,000 files created; unlink: 5,000 files unlinked
  checkout  git checkout of a branch that rewrites every file of /usr/include, and back untimed
  npm ci    npm ci --offline of a lockfile with ~200 packages, ~5,000 files, from a cache in
            the project (filled once from the registry; skipped with the reason when it cannot be)

Each sample is timed inside the sandbox by bench/write_driver.py (set-up and clean-up untimed),
so start-up is not part of it. The tmpfs is mounted for the run when the suite runs as root.
"""

import os
import shutil
import subprocess
import sys
import time

from common import CACHE, HERE, Case, measure_interleaved, ratio_rows

DRIVER = os.path.join(HERE, "write_driver.py")
NPM_PACKAGES = ["eslint@8.57.0", "webpack@5.94.0"]  # about 5,000 files


class InnerCase(Case):
    """A case whose time is the one the driver prints (ms=...), not the process's."""

    def run_once(self):
        t0 = time.perf_counter()
        p = subprocess.run(self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                           capture_output=True)
        if p.returncode not in self.ok:
            tail = (p.stderr or p.stdout).decode(errors="replace").strip().splitlines()
            raise RuntimeError(tail[-1] if tail else f"exit {p.returncode}")
        for line in p.stdout.decode().splitlines():
            if line.startswith("ms="):
                return float(line[3:]), (time.perf_counter() - t0) * 1000.0
        raise RuntimeError("the driver printed no time")


def sh(argv, cwd=None):
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def prepare_tarball():
    path = os.path.join(CACHE, "include.tar")
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        sh(["tar", "cf", path, "-C", "/usr", "include"])
    return path


def prepare_repo(where, tarball):
    """A repository whose branch `rewritten` changes every file of /usr/include."""
    repo = os.path.join(where, "repo")
    if os.path.isdir(os.path.join(repo, ".git")):
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(repo)
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b",
               GIT_COMMITTER_EMAIL="b@b")
    def g(*args):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)
    g("init", "-q", "-b", "main")
    sh(["tar", "xf", tarball, "-C", repo])
    g("add", "-A")
    g("commit", "-q", "-m", "include")
    g("checkout", "-q", "-b", "rewritten")
    for d, _, files in os.walk(os.path.join(repo, "include")):
        for f in files:
            p = os.path.join(d, f)
            if not os.path.islink(p):
                with open(p, "a") as fh:
                    fh.write("/* rewritten */\n")
    g("commit", "-q", "-a", "-m", "rewrite")
    g("checkout", "-q", "main")
    return repo


def prepare_npm(where):
    """A lockfile and an npm cache inside `where`; None with the reason when npm cannot fill
    the cache (no registry)."""
    proj = os.path.join(where, "npmproj")
    lock = os.path.join(proj, "package-lock.json")
    # `npm ci --offline` finds tarballs by the lockfile's URLs: a lockfile written without them
    # (a machine with omit-lockfile-registry-resolved set) makes it ask the registry instead.
    if os.path.exists(lock):
        with open(lock) as f:
            if '"resolved"' in f.read():
                return proj, None
    shutil.rmtree(proj, ignore_errors=True)
    if not shutil.which("npm"):
        return None, "npm not installed"
    os.makedirs(proj, exist_ok=True)
    with open(os.path.join(proj, "package.json"), "w") as f:
        f.write('{"name": "bench", "version": "1.0.0", "private": true}\n')
    p = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts",
                        "--no-omit-lockfile-registry-resolved",
                        "--cache", os.path.join(proj, ".npm-cache"), *NPM_PACKAGES],
                       cwd=proj, capture_output=True, timeout=600)
    if p.returncode != 0:
        tail = p.stderr.decode(errors="replace").strip().splitlines()
        shutil.rmtree(proj, ignore_errors=True)
        return None, f"npm install failed: {tail[-1] if tail else p.returncode}"
    return proj, None


def mount_tmpfs():
    """A tmpfs for the run (root only): (path, reason it could not be made)."""
    path = os.path.join(CACHE, "tmpfs")
    os.makedirs(path, exist_ok=True)
    if os.path.ismount(path):
        return path, None
    if os.geteuid() != 0:
        return None, "needs root to mount a tmpfs"
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4g,mode=0755", "tmpfs", path],
                       capture_output=True)
    if p.returncode != 0:
        return None, p.stderr.decode(errors="replace").strip()
    return path, None


def cases_for(sbs, where, title, args):
    argv = [sys.executable, DRIVER, *args]
    out = []
    for key in ("paddock", "bare", "bwrap"):
        sb = sbs[key]
        if key == "bwrap":
            wrapped = sb.prefix + ["--bind", where, where, "--chdir", where] + argv
        else:
            wrapped = sb.wrap(argv)
        c = InnerCase(f"{sb.label if key != 'bare' else 'bare'}: {title}", key, wrapped,
                      cwd=where, env=sb.env)
        c.skip = sb.skip and f"{key} cannot run (see Skipped)"
        out.append(c)
    return out


def figure_writes(sbs, runs, warmup, log):
    tarball = prepare_tarball()
    tmpfs, why_not = mount_tmpfs()
    places = [("tmpfs", tmpfs, why_not), ("disk", os.path.join(CACHE, "writes-disk"), None)]
    blocks, data, skips = [], {}, []
    try:
        for place, where, skip in places:
            if where is None:
                skips.append(f"{place}: {skip}")
                continue
            os.makedirs(where, exist_ok=True)
            repo = prepare_repo(where, tarball)
            npm_proj, npm_skip = prepare_npm(where)
            work = [("untar: tar xf of /usr/include", ["untar", tarball]),
                    ("create 5,000 files", ["create", "5000"]),
                    ("unlink 5,000 files", ["unlink", "5000"]),
                    ("git checkout rewriting /usr/include", ["checkout", repo])]
            if npm_proj:
                work.append((f"npm ci --offline ({', '.join(NPM_PACKAGES)})", ["npmci", npm_proj]))
            elif place == "disk":
                skips.append(f"npm ci: {npm_skip}")
            for title, args in work:
                cases = cases_for(sbs, where, title, args)
                log(f"figure 6: {title} on {place} ({runs} runs after {warmup} warm-up)")
                measure_interleaved(cases, runs, warmup)
                rows = ratio_rows(cases)
                blocks.append({"title": f"{title}, {place} (ms, timed inside)",
                               "ratio_label": "paddock/this", "rows": rows})
                data[f"{title} ({place})"] = {c.sandbox: c.result() for c in cases}
    finally:
        if tmpfs and os.path.ismount(tmpfs) and os.geteuid() == 0:
            subprocess.run(["umount", tmpfs], capture_output=True)
    return {"title": "6. Work inside: writes", "blocks": blocks, "data": data, "skips": skips}
