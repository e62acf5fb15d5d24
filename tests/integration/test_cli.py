"""paddock doctor and paddock policy."""

import json
import os
import subprocess

import pytest

from conftest import TIMEOUT, unique


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


# --- issue 10, item 8: seeing the policy, and the small things -----------------------------


def test_policy_text_shows_the_network_rules(sb, tmp_path):
    s = tmp_path / "s.json"
    s.write_text(json.dumps({"network": {"allowedDomains": ["registry.npmjs.org"],
                                         "deniedDomains": ["evil.example"],
                                         "allowLocalBinding": True,
                                         "deniedResolvedAddresses": ["203.0.113.0/24"]}}))
    p = run_cli(sb, "policy", "--settings", str(s), "--allow-domain", "github.com",
                "--resolve", "pinned.test=127.0.0.1")
    assert p.returncode == 0, p
    out = p.stdout
    net = out[out.index("network:"):]
    for want in ("registry.npmjs.org", "github.com", "evil.example", "pinned.test=127.0.0.1",
                 "203.0.113.0/24", "local binding", "allowLocalBinding", "unix sockets",
                 "private addresses"):
        assert want in net, (want, net)
    assert "allowedDomains: registry.npmjs.org github.com" in net, net


def test_policy_text_shows_the_protected_names_as_enforced(sb, tmp_path):
    s = tmp_path / "s.json"
    s.write_text(json.dumps({"filesystem": {"protectedNames": ["ci/hooks", "*.hook.sh"]}}))
    p = run_cli(sb, "policy", "--settings", str(s), "--json")
    enforced = json.loads(p.stdout)["filesystem"]["protectedNames"]
    text = run_cli(sb, "policy", "--settings", str(s)).stdout
    block = text[text.index("read-only by name"):text.index("network:")]
    for name in enforced:  # every enforced name is listed, the settings' ones included
        assert f" {name}" in block, name
    assert "filesystem.protectedNames: ci/hooks *.hook.sh" in block, block


def test_policy_text_shows_the_environment_rules(sb):
    p = run_cli(sb, "policy", "--pass-env", "GITHUB_TOKEN", "--ssh-agent")
    env = p.stdout[p.stdout.index("environment:"):]
    assert "*TOKEN" in env and "GITHUB_TOKEN" in env and "TMUX" in env, env
    assert "ssh agent: served" in env, env


def test_glob_in_deny_read_is_honoured(sb, tmp_path):
    for name in (".env", "prod.env"):
        (sb.project / name).write_text("SECRET=planted\n")
    (sb.project / "keep.txt").write_text("readable\n")
    s = tmp_path / "s.json"
    s.write_text(json.dumps({"filesystem": {"denyRead": ["./*.env"]}}))
    r = sb.sh("cat .env prod.env keep.txt", flags=["--settings", str(s)])
    # Inside the writable project a denied file shows as an empty cover (README: "What the
    # sandbox sees"); its content is what must be out of reach.
    assert "planted" not in r.out, r
    assert "readable" in r.out
    r = sb.sh("cat prod.env", flags=["--deny-read", str(sb.project / "*.env")])
    assert "planted" not in r.out, r


@pytest.mark.parametrize("flags", [["--allow-write", "/tmp/*"], ["--deny-write", "*.sh"],
                                   ["--deny-read", "./**/x.env"]])
def test_glob_refused_where_unsound(sb, flags):
    r = sb.sh("echo RAN", flags=flags)
    assert r.rc == 125 and "RAN" not in r.out, r
    assert "glob" in r.err or "**" in r.err, r


def test_srt_settings_read_when_paddock_has_none(sb, home):
    srt = home / ".srt-settings.json"
    srt.write_text(json.dumps({"network": {"allowedDomains": ["srt-only.example"]}}))
    p = run_cli(sb, "policy", "--json")
    assert p.returncode == 0, p
    d = json.loads(p.stdout)
    assert d["settings"] == str(srt), d["settings"]
    assert "srt-only.example" in d["network"]["allowedDomains"]
    assert any(".srt-settings.json" in n for n in d["notes"]), d["notes"]
    # Write-protected inside, like paddock's own file, whether it exists or not.
    assert str(srt) in d["filesystem"]["denyWrite"]
    (home / ".config" / "paddock").mkdir(parents=True, exist_ok=True)
    (home / ".config" / "paddock" / "settings.json").write_text("{}")
    d = json.loads(run_cli(sb, "policy", "--json").stdout)
    assert "srt-only.example" not in d["network"]["allowedDomains"]


def test_doctor_inside_a_sandbox_says_so(sb):
    r = sb.exec(["/run/paddock", "doctor"])
    assert "inside a paddock sandbox" in r.out, r
    r = sb.exec(["/run/paddock", "doctor", "--json"])
    assert json.loads(r.out)["inside_sandbox"] is True, r
    p = run_cli(sb, "doctor", "--json")
    assert json.loads(p.stdout)["inside_sandbox"] is False


@pytest.mark.parametrize("typo,want", [("rn", "run"), ("polcy", "policy"), ("docter", "doctor")])
def test_unknown_subcommand_suggests(sb, typo, want):
    p = run_cli(sb, typo)
    assert p.returncode == 125, p
    assert f"did you mean {want}?" in p.stderr, p


def test_usage_names_the_program_and_placeholders(sb):
    p = run_cli(sb, "run", "--help")
    assert p.returncode == 0, p
    assert "paddock run" in p.stdout
    for placeholder in ("--allow-write PATH", "--settings FILE", "--resolve NAME=ADDR",
                        "--allow-domain DOMAIN", "--pass-env NAME", "-c COMMAND",
                        "-- PROGRAM [ARG]..."):
        assert placeholder in p.stdout, placeholder


def test_system_directory_cwd_stays_read_only(sb):
    # /usr as the current directory: not writable, with a note; the policy says so. (Against a
    # paddock without the check, root would create the probe: it is removed whatever happens.)
    name = unique("probe")
    try:
        r = sb.sh(f"touch {name}; echo rc=$?", cwd="/usr")
        assert "rc=0" not in r.out, r
        assert not os.path.exists(f"/usr/{name}")
        assert "system directory" in r.err, r
        r = sb.sh(f"touch {name}; echo rc=$?", cwd="/")
        assert "rc=0" not in r.out and not os.path.exists(f"/{name}"), r
    finally:
        for p in (f"/usr/{name}", f"/{name}"):
            if os.path.lexists(p):
                os.unlink(p)
    p = subprocess.run([sb.binary, "policy", "--json"], cwd="/usr", env=sb.env(),
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert "/usr" not in json.loads(p.stdout)["filesystem"]["writable"], p.stdout
    # Named explicitly, it is writable (shown by the policy only: nothing is written to /usr).
    p = subprocess.run([sb.binary, "policy", "--json", "--allow-write", "/usr"], cwd="/usr",
                       env=sb.env(), capture_output=True, text=True, timeout=TIMEOUT)
    assert "/usr" in json.loads(p.stdout)["filesystem"]["writable"], p.stdout
