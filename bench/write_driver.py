#!/usr/bin/env python3
"""One write-heavy workload, timed from the inside: prepares (untimed), runs the work (timed),
cleans up (untimed) and prints `ms=<milliseconds>`. bench/writes.py runs it bare, under
bubblewrap and under paddock, in the same directory, so only the sandbox differs.

  write_driver.py untar  TARBALL   tar xf of TARBALL into a fresh directory
  write_driver.py create N         N files created (open O_CREAT|O_EXCL, one write, close)
  write_driver.py unlink N         N files unlinked (created untimed first)
  write_driver.py checkout REPO    git checkout of the branch that rewrites every file, and back
  write_driver.py npmci PROJECT    npm ci --offline from a cache inside PROJECT (no network)
"""

import os
import shutil
import subprocess
import sys
import time


def run(argv, cwd=None):
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def timed(fn):
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000.0


def fresh(name):
    d = os.path.join(os.getcwd(), name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def main():
    kind, arg = sys.argv[1], sys.argv[2]
    if kind == "untar":
        d = fresh("untar-out")
        ms = timed(lambda: run(["tar", "xf", arg, "-C", d]))
        shutil.rmtree(d)
    elif kind == "create":
        d = fresh("create-out")
        n = int(arg)

        def work():
            for i in range(n):
                fd = os.open(f"{d}/f{i}", os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644)
                os.write(fd, b"x")
                os.close(fd)
        ms = timed(work)
        shutil.rmtree(d)
    elif kind == "unlink":
        d = fresh("unlink-out")
        n = int(arg)
        for i in range(n):
            os.close(os.open(f"{d}/f{i}", os.O_CREAT | os.O_WRONLY, 0o644))
        ms = timed(lambda: [os.unlink(f"{d}/f{i}") for i in range(n)])
        os.rmdir(d)
    elif kind == "checkout":
        env_repo = arg
        ms = timed(lambda: run(["git", "checkout", "-q", "rewritten"], cwd=env_repo))
        run(["git", "checkout", "-q", "main"], cwd=env_repo)
    elif kind == "npmci":
        shutil.rmtree(os.path.join(arg, "node_modules"), ignore_errors=True)
        ms = timed(lambda: run(["npm", "ci", "--offline", "--no-audit", "--no-fund",
                                "--ignore-scripts", "--cache", os.path.join(arg, ".npm-cache")],
                               cwd=arg))
    else:
        raise SystemExit(f"unknown workload {kind}")
    print(f"ms={ms:.3f}")


if __name__ == "__main__":
    main()
