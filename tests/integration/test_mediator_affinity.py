"""The supervisor holds a caller to its own CPU while it hands over a descriptor (a same-CPU
switch instead of two inter-processor wake-ups, issue 12). That must stay invisible: after any
number of mediated opens and creates, every thread's CPU affinity is what it was, whether it
was the full set or one the command chose itself; and the files are there with their content."""

import json
import os

import pytest

WORKLOAD = r"""
import json, os, sys, threading
def work(tag, n):
    for i in range(n):
        p = '%s-%d' % (tag, i)
        with open(p, 'w') as f:           # a create: a descriptor handed over
            f.write(p)
        with open(p, 'r+') as f:          # an open for writing: handed over too
            f.write(p.upper())
        os.chmod(p, 0o600)                # a plain answer, for contrast
res = {}
res['start'] = sorted(os.sched_getaffinity(0))
work('main', 200)
res['main'] = sorted(os.sched_getaffinity(0))
box = {}
def thread():
    box['start'] = sorted(os.sched_getaffinity(0))
    work('thread', 200)
    box['end'] = sorted(os.sched_getaffinity(0))
t = threading.Thread(target=thread)
t.start(); t.join(60)
res['thread'] = box
print(json.dumps(res), flush=True)
"""


def run_workload(sb, prefix=""):
    (sb.project / "w.py").write_text(WORKLOAD)
    r = sb.sh(f"{prefix}python3 w.py")
    assert r.rc == 0, r
    return json.loads(r.out.strip().splitlines()[-1])


def check_files(project):
    for tag in ("main", "thread"):
        for i in range(200):
            p = project / f"{tag}-{i}"
            assert p.read_text() == f"{tag}-{i}".upper(), p
            assert (p.stat().st_mode & 0o777) == 0o600, p


@pytest.fixture
def cpus():
    mine = sorted(os.sched_getaffinity(0))
    if len(mine) < 2:
        pytest.skip("one CPU: a pin to it cannot be told from no pin")
    return mine


def test_affinity_unchanged_by_handovers(sb, cpus):
    res = run_workload(sb)
    assert res["start"] == cpus, res
    assert res["main"] == cpus, res
    assert res["thread"] == {"start": cpus, "end": cpus}, res
    check_files(sb.project)


def test_callers_own_affinity_kept(sb, cpus):
    # The command chose one CPU itself (the last one: the supervisor is often elsewhere, so
    # the hand-over cannot pin it there and must leave it alone)...
    last = cpus[-1]
    res = run_workload(sb, prefix=f"taskset -c {last} ")
    assert res["start"] == [last], res
    assert res["main"] == [last], res
    assert res["thread"] == {"start": [last], "end": [last]}, res
    check_files(sb.project)
    # ...and the first one, where it often runs together with the supervisor.
    for p in sb.project.glob("main-*"):
        p.unlink()
    for p in sb.project.glob("thread-*"):
        p.unlink()
    first = cpus[0]
    res = run_workload(sb, prefix=f"taskset -c {first} ")
    assert res["main"] == [first] and res["thread"]["end"] == [first], res
    check_files(sb.project)
