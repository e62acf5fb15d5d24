"""Network, reporting and configuration (DESIGN 5, 6, 7): the audit log holds one parseable JSON
line per decision with every documented field, the exit summary on stderr names denied
destinations, --quiet silences it, and allowlist patterns broader than a registrable domain are
refused before anything runs."""

import json
import time

import pytest

from netutil import (ALLOWED, DENIED, allow, audit_lines, http_server, inside, pin,  # noqa: F401
                     settle)

BASE = allow(ALLOWED) + pin(ALLOWED, DENIED)
FIELDS = {"time", "protocol", "host", "port", "address", "decision", "rule", "reason", "bytes_up",
          "bytes_down", "duration_ms"}


def test_audit_log_records_allow_and_deny(sb, http_server, tmp_path):
    log = tmp_path / "audit.jsonl"
    port = http_server.port
    r = sb.sh(f"curl -sS --max-time 10 http://{ALLOWED}:{port}/audited; "
              f"curl -sS --max-time 10 -o /dev/null http://{DENIED}:{port}/denied1; "
              f"curl -sS --max-time 10 -p http://{DENIED}:{port}/denied2; "
              f"curl -sS --max-time 10 --socks5-hostname 127.0.0.1:1080 "
              f"http://{ALLOWED}:{port}/viasocks; true",
              flags=BASE + ["--audit-log", str(log)])
    assert http_server.token in r.out, r
    lines = audit_lines(log)  # every line parses
    assert lines, r
    for e in lines:
        assert FIELDS <= set(e), e
        assert e["decision"] in ("allow", "deny"), e
        assert isinstance(e["port"], int) and isinstance(e["bytes_up"], int), e
        assert isinstance(e["bytes_down"], int) and isinstance(e["duration_ms"], (int, float)), e
        time.strptime(e["time"][:19], "%Y-%m-%dT%H:%M:%S")
    allows = [e for e in lines if e["decision"] == "allow"]
    denies = [e for e in lines if e["decision"] == "deny"]
    http_allow = [e for e in allows if e["protocol"] == "http" and e["host"] == ALLOWED]
    assert http_allow and http_allow[0]["port"] == port, lines
    assert http_allow[0]["address"] == "127.0.0.1", http_allow
    assert http_allow[0]["rule"] == ALLOWED, http_allow
    assert http_allow[0]["bytes_down"] > len(http_server.token), http_allow
    assert http_allow[0]["bytes_up"] > 0, http_allow
    assert any(e["protocol"] == "socks5" and e["host"] == ALLOWED for e in allows), lines
    denied_protocols = {e["protocol"] for e in denies if e["host"] == DENIED and e["port"] == port}
    assert {"http", "connect"} <= denied_protocols, lines
    for e in denies:
        assert e["bytes_up"] == 0 and e["bytes_down"] == 0 and e["reason"], e
    # nothing for the denied host reached the server
    assert http_server.paths() == ["/audited", "/viasocks"], http_server.requests


def test_unwritable_audit_log_stops_the_run_before_the_command(sb, tmp_path):
    # The proxy starts at the sandbox's first connection; the log it writes is opened before
    # the command runs, so a path that cannot take it is an error then, not after.
    marker = sb.project / "ran-despite-bad-log"
    bad = tmp_path / "no-such-dir" / "audit.jsonl"
    r = sb.sh(f"touch {marker}", flags=BASE + ["--audit-log", str(bad)])
    assert r.rc == 125, r
    assert "audit log" in r.err and str(bad) in r.err, r.err
    assert not marker.exists()


def test_audit_log_made_even_without_traffic(sb, tmp_path):
    log = tmp_path / "quiet.jsonl"
    r = sb.sh("true", flags=BASE + ["--audit-log", str(log)])
    assert r.rc == 0, r
    assert log.exists() and audit_lines(log) == [], r


def test_exit_summary_names_denied_host(sb, http_server):
    port = http_server.port
    cmd = (f"curl -sS --max-time 10 -o /dev/null http://{DENIED}:{port}/x; "
           f"curl -sS --max-time 10 -o /dev/null http://{DENIED}:{port}/y; "
           f"curl -sS --max-time 10 -o /dev/null http://{ALLOWED}:{port}/ok; exit 3")
    r = sb.sh(cmd, flags=BASE)
    assert r.rc == 3, r  # the command's own status survives the summary
    assert r.denials, r
    assert any(DENIED in d and str(port) in d for d in r.denials), r
    assert not any(ALLOWED in d for d in r.denials), r
    # a denial summary goes to stderr only, never into the command's stdout
    assert "paddock: denied" not in r.out
    quiet = sb.sh(cmd, flags=BASE + ["--quiet"])
    assert quiet.rc == 3 and not quiet.denials, quiet
    assert http_server.paths() == ["/ok", "/ok"], http_server.requests


def test_no_denial_no_summary(sb, http_server):
    r = sb.sh(f"curl -sS --max-time 10 -o /dev/null http://{ALLOWED}:{http_server.port}/",
              flags=BASE)
    assert r.rc == 0 and not r.denials, r
    assert http_server.paths() == ["/"]


@pytest.mark.parametrize("pattern", ["*", "*.com", "*.co.uk", "*.test.", "com", "*.*.com"])
def test_broad_allow_pattern_refused(sb, pattern):
    marker = sb.project / "ran-marker"
    r = sb.sh(f"echo RAN; touch {marker}", flags=allow(pattern))
    assert r.rc == 125, (pattern, r)
    assert "RAN" not in r.out and not marker.exists(), r
    assert r.err.strip(), r  # says why


@pytest.mark.parametrize("pattern", ["*", "*.com", "*.co.uk"])
def test_broad_allow_pattern_refused_in_settings(sb, scratch, pattern):
    settings = scratch / "settings.json"
    settings.write_text(json.dumps({"network": {"allowedDomains": [ALLOWED, pattern]}}))
    marker = sb.project / "ran-marker"
    r = sb.sh(f"echo RAN; touch {marker}", flags=["--settings", str(settings)])
    assert r.rc == 125, (pattern, r)
    assert "RAN" not in r.out and not marker.exists(), r
    assert "allowedDomains" in r.err or pattern in r.err, r


def test_star_allowed_in_denied_domains(sb, http_server):
    """`*` is refused in allowedDomains but fine in deniedDomains (denies all)."""
    r = sb.sh(f"curl -sS --max-time 10 -o /dev/null -w 'c=%{{http_code}}' "
              f"http://{ALLOWED}:{http_server.port}/", flags=BASE + ["--deny-domain", "*"])
    assert r.rc == 0 and "c=403" in r.out, r
    assert http_server.requests == []


@pytest.mark.parametrize("pattern", ["exa mple.test", "http://allowed.test", "allowed.test/path",
                                     "allowed.test:0", "allowed.test:99999", "[::1", ""])
def test_malformed_allow_pattern_refused(sb, pattern):
    marker = sb.project / "ran-marker"
    r = sb.sh(f"echo RAN; touch {marker}", flags=allow(pattern))
    assert r.rc == 125, (pattern, r)
    assert "RAN" not in r.out and not marker.exists(), r


def test_audit_log_not_forgeable_from_inside(sb, http_server):
    log = sb.project / "audit.jsonl"
    forged = {"time": "2000-01-01T00:00:00.000Z", "protocol": "http", "host": "forged.test",
              "port": 80, "address": None, "decision": "allow", "rule": "forged", "reason": "x",
              "bytes_up": 0, "bytes_down": 0, "duration_ms": 0}
    r = sb.sh(f"curl -sS --max-time 10 -o /dev/null http://{DENIED}:{http_server.port}/; "
              f"echo '{json.dumps(forged)}' >> audit.jsonl; echo append_rc=$?",
              flags=BASE + ["--audit-log", str(log)])
    lines = audit_lines(log)
    assert any(e.get("host") == DENIED for e in lines), (lines, r)
    assert not any(e.get("host") == "forged.test" for e in lines), (lines, r)
