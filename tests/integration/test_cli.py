"""paddock doctor and paddock policy."""

import json
import os
import subprocess

from conftest import TIMEOUT


def run_cli(sb, *args):
    p = subprocess.run([sb.binary, *args], cwd=str(sb.project), env=sb.env(), capture_output=True,
                       text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    return p


def test_doctor_json(sb):
    p = run_cli(sb, "doctor", "--json")
    assert p.returncode == 0, p
    d = json.loads(p.stdout)
    assert d["can_run"] is True, d
    assert d["checks"] and all(c["ok"] for c in d["checks"]), d
    names = " ".join(c["name"] for c in d["checks"]).lower()
    for wall in ("namespace", "landlock", "seccomp"):
        assert wall in names, names


def test_doctor_text(sb):
    p = run_cli(sb, "doctor")
    assert p.returncode == 0 and p.stdout.strip(), p


def test_policy_json(sb, home):
    p = run_cli(sb, "policy", "--json")
    assert p.returncode == 0, p
    d = json.loads(p.stdout)
    fs = d["filesystem"]
    assert str(sb.project) in fs["writable"], fs["writable"]
    assert str(home / ".ssh") in fs["denyRead"], fs["denyRead"]
    assert str(home / ".aws") in fs["denyRead"]
    assert d["home"] == str(home)
    assert os.path.realpath(d["cwd"]) == os.path.realpath(sb.project)


def test_policy_reflects_settings(sb, tmp_path, outside):
    (sb.project / "secret.env").write_text("k\n")
    s = tmp_path / "s.json"
    s.write_text(json.dumps({"filesystem": {"allowWrite": [str(outside)], "denyWrite": ["x.txt"],
                                            "denyRead": ["secret.env"]}}))
    p = run_cli(sb, "policy", "--settings", str(s), "--json")
    assert p.returncode == 0, p
    fs = json.loads(p.stdout)["filesystem"]
    assert str(outside) in fs["writable"], fs
    assert str(sb.project / "x.txt") in fs["denyWrite"], fs
    assert str(sb.project / "secret.env") in fs["denyRead"], fs
    assert str(s) in fs["denyWrite"], fs  # the settings file in use is read-only


def test_policy_warns_on_writable_path_dir(sb, tmp_path):
    s = tmp_path / "s.json"
    s.write_text(json.dumps({"filesystem": {"allowWrite": ["/usr/local/bin"]}}))
    p = run_cli(sb, "policy", "--settings", str(s), "--json")
    assert p.returncode == 0, p
    d = json.loads(p.stdout)
    assert any("PATH" in w or "/usr/local/bin" in w for w in d["warnings"]), d["warnings"]


def test_policy_bad_settings_is_125(sb, tmp_path):
    s = tmp_path / "bad.json"
    s.write_text("{")
    p = run_cli(sb, "policy", "--settings", str(s), "--json")
    assert p.returncode == 125, p
