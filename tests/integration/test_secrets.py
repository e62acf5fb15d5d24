"""Threat: read secrets. Credential stores under $HOME are absent (ENOENT, not listed); --deny-read
makes project paths absent; --allow-read re-opens beneath a denied path."""

import os

import pytest

from conftest import (SECRET_FILES, SECRET_IN_CONFIG, SECRET_PREFIX, SECRET_TOP_LEVEL,
                      home_snapshot, layer_upper, snapshot)


@pytest.mark.parametrize("rel", SECRET_FILES)
def test_planted_secret_unreadable(sb, home, rel):
    secret = (home / rel).read_text()
    assert secret.startswith(SECRET_PREFIX)  # control: planted on the host
    ctl = sb.host_sh(f'cat "$HOME/{rel}"')
    assert ctl.rc == 0 and secret in ctl.out  # control: readable without the sandbox

    r = sb.sh(f'cat "$HOME/{rel}"; cat ~/"{rel}"; cat "{home}/./{rel}"; '
              f'cat /proc/self/root"{home}/{rel}"; cd "$HOME" && cat "{rel}"; '
              f'stat -c %n "$HOME/{rel}"; exit 0')
    assert r.rc == 0, r
    assert SECRET_PREFIX not in r.out, r
    assert "No such file or directory" in r.err, r
    assert "Permission denied" not in r.err, r  # absent, not forbidden


def test_no_secret_reachable_by_search(sb, home):
    # ordinary files in HOME stay readable: the test would pass vacuously if HOME were hidden
    r = sb.sh('cat ~/.config/ordinary/ok.txt ~/.aws/config 2>&1; cat ~/.bashrc >/dev/null && echo BASHRC_OK;'
              f'grep -rl "{SECRET_PREFIX}" "$HOME" 2>/dev/null;'
              'find ~ -name "id_*" -o -name credentials -o -name ".netrc" 2>/dev/null; exit 0')
    assert "ordinary readable config" in r.out, r
    assert "BASHRC_OK" in r.out, r
    assert SECRET_PREFIX not in r.out
    for rel in SECRET_FILES:
        assert str(home / rel) not in r.out, r
    assert "id_rsa" not in r.out and "id_ed25519" not in r.out
    # ~/.aws/config is not a secret but sits in a hidden store
    assert "region = eu-west-1" not in r.out
    # control: the same search on the host finds them
    ctl = sb.host_sh(f'grep -rl "{SECRET_PREFIX}" "$HOME"')
    assert str(home / ".ssh/id_rsa") in ctl.out


def test_ls_home_hides_stores(sb, home):
    r = sb.sh("ls -A ~; echo ---; ls -A ~/.config")
    assert r.rc == 0, r
    top, config = r.out.split("---\n")
    top, config = top.split(), config.split()
    for name in SECRET_TOP_LEVEL:
        assert name not in top, (name, r.out)
    for name in SECRET_IN_CONFIG:
        assert name not in config, (name, r.out)
    # non-secret entries are listed (control)
    assert ".bashrc" in top and ".config" in top and ".profile" in top, r.out
    assert "ordinary" in config, r.out
    # control: the host sees every store
    host = os.listdir(home)
    for name in SECRET_TOP_LEVEL:
        assert name in host


def test_stores_cannot_be_recreated(sb, home):
    # mkdir ~/.ssh inside must not shadow-create anything on the host either: it lands in the
    # home layer, as the sandbox's own (the host's store stays absent beneath it)
    before = home_snapshot(home, sb.project)
    r = sb.sh("mkdir -p ~/.ssh; echo k > ~/.ssh/authorized_keys; echo x >> ~/.netrc; exit 0")
    assert home_snapshot(home, sb.project) == before, r
    upper = layer_upper(home, sb.project)
    assert (upper / ".ssh" / "authorized_keys").read_text() == "k\n"
    assert (upper / ".netrc").read_text() == "x\n"  # not the host's, appended to
    r = sb.sh("ls -A ~/.ssh; cat ~/.netrc")
    assert r.out.split() == ["authorized_keys", "x"], r
    assert SECRET_PREFIX not in r.out


def test_exfiltration_copy_into_project(sb, home):
    secrets_text = [(home / rel).read_text() for rel in SECRET_FILES]
    r = sb.sh("cp -r ~/.ssh ~/.aws ~/.gnupg ./ ; cp ~/.netrc ~/.git-credentials ./; "
              "cat ~/.ssh/id_rsa > stolen.txt; tar cf loot.tar ~/.ssh ~/.aws ~/.config 2>/dev/null;"
              "for f in $(find ~ -type f 2>/dev/null); do cat \"$f\"; done >> all.txt 2>/dev/null;"
              "echo done; exit 0", timeout=60)
    assert "done" in r.out, r
    # control: the loop did copy readable home files into the project
    assert "ordinary readable config" in (sb.project / "all.txt").read_text()
    for dirpath, _dirs, files in os.walk(sb.project):
        for f in files:
            data = open(os.path.join(dirpath, f), "rb").read()
            assert SECRET_PREFIX.encode() not in data, os.path.join(dirpath, f)
            for s in secrets_text:
                assert s.encode() not in data


def test_deny_read_project_file(sb):
    (sb.project / "secret.env").write_text("API_KEY=project-secret\n")
    (sb.project / "keys").mkdir()
    (sb.project / "keys" / "k.pem").write_text("PEM project-secret\n")
    ctl = sb.sh("cat secret.env keys/k.pem")
    assert ctl.rc == 0 and ctl.out.count("project-secret") == 2, ctl  # control: readable by default

    r = sb.sh("cat secret.env; cat keys/k.pem; cat $PWD/secret.env; ls -A; ls -A keys; exit 0",
              flags=["--deny-read", "secret.env", "--deny-read", str(sb.project / "keys")])
    assert r.rc == 0, r
    assert "project-secret" not in r.out, r
    assert "No such file or directory" in r.err or "k.pem" not in r.out, r
    # the host file is untouched
    assert (sb.project / "secret.env").read_text() == "API_KEY=project-secret\n"
    assert (sb.project / "keys" / "k.pem").read_text() == "PEM project-secret\n"


def test_a_denied_name_missing_at_start_cannot_be_planted(sb):
    # Made by the sandbox inside the project, `.env -> notes.txt` would carry what the host
    # writes to `.env` later (the user adding a key while the agent runs) where the sandbox
    # reads it.
    r = sb.sh("ln -s notes.txt .env; echo ln=$?; touch .env; echo touch=$?; "
              "touch made && mv made .env; echo mv=$?; touch made2 && ln made2 .env; echo link=$?; "
              "mkdir -p .env/x; echo mkdir=$?; touch notes.txt; echo other=$?",
              flags=["--deny-read", ".env"])
    for op in ("ln", "touch", "mv", "link", "mkdir"):
        assert f"{op}=1" in r.out, (op, r)
    assert "other=0" in r.out, r  # the rest of the project is writable as ever
    assert not os.path.lexists(sb.project / ".env"), list(sb.project.iterdir())
    # Once it exists on the host it is denied as before (and its target with it).
    (sb.project / ".env").write_text("API_KEY=later-secret\n")
    r = sb.sh("cat .env; exit 0", flags=["--deny-read", ".env"])
    assert "later-secret" not in r.out, r


@pytest.mark.xfail(strict=True, reason=(
    "documented deviation (docs/ARCHITECTURE.md): a --deny-read entry inside a writable path (the project) is shown as an empty "
    "file instead of being absent (paddock prints a note saying so); DESIGN 4 and the CLI "
    "contract say denied paths are absent"))
def test_deny_read_file_is_absent_not_empty(sb):
    (sb.project / "secret.env").write_text("API_KEY=project-secret\n")
    r = sb.sh("ls -A; test -e secret.env && echo EXISTS; exit 0",
              flags=["--deny-read", "secret.env"])
    assert "EXISTS" not in r.out and "secret.env" not in r.out.split(), r


def test_deny_read_outside_file_absent(sb, outside):
    (outside / "creds.txt").write_text("outside-secret\n")
    ctl = sb.sh(f'cat "{outside}/creds.txt"')
    assert "outside-secret" in ctl.out, ctl
    r = sb.sh(f'cat "{outside}/creds.txt"; ls -A "{outside}"; exit 0',
              flags=["--deny-read", str(outside / "creds.txt")])
    assert "outside-secret" not in r.out and "creds.txt" not in r.out, r
    assert "No such file or directory" in r.err, r


@pytest.mark.parametrize("where", [
    "outside",
    "project",
])
def test_allow_read_reopens_subdir(sb, outside, where):
    top = sb.project if where == "project" else outside
    data = top / "data"
    (data / "private").mkdir(parents=True)
    (data / "public").mkdir()
    (data / "private" / "x").write_text("private-bytes\n")
    (data / "public" / "y").write_text("public-bytes\n")
    ctl = sb.sh(f"cat '{data}/private/x'", flags=["--deny-read", str(data)])
    assert "private-bytes" not in ctl.out, ctl  # the deny alone works
    r = sb.sh(f"cat '{data}/public/y'; cat '{data}/private/x'; exit 0",
              flags=["--deny-read", str(data), "--allow-read", str(data / "public")])
    assert "private-bytes" not in r.out, r
    assert "public-bytes" in r.out, r


def test_allow_read_reopens_inside_credential_store(sb, home):
    # ~/.aws is a built-in store; re-opening ~/.aws/config must not expose ~/.aws/credentials
    r = sb.sh("cat ~/.aws/config; cat ~/.aws/credentials; exit 0",
              flags=["--allow-read", str(home / ".aws" / "config")])
    assert "region = eu-west-1" in r.out, r
    assert SECRET_PREFIX not in r.out, r


def test_cwd_inside_denied_dir_is_an_error(sb):
    sub = sb.project / "denied" / "sub"
    sub.mkdir(parents=True)
    r = sb.sh("touch ran-marker; echo RAN", cwd=sub, flags=["--deny-read", str(sb.project / "denied")])
    assert r.rc == 125, r
    assert "RAN" not in r.out
    assert not (sub / "ran-marker").exists()
    assert r.err.strip(), "paddock must say why"
    assert "denied" in r.err or "deny" in r.err or "absent" in r.err or "hidden" in r.err, r

    # control: with --allow-read of the cwd the same command runs
    ok = sb.sh("touch ran-marker; echo RAN", cwd=sub,
               flags=["--deny-read", str(sb.project / "denied"), "--allow-read", str(sub)])
    assert ok.rc == 0 and "RAN" in ok.out, ok


def test_cwd_inside_credential_store_is_an_error(sb, home):
    r = sb.sh("touch ran-marker; echo RAN", cwd=home / ".ssh")
    assert r.rc == 125, r
    assert "RAN" not in r.out
    assert not (home / ".ssh" / "ran-marker").exists()
    assert r.err.strip()


def test_cwd_is_home_secrets_still_hidden(sb, home):
    """Running from HOME makes HOME writable (paddock warns); the stores must stay unreadable and
    unchangeable, and shell rc files read-only."""
    (home / ".ssh" / "authorized_keys").write_text("ssh-ed25519 AAAA host-key\n")
    before = {rel: (home / rel).read_bytes() for rel in SECRET_FILES}
    r = sb.sh("cat ~/.ssh/id_rsa ~/.aws/credentials ~/.netrc; "
              "echo evil >> ~/.ssh/authorized_keys; echo x > ~/.ssh/new; echo x >> ~/.netrc;"
              "rm -rf ~/.ssh ~/.aws; echo evil >> ~/.bashrc; exit 0", cwd=home)
    assert SECRET_PREFIX not in r.out, r
    assert (home / ".ssh" / "authorized_keys").read_text() == "ssh-ed25519 AAAA host-key\n"
    assert not (home / ".ssh" / "new").exists()
    for rel, data in before.items():
        assert (home / rel).read_bytes() == data, rel
    assert "evil" not in (home / ".bashrc").read_text()
    assert "warning" in r.err and "writable" in r.err, r  # paddock says HOME is writable


@pytest.mark.xfail(strict=True, reason=(
    "documented deviation (docs/ARCHITECTURE.md): when the credential stores lie inside a writable path (cwd = HOME), they are "
    "shown as empty directories/files instead of being absent: `ls -A ~` lists .ssh, .aws, "
    ".netrc ... (DESIGN 4: absent, the name is not there)"))
def test_cwd_is_home_stores_absent(sb, home):
    r = sb.sh("ls -A ~", cwd=home)
    listed = r.out.split()
    assert ".bashrc" in listed, r  # control
    for name in SECRET_TOP_LEVEL:
        assert name not in listed, (name, r.out)




def test_deny_read_rename_then_read(sb):
    (sb.project / "secret.env").write_text("API_KEY=project-secret\n")
    (sb.project / "keys").mkdir()
    (sb.project / "keys" / "k.pem").write_text("PEM project-secret\n")
    (sb.project / "data").mkdir()
    (sb.project / "data" / "inner.env").write_text("INNER project-secret\n")
    flags = ["--deny-read", "secret.env", "--deny-read", "keys", "--deny-read", "data/inner.env"]
    ctl = sb.sh("cat secret.env keys/k.pem data/inner.env; exit 0", flags=flags)
    assert "project-secret" not in ctl.out, ctl  # control: denied before the renames
    sb.sh("mv secret.env leaked.txt; mv keys keys2; mv data data2; exit 0", flags=flags)
    r = sb.sh("cat leaked.txt keys2/k.pem data2/inner.env; exit 0", flags=flags)  # the next command
    assert "project-secret" not in r.out, r
    # and the host still has its files where they were
    assert (sb.project / "secret.env").read_text() == "API_KEY=project-secret\n"
    assert (sb.project / "keys" / "k.pem").exists()


def test_cwd_is_home_rename_store_then_read(sb, home):
    sb.sh("mv ~/.ssh ~/s2; mv ~/.gnupg ~/g2; mv ~/.netrc ~/n2; exit 0", cwd=home)
    r = sb.sh("cat ~/s2/id_rsa ~/g2/private-keys-v1.d/key.key ~/n2; exit 0", cwd=home)
    assert SECRET_PREFIX not in r.out, r
    assert (home / ".ssh" / "id_rsa").exists()
