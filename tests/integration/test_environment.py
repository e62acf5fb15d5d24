"""The command's environment: secrets withheld (issue 10, item 4), host-socket pointers dropped,
--pass-env and paddock.passEnv keep one, credentials.envVars removes one, and the shell."""

import json
import os
import pwd

SECRETS = {
    "GITHUB_TOKEN": "ghp_planted",
    "AWS_SECRET_ACCESS_KEY": "aws-planted",
    "AWS_SESSION_TOKEN": "aws-session-planted",
    "ANTHROPIC_API_KEY": "sk-ant-planted",
    "NPM_TOKEN": "npm-planted",
    "PGPASSWORD": "pg-planted",
    "DATABASE_URL": "postgres://app:db-planted@db.internal/app",
}
ORDINARY = {"TOKENIZERS_PARALLELISM": "false", "EDITOR": "vi", "AWS_REGION": "eu-west-1"}
SOCKETS = {"TMUX": "/tmp/tmux-0/default,123,0", "TMUX_PANE": "%1",
           "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/0/bus", "WAYLAND_DISPLAY": "wayland-0",
           "SSH_AUTH_SOCK": "/run/user/0/ssh-agent.sock", "DISPLAY": ":0",
           # any value in /run, /var/run or $XDG_RUNTIME_DIR: empty inside
           "MY_APP_SOCKET": "/run/user/0/app.sock", "OTHER_BUS": "unix:path=/var/run/x.sock"}


def inside_env(sb, flags=(), extra=None):
    env = dict(SECRETS, **ORDINARY, **SOCKETS)
    env.update(extra or {})
    r = sb.exec(["/usr/bin/env", "-0"], flags=flags, env=env)
    assert r.rc == 0, r
    return dict(kv.split("=", 1) for kv in r.out.split("\0") if "=" in kv), r


def test_secrets_withheld_with_one_note(sb):
    env, r = inside_env(sb)
    for k, v in SECRETS.items():
        assert k not in env, (k, env.get(k))
        assert v not in r.out and v not in r.err  # never the value, not even in the note
    for k, v in ORDINARY.items():
        assert env.get(k) == v, k
    notes = [l for l in r.err.splitlines() if "look like secrets" in l]
    assert len(notes) == 1, r.err
    for k in SECRETS:
        assert k in notes[0], notes[0]


def test_host_socket_variables_dropped(sb):
    env, r = inside_env(sb)
    for k in SOCKETS:
        assert k not in env, (k, env.get(k))
    assert "TMUX" not in "".join(l for l in r.err.splitlines() if "secrets" in l)


def test_pass_env_keeps_one(sb):
    env, r = inside_env(sb, flags=["--pass-env", "GITHUB_TOKEN"])
    assert env.get("GITHUB_TOKEN") == SECRETS["GITHUB_TOKEN"]
    assert "NPM_TOKEN" not in env
    note = [l for l in r.err.splitlines() if "look like secrets" in l][0]
    assert "GITHUB_TOKEN" not in note and "NPM_TOKEN" in note


def test_quiet_hides_the_note(sb):
    env, r = inside_env(sb, flags=["--quiet"])
    assert "GITHUB_TOKEN" not in env
    assert "secrets" not in r.err, r.err


def test_settings_pass_env_and_credentials_env_vars(sb, tmp_path):
    s = tmp_path / "s.json"
    s.write_text(json.dumps({
        "paddock": {"passEnv": ["NPM_TOKEN"]},
        "credentials": {"envVars": [{"name": "EDITOR", "mode": "deny"}]},
    }))
    env, r = inside_env(sb, flags=["--settings", str(s)])
    assert env.get("NPM_TOKEN") == SECRETS["NPM_TOKEN"]
    assert "GITHUB_TOKEN" not in env
    assert "EDITOR" not in env  # credentials.envVars: removed though it looks harmless


def test_shell_from_passwd_when_shell_unset(sb):
    # host_env sets no SHELL: paddock run without a program starts the passwd entry's shell.
    shell = pwd.getpwuid(os.geteuid()).pw_shell
    if not shell.startswith("/") or shell.endswith(("nologin", "false")):
        shell = "/bin/sh"
    r = sb.run([], input="readlink -f /proc/$$/exe\n")
    assert r.rc == 0, r
    assert r.out.strip() == os.path.realpath(shell), (r.out, shell)
    # $SHELL, when set and executable, wins.
    r = sb.run([], input="readlink -f /proc/$$/exe\n", env={"SHELL": "/bin/sh"})
    assert r.out.strip() == os.path.realpath("/bin/sh"), r


def test_tokens_in_values_withheld(sb):
    # Names that say nothing; values that are a token or carry one.
    planted = {"REMOTE": "https://ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/o/r.git",
               "CI_THING": "glpat-0123456789abcdefghij", "DEPLOY": "xoxb-1234-5678-abcdefghijklmnop"}
    env, r = inside_env(sb, extra=planted)
    for k, v in planted.items():
        assert k not in env, (k, env.get(k))
        assert v not in r.out and v not in r.err
    note = [l for l in r.err.splitlines() if "look like secrets" in l][0]
    assert all(k in note for k in planted), note


def test_pass_env_pattern_refused(sb):
    # A pattern would keep nothing, silently: it is refused before anything runs.
    r = sb.exec(["/usr/bin/env"], flags=["--pass-env", "GITHUB_*"], env=SECRETS)
    assert r.rc == 125, r
    assert "GITHUB_*" in r.err and "ghp_planted" not in r.out, r
