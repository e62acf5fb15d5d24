"""Threat: see, signal or outlive host processes. The sandbox has its own pid namespace; nothing
survives the sandbox; killing the supervisor kills the sandbox; exit statuses and signals pass
through."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import TIMEOUT, layer_store, pid_alive, pids_with_argv0, unique, wait_until


@pytest.fixture
def host_sleeper():
    marker = unique("host")
    p = subprocess.Popen(["/bin/bash", "-c", f"exec -a {marker} sleep 300"],
                         stdin=subprocess.DEVNULL)
    assert wait_until(lambda: p.pid in pids_with_argv0(marker), 5)
    yield p
    p.kill()
    p.wait(timeout=TIMEOUT)


def test_ps_shows_only_sandbox_processes(sb, host_sleeper):
    pid = host_sleeper.pid
    assert os.path.exists(f"/proc/{pid}")  # control: visible on the host
    r = sb.sh("ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' '; echo; ps -e -o pid=,args=")
    assert r.rc == 0, r
    pids_line, ps_out = r.out.split("\n", 1)
    pids = {int(x) for x in pids_line.split()}
    assert len(pids) < 10, pids  # init, the shell, ls/grep/tr: a handful
    assert max(pids) < 50, pids
    assert 1 in pids
    assert "sleep 300" not in ps_out and "paddock-it-host" not in ps_out, ps_out
    assert "pytest" not in ps_out and "systemd" not in ps_out and "init" not in ps_out.split()
    r2 = sb.sh(f"test -e /proc/{pid}/cmdline && cat /proc/{pid}/cmdline; exit 0")
    assert "paddock-it-host" not in r2.out, r2


def test_kill_host_process_fails(sb, host_sleeper):
    pid = host_sleeper.pid
    ctl = sb.host_sh(f"kill -0 {pid} && echo ALIVE")
    assert "ALIVE" in ctl.out  # control: the same kill -0 works on the host
    r = sb.sh(f"kill -0 {pid}; echo rc=$?; kill -9 {pid}; kill -9 -1; exit 0")
    assert "rc=0" not in r.out, r
    time.sleep(0.2)
    assert pid_alive(pid)


def test_ptrace_host_process_fails(sb, host_sleeper):
    pid = host_sleeper.pid
    r = sb.exec(["python3", "-c", f"""
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print("attach", libc.ptrace(16, {pid}, 0, 0), ctypes.get_errno())
"""])
    assert "attach 0 " not in r.out, r
    assert pid_alive(host_sleeper.pid)


@pytest.mark.parametrize("how", [
    "setsid bash -c 'exec -a {m} sleep 300' </dev/null >/dev/null 2>&1 &",
    "( ( exec -a {m} sleep 300 ) </dev/null >/dev/null 2>&1 & ) &",
    "nohup bash -c 'exec -a {m} sleep 300' </dev/null >/dev/null 2>&1 &",
    "setsid -f bash -c 'trap \"\" HUP TERM; exec -a {m} sleep 300' </dev/null >/dev/null 2>&1",
    "python3 -c \"import os,sys\nif os.fork(): sys.exit(0)\nos.setsid()\nif os.fork(): sys.exit(0)\n"
    "os.execv('/bin/sleep', ['{m}', '300'])\" </dev/null >/dev/null 2>&1",
])
def test_nothing_outlives_the_sandbox(sb, how):
    m = unique("daemon")
    ready = sb.project / "ready"
    p = sb.popen(["-c", how.format(m=m) + f"\nsleep 0.5; touch {ready}; sleep 2; exit 0"])
    try:
        # control: while the sandbox runs, the daemon exists (seen from the host)
        assert wait_until(lambda: ready.exists(), 10), p.stderr.read() if p.poll() is not None else ""
        assert pids_with_argv0(m), "the daemon did not start"
        p.wait(timeout=TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    # Killed before paddock returned (test_nothing_of_the_sandbox_runs_once_paddock_has_
    # returned), gone from /proc a moment later, once the kernel has torn it down.
    assert wait_until(lambda: not pids_with_argv0(m), 5), f"{m} outlived the sandbox"


def test_nothing_of_the_sandbox_runs_once_paddock_has_returned(sb):
    # paddock returns as soon as the command has ended and init has sent SIGKILL to everything
    # left (the kernel tears the namespaces down beside paddock's exit, as with bubblewrap): a
    # process that keeps writing must have stopped by then, not a moment later.
    out = sb.project / "ticks"
    for _ in range(5):
        out.write_text("")
        r = sb.sh("( while :; do echo t >> ticks; done ) </dev/null >/dev/null 2>&1 & "
                  "while [ ! -s ticks ]; do :; done; exit 0")
        assert r.rc == 0, r
        size = out.stat().st_size
        assert size > 0  # control: it was writing
        time.sleep(0.2)
        assert out.stat().st_size == size, "a sandbox process ran after paddock returned"


def test_next_run_of_the_project_waits_for_the_last_sandbox(sb, home):
    # walls/layer_tenant.h: the home layer's lock file names the last sandbox's init; the next
    # run waits for it (here a host process standing in for it) before mounting the layer.
    assert sb.exec(["/bin/true"]).rc == 0
    lock = Path(str(layer_store(home, sb.project)) + ".lock")
    assert len(lock.read_text().split()) == 2  # control: the last run recorded its init
    for release, waited in ((True, True), (False, False)):
        stand_in = subprocess.Popen(["sleep", "30"])
        try:
            start = open(f"/proc/{stand_in.pid}/stat").read().rsplit(")", 1)[1].split()[19]
            lock.write_text(f"{stand_in.pid} {start}\n")
            p = sb.popen(["-c", "echo ran"], text=True)
            time.sleep(0.5)
            assert p.poll() is None, "paddock did not wait for the recorded sandbox"
            if release:
                stand_in.kill()
                stand_in.wait()
            out, err = p.communicate(timeout=TIMEOUT)
            assert p.returncode == 0 and out == "ran\n", (out, err)
            # Still there after its wait (2 s): the run keeps its home writes in memory.
            assert ("in use by another paddock run" in err) != waited, err
        finally:
            stand_in.kill()
            stand_in.wait()


def test_sigkill_supervisor_kills_sandbox(sb):
    m = unique("victim")
    p = sb.popen(["--", "/bin/bash", "-c", f"exec -a {m} sleep 300"])
    try:
        assert wait_until(lambda: pids_with_argv0(m), 10), "command did not start"
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=TIMEOUT)
        assert wait_until(lambda: not pids_with_argv0(m), 5), "sandbox survived its supervisor"
    finally:
        for pid in pids_with_argv0(m):
            os.kill(pid, signal.SIGKILL)


def test_sigkill_supervisor_kills_daemonized_children(sb):
    m = unique("victim2")
    p = sb.popen(["-c", f"setsid bash -c 'exec -a {m} sleep 300' </dev/null >/dev/null 2>&1 & sleep 300"])
    try:
        assert wait_until(lambda: pids_with_argv0(m), 10)
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=TIMEOUT)
        assert wait_until(lambda: not pids_with_argv0(m), 5)
    finally:
        for pid in pids_with_argv0(m):
            os.kill(pid, signal.SIGKILL)


def test_exit_status_passthrough(sb):
    assert sb.sh("exit 3").rc == 3
    assert sb.sh("exit 0").rc == 0
    assert sb.sh("exit 124").rc == 124
    assert sb.exec(["/bin/false"]).rc == 1
    assert sb.sh("kill -TERM $$").rc == 143
    assert sb.sh("kill -KILL $$").rc == 137
    assert sb.exec(["/bin/sh", "-c", "kill -SEGV $$"]).rc == 128 + signal.SIGSEGV


def test_missing_program_is_127(sb):
    r = sb.exec(["/nonexistent/prog-xyz"])
    assert r.rc == 127, r
    assert "prog-xyz" in r.err, r
    r2 = sb.exec(["no-such-command-xyz"])
    assert r2.rc == 127 and "no-such-command-xyz" in r2.err, r2


def test_not_executable_is_126(sb):
    f = sb.project / "notexec.sh"
    f.write_text("#!/bin/sh\necho ran\n")
    f.chmod(0o644)
    r = sb.exec(["./notexec.sh"])
    assert r.rc == 126, r
    assert "ran" not in r.out
    assert "notexec.sh" in r.err, r
    r2 = sb.exec([str(sb.project)])  # a directory
    assert r2.rc == 126, r2


def test_sigterm_reaches_command(sb):
    ready = sb.project / "ready"
    p = sb.popen(["-c", "trap 'echo got-term > termed; exit 7' TERM; touch ready; "
                  "for i in $(seq 1 600); do sleep 0.1; done; echo timeout > termed"])
    try:
        assert wait_until(ready.exists, 10)
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert (sb.project / "termed").read_text() == "got-term\n"
    assert rc == 7


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGHUP, signal.SIGUSR1])
def test_other_signals_forwarded(sb, sig):
    ready = sb.project / "ready"
    name = signal.Signals(sig).name[3:]
    p = sb.popen(["-c", f"trap 'echo got > got; exit 9' {name}; touch ready; "
                  "for i in $(seq 1 600); do sleep 0.1; done"])
    try:
        assert wait_until(ready.exists, 10)
        p.send_signal(sig)
        rc = p.wait(timeout=TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert (sb.project / "got").exists(), p.stderr.read()
    assert rc == 9


def _allowed_cpus(text):
    line = next(l for l in text.splitlines() if l.startswith("Cpus_allowed_list:"))
    return line.split(":", 1)[1].strip()


def test_command_has_the_callers_cpus(sb):
    # The supervisor narrows the sandbox side's CPUs while it starts (sandbox/cpu_placement.h):
    # the command must get the caller's whole mask back, with walls sent ahead or not.
    mine = _allowed_cpus(Path("/proc/self/status").read_text())
    for _ in range(3):
        r = sb.exec(["cat", "/proc/self/status"])
        assert r.rc == 0, r
        assert _allowed_cpus(r.out) == mine, (mine, r.out)


def test_command_keeps_a_narrowed_cpu_mask(sb):
    cpus = sorted(os.sched_getaffinity(0))
    one = {cpus[-1]}
    for _ in range(2):
        p = subprocess.run(sb.argv(["--", "cat", "/proc/self/status"]), cwd=str(sb.project),
                           env=sb.env(), capture_output=True, text=True, timeout=TIMEOUT,
                           stdin=subprocess.DEVNULL,
                           preexec_fn=lambda: os.sched_setaffinity(0, one))
        assert p.returncode == 0, p.stderr
        assert _allowed_cpus(p.stdout) == str(cpus[-1]), p.stdout
