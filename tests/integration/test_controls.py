"""Positive controls: ordinary development work runs unhindered inside, and triggers no denial."""

import os


def test_compiler(sb):
    (sb.project / "hello.c").write_text(
        '#include <stdio.h>\nint main(void){ puts("hello from cc"); return 0; }\n')
    r = sb.sh("cc -O1 -o hello hello.c && ./hello")
    assert r.rc == 0 and "hello from cc" in r.out, r
    assert (sb.project / "hello").exists()
    assert not r.denials, r


def test_cxx_compiler_with_threads(sb):
    (sb.project / "t.cc").write_text(
        '#include <thread>\n#include <cstdio>\nint main(){ std::thread t([]{ std::puts("thread ok"); });'
        ' t.join(); }\n')
    r = sb.sh("g++ -O1 -pthread -o t t.cc && ./t")
    assert r.rc == 0 and "thread ok" in r.out, r


def test_python_script(sb):
    (sb.project / "s.py").write_text(
        "import json, os, sqlite3, tempfile, subprocess\n"
        "db = sqlite3.connect('db.sqlite'); db.execute('create table t(x)'); db.commit()\n"
        "with tempfile.NamedTemporaryFile('w', delete=False) as f: f.write('t')\n"
        "out = subprocess.run(['echo', 'sub'], capture_output=True, text=True).stdout\n"
        "json.dump({'ok': True, 'sub': out.strip()}, open('out.json', 'w'))\n"
        "print('PY_OK')\n")
    r = sb.exec(["python3", "s.py"])
    assert r.rc == 0 and "PY_OK" in r.out, r
    assert (sb.project / "out.json").read_text() == '{"ok": true, "sub": "sub"}'
    assert not r.denials, r


def test_dev_null_and_std_streams(sb):
    r = sb.sh("echo gone > /dev/null && cat /dev/null && echo to-stderr > /dev/stderr && "
              "echo via-tee | tee /dev/stdout; echo out2 > /dev/stdout; "
              "echo x 2>/dev/null >&2; exec 3>/dev/null; echo y >&3; echo DONE")
    assert r.rc == 0, r
    assert r.out.count("via-tee") == 2 and "out2" in r.out and "DONE" in r.out, r
    assert "to-stderr" in r.err
    assert not r.denials, r


def test_tmp_usable(sb):
    r = sb.sh("set -e; d=$(mktemp -d); echo x > $d/f; mkdir -p /tmp/a/b; mv $d/f /tmp/a/b/g; "
              "ln -s /tmp/a/b/g /tmp/l; cat /tmp/l; rm -rf /tmp/a; echo TMP_OK")
    assert r.rc == 0 and "TMP_OK" in r.out, r
    assert not r.denials, r


def test_common_tools(sb):
    r = sb.sh("set -e; ls -la >/dev/null; find . -maxdepth 1 >/dev/null; sort README.md >/dev/null;"
              "sed -i 's/readme/README/' README.md; tar cf /tmp/x.tar README.md; "
              "gzip -c README.md > r.gz; make --version >/dev/null 2>&1 || true; "
              "env | grep -q ^HOME=; echo TOOLS_OK")
    assert r.rc == 0 and "TOOLS_OK" in r.out, r
    assert (sb.project / "README.md").read_text() == "project README\n"


def test_home_readable_and_env(sb, home):
    r = sb.sh("echo $HOME; cat ~/.gitconfig | head -1; pwd")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0] == str(home)
    assert lines[1] == "[user]"
    assert os.path.realpath(lines[2]) == os.path.realpath(sb.project)
