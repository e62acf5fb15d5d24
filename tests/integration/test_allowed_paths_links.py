"""Threat: a sandbox redirects what the user will allow next time. A path the user allows by a
name inside the project (`--allow-write ./.cache`, `allowUnixSockets: ["./app.sock"]`) is
resolved on the host at start; a symlink the sandbox left at that name would carry the grant to
wherever it points (a $PATH directory, a denied directory, docker.sock). A path that leads
through a symlink lying in a writable path is refused (exit 125) with the target to name
instead."""

import os
import socket

import pytest


@pytest.fixture
def host_sock(outside):
    path = outside / "svc.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.listen(1)
    yield path
    s.close()


CASES = {
    # name inside the project, flag, what the sandbox makes it point at
    "allow-write": (".cache", "--allow-write", "dir"),
    "allow-read": ("vendor", "--allow-read", "dir"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_planted_link_does_not_redirect_an_allowed_path(sb, outside, case):
    name, flag, _ = CASES[case]
    target = outside / f"target-{case}"
    target.mkdir()
    marker = target / "marker"
    r = sb.sh(f"ln -s '{target}' {name}")
    assert r.rc == 0 and os.path.islink(sb.project / name), r
    r = sb.sh(f"echo planted > {name}/marker; echo rc=$?", flags=(flag, f"./{name}"))
    assert r.rc == 125, r
    assert "leads through the symlink" in r.err and str(target) in r.err, r
    assert not marker.exists()
    # Named directly, the target is the user's explicit choice.
    r = sb.sh(f"echo chosen > '{target}/marker'", flags=(flag, str(target)))
    if flag == "--allow-write":
        assert r.rc == 0 and marker.read_text() == "chosen\n", r


def test_planted_link_does_not_pass_a_host_socket(sb, host_sock):
    r = sb.sh(f"ln -s '{host_sock}' app.sock")
    assert r.rc == 0, r
    settings = sb.project.parent / "sock-settings.json"
    settings.write_text('{"network": {"allowUnixSockets": ["./app.sock"]}}')
    r = sb.sh("true", flags=("--settings", str(settings)))
    assert r.rc == 125 and "leads through the symlink" in r.err, r


def test_link_within_the_project_is_fine(sb):
    (sb.project / "out").mkdir()
    r = sb.sh("ln -s out build")
    assert r.rc == 0, r
    r = sb.sh("echo x > build/f", flags=("--allow-write", "./build"))
    assert r.rc == 0 and (sb.project / "out" / "f").read_text() == "x\n", r
