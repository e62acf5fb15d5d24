"""The sandboxes paddock is compared with, how to install them, and how each wraps a command.

Baselines: bare (no sandbox), `unshare -Urmpf --mount-proc`, bubblewrap
(`bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc`), Anthropic's sandbox-runtime (srt,
from npm into bench/.peers/srt) and gVisor (`runsc --rootless --network=none do`). A baseline that
cannot be installed or cannot run is skipped with the reason, never silently.
"""

import json
import os
import shutil
import subprocess
import sys

from common import CACHE, HERE, last_line, version_of

PEERS = os.path.join(HERE, ".peers")
SRT_DIR = os.path.join(PEERS, "srt")
SRT_BIN = os.path.join(SRT_DIR, "node_modules", ".bin", "srt")
SRT_PACKAGE = "@anthropic-ai/sandbox-runtime"
# Debian packages the baselines need: bubblewrap, gVisor, and what srt needs on Linux (its
# README: bubblewrap, socat, ripgrep; node >= 20.11 and npm to install it), plus the tools the
# figures run (curl, g++).
APT_PACKAGES = {"bwrap": "bubblewrap", "runsc": "runsc", "socat": "socat", "rg": "ripgrep",
                "curl": "curl", "g++": "g++", "unshare": "util-linux", "npm": "npm",
                "node": "nodejs"}

BWRAP = ["bwrap", "--unshare-all", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
UNSHARE = ["unshare", "-Urmpf", "--mount-proc"]
# The same plus a network namespace: the floor for any sandbox that has a network wall.
UNSHARE_NET = ["unshare", "-Urmpfn", "--mount-proc"]
RUNSC_FLAGS = [["--rootless", "--network=none"],
               ["--rootless", "--network=none", "--platform=ptrace"],
               ["--rootless", "--network=none", "--platform=ptrace", "--ignore-cgroups"]]


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def apt_install(missing_tools, notes):
    """Installs the Debian packages for the missing tools when root; returns nothing, notes why
    not otherwise."""
    pkgs = sorted({APT_PACKAGES[t] for t in missing_tools if t in APT_PACKAGES})
    if not pkgs:
        return
    if os.geteuid() != 0:
        notes.append(f"not root: did not install {' '.join(pkgs)}")
        return
    if shutil.which("apt-get") is None:
        notes.append(f"no apt-get: did not install {' '.join(pkgs)}")
        return
    log(f"installing {' '.join(pkgs)} (apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    # One package at a time, so one that Debian lacks does not block the others.
    for pkg in pkgs:
        p = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", pkg],
                           env=env, capture_output=True, text=True, check=False)
        if p.returncode != 0:
            notes.append(f"apt-get install {pkg} failed: {last_line(p.stderr, p.returncode)}")


def npm_install_srt(notes):
    if os.path.exists(SRT_BIN):
        return
    if shutil.which("npm") is None:
        notes.append("npm not installed: cannot install srt")
        return
    log(f"installing {SRT_PACKAGE} into {os.path.relpath(SRT_DIR)} (npm)")
    os.makedirs(SRT_DIR, exist_ok=True)
    p = subprocess.run(["npm", "install", "--prefix", SRT_DIR, "--no-audit", "--no-fund",
                        "--loglevel=error", SRT_PACKAGE], capture_output=True, text=True,
                       check=False)
    if p.returncode != 0:
        notes.append(f"npm install {SRT_PACKAGE} failed: {last_line(p.stderr, p.returncode)}")


def install(no_install=False):
    """Installs what the baselines need; returns notes about what could not be installed."""
    notes = []
    missing = [t for t in APT_PACKAGES if shutil.which(t) is None]
    if missing and not no_install:
        apt_install(missing, notes)
    elif missing:
        notes.append(f"--no-install: missing {' '.join(missing)}")
    if not no_install:
        npm_install_srt(notes)
    return notes


class Sandbox:
    """How one sandbox wraps argv. `skip` holds the reason it cannot run (None when it can)."""

    def __init__(self, key, label, prefix, version=None, skip=None, env=None):
        self.key, self.label, self.prefix = key, label, prefix
        self.version, self.skip, self.env = version, skip, env

    def wrap(self, argv, settings=None):
        if self.key == "srt":
            s = settings or srt_settings(["example.com"])
            return [SRT_BIN, "--settings", s, "--"] + argv
        if self.key == "paddock" and settings:
            return self.prefix[:2] + ["--settings", settings] + self.prefix[2:] + argv
        return self.prefix + argv


def probe(argv, env=None, cwd=None):
    """None when argv runs and exits 0, else the reason."""
    try:
        p = subprocess.run(argv, capture_output=True, env=env, cwd=cwd, timeout=120,
                           stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    if p.returncode != 0:
        return f"`{' '.join(argv)}` exited {p.returncode}: {last_line(p.stderr or p.stdout, p.returncode)}"
    return None


def srt_settings(domains, name=None):
    """An srt settings file allowing `domains` (and nothing else); returns its path."""
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, name or f"srt-{'-'.join(domains) or 'none'}.json")
    with open(path, "w") as f:
        json.dump({"network": {"allowedDomains": domains, "deniedDomains": []},
                   "filesystem": {"denyRead": [], "allowRead": [], "allowWrite": [],
                                  "denyWrite": []}}, f)
    return path


SRT_TMP = os.path.join(CACHE, "srt-tmp")


def srt_env():
    """The environment for srt: its own TMPDIR under the bench cache. srt leaves a socket
    (srt-mux-PID-0.sock) in the temporary directory at every run; the bench must not litter the
    host's /tmp with thousands of them (remove_srt_litter() empties it at the end)."""
    remove_srt_litter()
    os.makedirs(SRT_TMP, mode=0o700, exist_ok=True)
    return dict(os.environ, TMPDIR=SRT_TMP)


def remove_srt_litter():
    shutil.rmtree(SRT_TMP, ignore_errors=True)


def paddock_env():
    """The environment for paddock: no user settings file, so the built-in defaults apply."""
    xdg = os.path.join(CACHE, "xdg-empty")
    os.makedirs(xdg, exist_ok=True)
    return dict(os.environ, XDG_CONFIG_HOME=xdg)


def detect(paddock, cwd):
    """Every sandbox, probed with /bin/true in cwd; keyed by short name, in display order."""
    out = {}
    penv = paddock_env()
    out["paddock"] = Sandbox("paddock", "paddock run --", [paddock, "run", "--quiet", "--"],
                             version=version_of([paddock, "--version"]), env=penv)
    out["paddock"].skip = probe(out["paddock"].wrap(["/bin/true"]), env=penv, cwd=cwd)
    out["bare"] = Sandbox("bare", "bare", [], version="-")

    if shutil.which("unshare"):
        s = Sandbox("unshare", "unshare -Urmpf --mount-proc", UNSHARE,
                    version=version_of(["unshare", "--version"]))
        s.skip = probe(s.wrap(["/bin/true"]), cwd=cwd)
    else:
        s = Sandbox("unshare", "unshare -Urmpf --mount-proc", UNSHARE, skip="unshare not installed")
    out["unshare"] = s
    label = "unshare -Urmpfn --mount-proc (+ net namespace)"
    s = Sandbox("unshare_net", label, UNSHARE_NET, version=out["unshare"].version,
                skip=out["unshare"].skip)
    if s.skip is None:
        s.skip = probe(s.wrap(["/bin/true"]), cwd=cwd)
    out["unshare_net"] = s

    label = "bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc"
    if shutil.which("bwrap"):
        s = Sandbox("bwrap", label, BWRAP, version=version_of(["bwrap", "--version"]))
        s.skip = probe(s.wrap(["/bin/true"]), cwd=cwd)
    else:
        s = Sandbox("bwrap", label, BWRAP, skip="bwrap not installed (Debian package bubblewrap)")
    out["bwrap"] = s

    label = "srt (one allowed domain)"
    if not os.path.exists(SRT_BIN):
        s = Sandbox("srt", label, [], skip=f"srt not installed ({SRT_PACKAGE} from npm)")
    elif shutil.which("node") is None:
        s = Sandbox("srt", label, [], skip="node not installed")
    else:
        ver = version_of([SRT_BIN, "--version"])
        s = Sandbox("srt", label, [], version=f"srt {ver}, node {version_of(['node', '--version'])}",
                    env=srt_env())
        s.skip = probe(s.wrap(["/bin/true"]), env=s.env, cwd=cwd)
    out["srt"] = s

    if shutil.which("runsc"):
        ver = version_of(["runsc", "--version"])
        reasons = []
        for flags in RUNSC_FLAGS:
            s = Sandbox("runsc", "runsc " + " ".join(flags) + " do", ["runsc"] + flags + ["do"],
                        version=ver)
            why = probe(s.wrap(["/bin/true"]), cwd=cwd)
            if why is None:
                break
            reasons.append(why)
        else:
            s = Sandbox("runsc", "runsc --rootless --network=none do", RUNSC_FLAGS[0],
                        version=ver, skip="; ".join(reasons))
    else:
        s = Sandbox("runsc", "runsc --rootless --network=none do", [],
                    skip="runsc not installed (Debian package runsc)")
    out["runsc"] = s
    return out
