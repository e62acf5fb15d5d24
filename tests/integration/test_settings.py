"""Bad settings: every malformed settings file is an error that names the file and the key (line
and column for syntax errors); exit 125 and the command never runs."""

import json
import os
import re

import pytest

MARKER_CMD = "touch ran-marker; echo RAN"


def write(p, text):
    p.write_text(text) if isinstance(text, str) else p.write_bytes(text)
    return p


def assert_refused(sb, settings, *needles, names_file=True):
    r = sb.sh(MARKER_CMD, flags=["--settings", str(settings)])
    assert r.rc == 125, r
    assert "RAN" not in r.out, r
    assert not (sb.project / "ran-marker").exists(), "the command ran despite bad settings"
    if names_file:
        assert os.path.basename(str(settings)) in r.err, r  # names the file
    for n in needles:
        if isinstance(n, re.Pattern):
            assert n.search(r.err), (n.pattern, r)
        else:
            assert n in r.err, (n, r)
    return r


def test_valid_settings_control(sb, tmp_path):
    """Control: a good file runs the command (so the refusals below are about the content)."""
    s = write(tmp_path / "good.json", json.dumps({"filesystem": {"denyRead": ["~/nothing"]}}))
    r = sb.sh(MARKER_CMD, flags=["--settings", str(s)])
    assert r.rc == 0 and "RAN" in r.out, r
    assert (sb.project / "ran-marker").exists()


def test_syntax_error_has_line_and_column(sb, tmp_path):
    s = write(tmp_path / "syntax.json", '{\n  "filesystem": {\n    "denyRead": [1,\n  }\n')
    assert_refused(sb, s, re.compile(r"line\s*4"), re.compile(r"col(umn)?\s*3"))


def test_trailing_garbage(sb, tmp_path):
    s = write(tmp_path / "trail.json", '{"filesystem": {}} x')
    assert_refused(sb, s, re.compile(r"line\s*1"))


def test_unknown_key_is_named(sb, tmp_path):
    s = write(tmp_path / "unknown.json", json.dumps({"filesystem": {"denyREAD": ["~/x"]}}))
    assert_refused(sb, s, "filesystem.denyREAD")


def test_unknown_top_level_key(sb, tmp_path):
    s = write(tmp_path / "unknown2.json", json.dumps({"filesytem": {}}))
    assert_refused(sb, s, "filesytem")


@pytest.mark.parametrize("doc,key", [
    ({"filesystem": {"denyRead": "notalist"}}, "filesystem.denyRead"),
    ({"filesystem": {"allowWrite": [1, 2]}}, "filesystem.allowWrite"),
    ({"filesystem": []}, "filesystem"),
    ({"network": {"allowedDomains": {"a": 1}}}, "network.allowedDomains"),
    ([], ""),
])
def test_wrong_type_is_named(sb, tmp_path, doc, key):
    s = write(tmp_path / "type.json", json.dumps(doc))
    assert_refused(sb, s, key)


def test_huge_file(sb, tmp_path):
    # valid JSON, 5 MiB: only the size can be the reason to refuse
    s = write(tmp_path / "huge.json", "{" + " " * (5 << 20) + "}")
    assert_refused(sb, s)


def test_path_with_newline(sb, tmp_path):
    s = write(tmp_path / "nl.json", json.dumps({"filesystem": {"denyWrite": ["a\nb"]}}))
    assert_refused(sb, s, "filesystem.denyWrite")


def test_path_with_nul(sb, tmp_path):
    s = write(tmp_path / "nul.json", '{"filesystem": {"allowWrite": ["/tmp/a\\u0000/etc"]}}')
    assert_refused(sb, s, "filesystem.allowWrite")


def test_directory_as_settings(sb, tmp_path):
    d = tmp_path / "settings.d"
    d.mkdir()
    assert_refused(sb, d)


def test_missing_settings_file(sb, tmp_path):
    assert_refused(sb, tmp_path / "missing.json")


def test_invalid_utf8(sb, tmp_path):
    s = write(tmp_path / "utf8.json", b'{"filesystem": {"denyRead": ["\xff\xfe"]}}')
    assert_refused(sb, s)


def test_allow_write_root_refused(sb, tmp_path):
    s = write(tmp_path / "root.json", json.dumps({"filesystem": {"allowWrite": ["/"]}}))
    assert_refused(sb, s, "filesystem.allowWrite", names_file=False)


def test_bad_default_settings_file(sb, home):
    """$XDG_CONFIG_HOME/paddock/settings.json is used without --settings, and its errors count."""
    d = home / ".config" / "paddock"
    d.mkdir(parents=True)
    (d / "settings.json").write_text('{"filesystem": {"denyREAD": []}}')
    r = sb.sh(MARKER_CMD)
    assert r.rc == 125 and "filesystem.denyREAD" in r.err, r
    assert not (sb.project / "ran-marker").exists()


def test_srt_keys_accepted_with_note(sb, tmp_path):
    s = write(tmp_path / "srt.json", json.dumps({"ignoreViolations": {}, "enableWeakerNestedSandbox": True}))
    r = sb.sh(MARKER_CMD, flags=["--settings", str(s)])
    assert r.rc == 0 and "RAN" in r.out, r
    assert "ignoreViolations" in r.err and "enableWeakerNestedSandbox" in r.err, r


def test_bad_command_line_flags(sb):
    r = sb.sh(MARKER_CMD, flags=["--no-such-flag"])
    assert r.rc == 125 or r.rc == 2 or r.rc != 0, r
    assert not (sb.project / "ran-marker").exists()
    r2 = sb.run(["-c", MARKER_CMD, "--", "true"])
    assert r2.rc != 0 and not (sb.project / "ran-marker").exists(), r2
