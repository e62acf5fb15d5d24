"""Tools work unchanged on top of the home layer (issue 10, item 2): package managers fill their
caches (kept for the project, so the next run works offline), compiler caches hit, shells and
REPLs keep their histories; the host's own caches and histories never change."""

import base64
import hashlib
import http.server
import json
import os
import shutil
import socketserver
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import pytest

from conftest import (SECRET_PREFIX, TIMEOUT, home_snapshot, layer_upper, snapshot)
from netutil import allow, pin

REGISTRY = "registry.test"
PKG = "paddock-it-pad"


# ---------------------------------------------------------------------------------------------
# a local npm registry, reached through paddock's proxy


class NpmRegistry:
    """One package (with a bin, for npx) on 127.0.0.1: metadata at /NAME, tarball below."""

    def __init__(self, workdir: Path):
        pkg = workdir / "pkg" / "package"
        pkg.mkdir(parents=True)
        (pkg / "package.json").write_text(json.dumps({
            "name": PKG, "version": "1.0.0", "main": "index.js", "bin": {PKG: "cli.js"}}))
        (pkg / "index.js").write_text("module.exports = (s, n) => String(s).padStart(n);\n")
        (pkg / "cli.js").write_text("#!/usr/bin/env node\nconsole.log('npx-ran-' + "
                                    "require('./index.js')('ok', 4));\n")
        os.chmod(pkg / "cli.js", 0o755)
        tgz = workdir / "pkg.tgz"
        with tarfile.open(tgz, "w:gz") as t:
            t.add(pkg, arcname="package")
        self.tarball = tgz.read_bytes()
        self.requests = []
        registry = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_a):
                pass

            def do_GET(self):
                registry.requests.append(self.path)
                path = self.path.split("?")[0]
                if path == f"/{PKG}":
                    body, ctype = registry.metadata(), "application/json"
                elif path == f"/tarballs/{PKG}-1.0.0.tgz":
                    body, ctype = registry.tarball, "application/octet-stream"
                else:
                    body, ctype = b'{"error":"not found"}', "application/json"
                    self.send_response(404)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://{REGISTRY}:{self.port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def metadata(self):
        data = self.tarball
        return json.dumps({"name": PKG, "dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": {
            "name": PKG, "version": "1.0.0", "bin": {PKG: "cli.js"},
            "dist": {"tarball": f"{self.url}tarballs/{PKG}-1.0.0.tgz",
                     "shasum": hashlib.sha1(data).hexdigest(),
                     "integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest())
                     .decode()}}}}).encode()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


NPM_FLAGS = allow(REGISTRY) + pin(REGISTRY)


def newer_than(root: Path, t: float):
    """Files under root modified or changed after t (seconds since the epoch)."""
    out = []
    if not root.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, n))
            if max(st.st_mtime, st.st_ctime) > t:
                out.append(os.path.join(dirpath, n))
    return out


@pytest.mark.parametrize("npm_dir", ["absent", "existing"])
def test_npm_install_and_npx_through_a_local_registry(sb, home, scratch, npm_dir):
    if shutil.which("npm", path="/usr/local/bin:/usr/bin:/bin") is None:
        pytest.skip("npm is not installed")
    npm = home / ".npm"
    if npm_dir == "existing":
        (npm / "_cacache").mkdir(parents=True)
        (npm / "_cacache" / "host-entry").write_text("host cache\n")
    before = snapshot(npm)
    (sb.project / "package.json").write_text('{"name": "p", "version": "1.0.0"}\n')
    time.sleep(0.05)
    start = time.time()
    with NpmRegistry(scratch) as reg:
        r = sb.sh(f"npm install --no-audit --no-fund --registry {reg.url} {PKG} && "
                  f"node -e \"console.log(require('{PKG}')('x', 3))\" && "
                  f"npx -y --registry {reg.url} {PKG}", flags=NPM_FLAGS, timeout=120)
        assert r.rc == 0, r
        assert "  x" in r.out and "npx-ran-  ok" in r.out, r
        assert f"/tarballs/{PKG}-1.0.0.tgz" in reg.requests
    assert (sb.project / "node_modules" / PKG / "index.js").exists()
    # The cache went to the layer; the host's ~/.npm did not change (nor appear).
    assert snapshot(npm) == before
    assert newer_than(npm, start) == []
    assert npm.exists() == (npm_dir == "existing")
    assert (layer_upper(home, sb.project) / ".npm" / "_cacache").is_dir()
    # The cache is warm: with the registry gone, the next run installs offline.
    shutil.rmtree(sb.project / "node_modules")
    r = sb.sh(f"npm install --offline --no-audit --no-fund --registry {reg.url} {PKG}"
              f" && npx --offline --registry {reg.url} {PKG}", timeout=120)
    assert r.rc == 0, r
    assert "npx-ran-  ok" in r.out, r


def test_pip_install_uses_its_default_cache(sb, home, scratch):
    src = scratch / "pkgsrc"
    (src / "paddock_it_pkg").mkdir(parents=True)
    (src / "paddock_it_pkg" / "__init__.py").write_text("X = 42\n")
    (src / "setup.py").write_text("from setuptools import setup\n"
                                  "setup(name='paddock-it-pkg', version='1.0', "
                                  "packages=['paddock_it_pkg'])\n")
    dist = scratch / "dist"
    p = subprocess.run(["/usr/bin/python3", "setup.py", "-q", "sdist", "-d", str(dist)], cwd=src,
                       capture_output=True, text=True, timeout=TIMEOUT)
    if p.returncode != 0:
        pytest.skip(f"cannot build an sdist here: {p.stderr[-200:]}")
    os.chmod(scratch, 0o755)
    cmd = (f"python3 -m pip install --no-index --find-links {dist} --target ./site "
           "paddock-it-pkg && python3 -c 'import sys; sys.path.insert(0, \"site\"); "
           "import paddock_it_pkg; print(\"pkg\", paddock_it_pkg.X)'")
    r = sb.sh(cmd, timeout=120)
    assert r.rc == 0, r
    assert "pkg 42" in r.out, r
    assert "cache has been disabled" not in r.err and "not writable" not in r.err, r
    wheels = layer_upper(home, sb.project) / ".cache" / "pip" / "wheels"
    assert any(f.suffix == ".whl" for f in wheels.rglob("*")), list(wheels.rglob("*"))
    assert not (home / ".cache" / "pip").exists()
    # The next run builds nothing: the wheel comes from the cache.
    shutil.rmtree(sb.project / "site")
    r = sb.sh(cmd + " -v" if False else cmd, timeout=120)
    assert r.rc == 0 and "pkg 42" in r.out, r
    assert "Building wheel" not in r.out, r


def test_ccache_hits_on_the_second_build(sb, home):
    if shutil.which("ccache", path="/usr/local/bin:/usr/bin:/bin") is None:
        pytest.skip("ccache is not installed (scripts/install-deps.sh installs it)")
    (sb.project / "a.c").write_text("int answer(void) { return 42; }\n")
    cmd = "ccache gcc -c a.c -o a.o && ccache --print-stats"
    r1 = sb.sh(cmd, timeout=60)
    assert r1.rc == 0, r1
    r2 = sb.sh("rm a.o && " + cmd, timeout=60)
    assert r2.rc == 0, r2
    stats = dict(l.split("\t", 1) for l in r2.out.splitlines() if "\t" in l)
    hits = int(stats.get("direct_cache_hit", 0)) + int(stats.get("preprocessed_cache_hit", 0))
    assert hits >= 1, r2.out
    assert (sb.project / "a.o").exists()
    assert not (home / ".cache" / "ccache").exists() and not (home / ".ccache").exists()
    upper = layer_upper(home, sb.project)
    assert (upper / ".cache" / "ccache").is_dir() or (upper / ".ccache").is_dir()


def cargo_env():
    for bindir in ("/root/.cargo/bin", "/usr/local/cargo/bin", "/usr/bin"):
        cargo = Path(bindir) / "cargo"
        if os.access(cargo, os.X_OK):
            env = {"PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin"}
            rustup = Path(bindir).parent.parent / ".rustup"
            if bindir == "/root/.cargo/bin" and os.access(rustup, os.R_OK):
                env["RUSTUP_HOME"] = str(rustup)
            return env
    return None


def test_cargo_build_writes_its_home(sb, home):
    env = cargo_env()
    if env is None:
        pytest.skip("cargo is not installed for this user")
    (sb.project / "src").mkdir()
    (sb.project / "Cargo.toml").write_text('[package]\nname = "tiny"\nversion = "0.1.0"\n'
                                          'edition = "2021"\n')
    (sb.project / "src" / "main.rs").write_text('fn main() { println!("tiny-ok"); }\n')
    before = home_snapshot(home, sb.project)
    r = sb.exec(["cargo", "run", "--offline", "-q"], env=env, timeout=180)
    assert r.rc == 0, r
    assert "tiny-ok" in r.out, r
    assert r.denials == [], r
    assert home_snapshot(home, sb.project) == before
    assert (layer_upper(home, sb.project) / ".cargo").is_dir()


def test_go_build_writes_its_caches(sb, home):
    if shutil.which("go", path="/usr/local/go/bin:/usr/local/bin:/usr/bin:/bin") is None:
        pytest.skip("go is not installed")
    (sb.project / "go.mod").write_text("module tiny\n\ngo 1.19\n")
    (sb.project / "main.go").write_text('package main\nimport "fmt"\n'
                                       'func main() { fmt.Println("go-ok") }\n')
    before = home_snapshot(home, sb.project)
    r = sb.exec(["go", "run", "."], env={"PATH": "/usr/local/go/bin:/usr/bin:/bin"},
                timeout=180)
    assert r.rc == 0 and "go-ok" in r.out, r
    assert home_snapshot(home, sb.project) == before


def test_shell_and_repl_histories_are_kept_inside_only(sb, home):
    host_history = (home / ".bash_history").read_text()
    assert host_history.startswith(SECRET_PREFIX)
    r = sb.exec(["bash", "-i"], input="echo bash-hist-marker\nexit\n")
    assert r.rc == 0, r
    if shutil.which("script", path="/usr/bin:/bin") is not None:
        r = sb.exec(["script", "-qc", "python3 -i", "/dev/null"],
                    input="print('py-' + 'hist-marker')\nexit()\n", timeout=60)
        assert r.rc == 0, r
    r = sb.sh("cat ~/.bash_history; cat ~/.python_history 2>/dev/null; exit 0")
    assert "echo bash-hist-marker" in r.out, r
    assert SECRET_PREFIX not in r.out, r
    if shutil.which("script", path="/usr/bin:/bin") is not None:
        assert "hist-marker" in (layer_upper(home, sb.project) / ".python_history").read_text()
        assert not (home / ".python_history").exists()
    assert (home / ".bash_history").read_text() == host_history
