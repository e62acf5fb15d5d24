"""Fixtures and helpers for paddock's integration and adversarial suite.

Every test starts real sandboxes with the paddock binary named by $PADDOCK_BIN and checks, from the
host side, what did or did not happen. The suite is copied before it runs (scripts/test.sh), so it
imports nothing from the repository.

Environment:
  PADDOCK_BIN      the paddock binary (required)
  PADDOCK_PROBES   directory holding the probe_* binaries built from tests/probes/
  PADDOCK_TEST_AS  "root" or the unprivileged user name (informational; os.geteuid() decides)
  PADDOCK_TEST_BASE  where fake homes and "outside" host directories are made. Default:
                   <real home of this uid>/.cache/paddock-it. It must not be under /tmp or /var/tmp:
                   the sandbox replaces both with private tmpfs, so files there are not visible inside.
"""

import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from netutil import wait_for

TIMEOUT = 30  # seconds, for every subprocess
HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IS_ROOT = os.geteuid() == 0
TEST_AS = os.environ.get("PADDOCK_TEST_AS", "root" if IS_ROOT else pwd.getpwuid(os.geteuid()).pw_name)

# Planted secrets: path under the fake HOME -> the credential store (top-level entry) that hides it.
SECRET_FILES = [
    ".ssh/id_rsa",
    ".ssh/id_ed25519",
    ".aws/credentials",
    ".netrc",
    ".git-credentials",
    ".config/gcloud/x",
    ".config/gcloud/application_default_credentials.json",
    ".gnupg/private-keys-v1.d/key.key",
    ".docker/config.json",
    ".kube/config",
    ".npmrc",
    ".pypirc",
    ".config/gh/hosts.yml",
    ".vault-token",
    ".password-store/bank.gpg",
    ".mozilla/firefox/p.default/cookies.sqlite",
    ".bash_history",
    ".cargo/credentials.toml",
    ".claude/.credentials.json",
    # agents, ML hubs and infrastructure tools (issue 8)
    ".claude.json",
    ".codex/auth.json",
    ".gemini/oauth_creds.json",
    ".qwen/oauth_creds.json",
    ".config/github-copilot/apps.json",
    ".local/share/opencode/auth.json",
    ".local/share/amp/secrets.json",
    ".cache/huggingface/token",
    ".kaggle/kaggle.json",
    ".pulumi/credentials.json",
    ".terraform.d/credentials.tfrc.json",
    ".config/op/config",
    ".config/hub",
    ".config/sops/age/keys.txt",
]
# Directories of which only some entries are stores: they stay listed.
PARTIAL_DIRS = {".config", ".cargo", ".claude", ".codex", ".gemini", ".qwen", ".local", ".cache",
                ".kaggle", ".pulumi", ".terraform.d"}
# Names that must not be listed by `ls -A ~` (entries directly in HOME).
SECRET_TOP_LEVEL = sorted({p.split("/")[0] for p in SECRET_FILES
                           if p.split("/")[0] not in PARTIAL_DIRS})
# Entries of ~/.config that must not be listed.
SECRET_IN_CONFIG = sorted({p.split("/")[1] for p in SECRET_FILES if p.startswith(".config/")
                           and not p.startswith(".config/sops/")})  # only sops/age is a store
SECRET_PREFIX = "PADDOCK-PLANTED-SECRET"

BASHRC_ORIGINAL = "# host bashrc: original\nexport PS1='$ '\n"

# paddock's state directory under a home (XDG_STATE_HOME unset): the home layers live there.
STATE_REL = ".local/state/paddock"


def _base_dir() -> Path:
    base = os.environ.get("PADDOCK_TEST_BASE")
    if not base:
        base = os.path.join(pwd.getpwuid(os.geteuid()).pw_dir, ".cache", "paddock-it")
    p = Path(base)
    p.mkdir(parents=True, exist_ok=True)
    rp = p.resolve()
    for special in ("/tmp", "/var/tmp"):
        if str(rp) == special or str(rp).startswith(special + "/"):
            raise pytest.UsageError(f"PADDOCK_TEST_BASE={rp} is under {special}: not visible inside")
    return rp


def _rmtree(p: Path):
    if not p.exists() and not p.is_symlink():
        return
    # overlayfs leaves its work directories mode 000 in home layers; chmod fixes a directory
    # before it descends into it.
    if p.is_dir() and not p.is_symlink():
        subprocess.run(["chmod", "-R", "u+rwX", str(p)], capture_output=True, timeout=TIMEOUT)

    def onerror(func, path, _exc):
        try:
            os.chmod(os.path.dirname(path), 0o700)
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, 0o700)
            func(path)
        except OSError:
            pass

    shutil.rmtree(p, onerror=onerror)


# ---------------------------------------------------------------------------------------------
# results and the sandbox wrapper


class Result:
    def __init__(self, argv, rc, out, err):
        self.argv = argv
        self.rc = rc
        self.out = out
        self.err = err

    def __repr__(self):
        return (f"Result(rc={self.rc}, argv={self.argv!r},\n  stdout={self.out!r},\n"
                f"  stderr={self.err!r})")

    @property
    def denials(self):
        text = self.err if isinstance(self.err, str) else self.err.decode(errors="replace")
        return [l for l in text.splitlines() if l.startswith("paddock: denied")]


def host_env(home: Path, extra=None):
    env = {
        "PATH": HOST_PATH,
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "USER": pwd.getpwuid(os.geteuid()).pw_name,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Paddock Test",
        "GIT_AUTHOR_EMAIL": "test@paddock.invalid",
        "GIT_COMMITTER_NAME": "Paddock Test",
        "GIT_COMMITTER_EMAIL": "test@paddock.invalid",
        "TERM": "dumb",
    }
    if extra:
        env.update(extra)
    return env


class Sandbox:
    """Runs paddock with a fake HOME and the project as cwd."""

    def __init__(self, binary: str, home: Path, project: Path):
        self.binary = binary
        self.home = home
        self.project = project

    def env(self, extra=None):
        return host_env(self.home, extra)

    def argv(self, args, flags=()):
        return [self.binary, "run", *flags, *args]

    def run(self, args, flags=(), cwd=None, input=None, timeout=TIMEOUT, env=None, text=True):
        argv = self.argv(args, flags)
        if input is not None and text and isinstance(input, bytes):
            text = False
        p = subprocess.run(argv, cwd=str(cwd or self.project), input=input,
                           stdin=None if input is not None else subprocess.DEVNULL,
                           capture_output=True, timeout=timeout, env=self.env(env), text=text)
        return Result(argv, p.returncode, p.stdout, p.stderr)

    def sh(self, cmd, flags=(), **kw):
        """paddock run [flags] -c CMD"""
        return self.run(["-c", cmd], flags=flags, **kw)

    def exec(self, argv, flags=(), **kw):
        """paddock run [flags] -- ARGV"""
        return self.run(["--", *argv], flags=flags, **kw)

    def popen(self, args, flags=(), cwd=None, env=None, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        return subprocess.Popen(self.argv(args, flags), cwd=str(cwd or self.project),
                                env=self.env(env), **kw)

    def host_sh(self, cmd, cwd=None, timeout=TIMEOUT, env=None):
        """The same shell command run directly on the host (positive controls)."""
        p = subprocess.run(["/bin/bash", "-c", cmd], cwd=str(cwd or self.project), timeout=timeout,
                           capture_output=True, text=True, env=self.env(env),
                           stdin=subprocess.DEVNULL)
        return Result(["bash", "-c", cmd], p.returncode, p.stdout, p.stderr)

    def git(self, *args, cwd=None, check=True):
        """git on the host."""
        p = subprocess.run(["git", *args], cwd=str(cwd or self.project), timeout=TIMEOUT,
                           capture_output=True, text=True, env=self.env(),
                           stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise AssertionError(f"host git {args} failed: {p.stdout}\n{p.stderr}")
        return p


# ---------------------------------------------------------------------------------------------
# host-side inspection helpers


def file_digest(p: Path):
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return ("link", os.readlink(p))
    if stat.S_ISDIR(st.st_mode):
        return ("dir", stat.S_IMODE(st.st_mode), st.st_mtime_ns)
    try:
        xattrs = tuple(sorted((n, os.getxattr(p, n, follow_symlinks=False))
                              for n in os.listxattr(p, follow_symlinks=False)))
    except OSError:
        xattrs = ()
    if stat.S_ISREG(st.st_mode):
        return ("file", stat.S_IMODE(st.st_mode), st.st_mtime_ns, st.st_nlink, xattrs,
                hashlib.sha256(p.read_bytes()).hexdigest())
    return ("other", stat.S_IFMT(st.st_mode), xattrs)


def snapshot(root: Path, exclude=()):
    """Everything under root: relative path -> (kind, mode, content hash). exclude: absolute
    paths whose subtrees are skipped."""
    root = Path(root)
    exclude = [str(Path(e)) for e in exclude]
    snap = {}
    if not root.exists():
        return snap
    for dirpath, dirnames, filenames in os.walk(root):
        keep = []
        for d in dirnames:
            full = os.path.join(dirpath, d)
            if any(full == e or full.startswith(e + "/") for e in exclude):
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in keep + filenames:
            full = Path(dirpath) / name
            if any(str(full) == e for e in exclude):
                continue
            snap[str(full.relative_to(root))] = file_digest(full)
    snap["."] = file_digest(root)
    return snap


def state_dir(home: Path) -> Path:
    return Path(home) / STATE_REL


def layer_store(home: Path, project: Path) -> Path:
    """The home layer of `project` (sandboxes run from that directory): upper/ holds what they
    wrote beneath the home. Named by SHA-256 of the project's canonical path."""
    digest = hashlib.sha256(os.path.realpath(project).encode()).hexdigest()[:32]
    return state_dir(home) / "homes" / digest


def layer_upper(home: Path, project: Path) -> Path:
    return layer_store(home, project) / "upper"


def home_snapshot(home: Path, project: Path):
    """snapshot() of a home, without the project and without paddock's own state (where the home
    layer takes the sandbox's writes). The home fixture makes ~/.local/state beforehand, as
    every XDG desktop has it, so paddock making its directory there changes no parent."""
    return snapshot(home, exclude=[project, Path(home) / ".local" / "state"])


def diff_snapshots(before, after):
    out = []
    for k in sorted(set(before) | set(after)):
        if before.get(k) != after.get(k):
            out.append(f"{k}: {before.get(k)} -> {after.get(k)}")
    return out


def descendants(pid):
    """Host pids of every descendant of `pid` (children of each of its threads, recursively)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    kids = [int(x) for x in f.read().split()]
                out += kids
                todo += kids
        except OSError:
            pass
    return out


def pids_with_argv0(marker: str):
    """Host pids whose argv[0] is exactly marker."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv0 = f.read().split(b"\0")[0]
        except OSError:
            continue
        if argv0 == marker.encode():
            found.append(int(d))
    return found


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return False


def wait_until(pred, timeout=10.0, interval=0.05):
    # The one polling loop is netutil's (it must also work inside the sandbox, without conftest).
    return wait_for(pred, timeout, interval)


def unique(tag="m"):
    return f"paddock-it-{tag}-{secrets.token_hex(6)}"


def parse_json_lines(text):
    return {o["call"]: o for o in (json.loads(l) for l in text.splitlines() if l.startswith("{"))}


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="session")
def paddock():
    b = os.environ.get("PADDOCK_BIN")
    if not b or not os.access(b, os.X_OK):
        pytest.exit("PADDOCK_BIN must name the paddock binary", returncode=4)
    return b


@pytest.fixture(scope="session")
def probes_dir():
    d = os.environ.get("PADDOCK_PROBES")
    if not d:
        b = os.environ.get("PADDOCK_BIN", "")
        d = os.path.join(os.path.dirname(b), "tests", "probes")
    return Path(d)


@pytest.fixture(scope="session")
def visible_probes(probes_dir, base_dir):
    """The probes copied to a host directory the sandbox can see: $PADDOCK_PROBES usually lies
    under /tmp, which the sandbox replaces with its own tmpfs."""
    d = Path(tempfile.mkdtemp(prefix="probes-", dir=base_dir))
    os.chmod(d, 0o755)
    if probes_dir.is_dir():
        for f in probes_dir.iterdir():
            if f.name.startswith("probe_") and f.is_file():
                shutil.copy2(f, d / f.name)
                os.chmod(d / f.name, 0o755)
    yield d
    _rmtree(d)


@pytest.fixture
def probe(visible_probes):
    def get(name):
        p = visible_probes / f"probe_{name}"
        assert p.is_file() and os.access(p, os.X_OK), f"probe binary missing: {p}"
        return str(p)
    return get


@pytest.fixture(scope="session")
def base_dir():
    # A directory of this run's own under the shared base: concurrent runs (several engineers,
    # or both users at once) never remove each other's parent.
    d = Path(tempfile.mkdtemp(prefix="run-", dir=_base_dir()))
    os.chmod(d, 0o755)
    yield d
    _rmtree(d)


@pytest.fixture
def scratch(base_dir):
    """A per-test host directory outside /tmp and /var/tmp (visible read-only in the sandbox)."""
    d = Path(tempfile.mkdtemp(prefix="t-", dir=base_dir))
    os.chmod(d, 0o755)
    yield d
    _rmtree(d)


@pytest.fixture
def home(scratch):
    """A fake HOME with planted secrets and ordinary (readable) dotfiles."""
    h = scratch / "home"
    h.mkdir()
    for rel in SECRET_FILES:
        p = h / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"{SECRET_PREFIX} {rel} {secrets.token_hex(8)}\n")
    os.chmod(h / ".ssh", 0o700)
    os.chmod(h / ".ssh/id_rsa", 0o600)
    (h / ".bashrc").write_text(BASHRC_ORIGINAL)
    (h / ".profile").write_text("# host profile\n")
    (h / ".gitconfig").write_text(
        "[user]\n\tname = Paddock Test\n\temail = test@paddock.invalid\n"
        "[init]\n\tdefaultBranch = main\n[safe]\n\tdirectory = *\n")
    (h / ".config" / "ordinary").mkdir(parents=True)
    (h / ".config" / "ordinary" / "ok.txt").write_text("ordinary readable config\n")
    (h / ".aws" / "config").write_text("[default]\nregion = eu-west-1\n")
    (h / ".local" / "state").mkdir(parents=True, exist_ok=True)
    return h


@pytest.fixture
def outside(scratch):
    """A host directory outside the project and HOME, with one existing file."""
    d = scratch / "outside"
    d.mkdir()
    (d / "existing.txt").write_text("original outside content\n")
    return d


@pytest.fixture(params=["tmp", "home"])
def project(request, home, tmp_path):
    """The project (the sandbox's cwd): under /tmp (a) or under the fake HOME (b)."""
    if request.param == "tmp":
        p = tmp_path / "proj"
    else:
        p = home / "src" / "proj"
    p.mkdir(parents=True)
    (p / "README.md").write_text("project readme\n")
    return p


@pytest.fixture
def sb(paddock, home, project):
    return Sandbox(paddock, home, project)


def init_repo(sb: Sandbox, path: Path, commit=True):
    """git init on the host, with one commit."""
    path.mkdir(parents=True, exist_ok=True)
    sb.git("init", "-q", "-b", "main", str(path))
    (path / "file.txt").write_text("hello\n")
    if commit:
        sb.git("add", "file.txt", cwd=path)
        sb.git("commit", "-q", "-m", "initial", cwd=path)
    return path


@pytest.fixture
def repo(sb):
    """The project as a git repository created on the host."""
    init_repo(sb, sb.project)
    return sb.project


# ---------------------------------------------------------------------------------------------
# the protected-path oracle (DESIGN 4), re-implemented on the host side

# The built-in names of src/policy/protected_names.cc, kept here as a second copy: the oracle must
# not ask paddock what it protects (test_protected.py checks that the two lists agree). A name is
# components separated by '/', matched against consecutive components at any depth; '*' matches
# any run of characters within one component.
PROTECTED_NAMES = [
    # bash, zsh, sh, csh, ksh
    ".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".bash_aliases", ".profile",
    ".zshrc", ".zshenv", ".zprofile", ".zlogin", ".zlogout", ".cshrc", ".tcshrc", ".login",
    ".kshrc", ".mkshrc",
    # bash-completion, oh-my-zsh, zsh with ZDOTDIR
    ".bash_completion", ".local/share/bash-completion", ".oh-my-zsh", ".config/zsh",
    # readline
    ".inputrc",
    # fish
    ".config/fish", ".local/share/fish/vendor_conf.d", ".local/share/fish/vendor_functions.d",
    ".local/share/fish/vendor_completions.d",
    # nushell, PowerShell, xonsh
    ".config/nushell", ".config/powershell", ".xonshrc", ".config/xonsh",
    # starship
    ".config/starship.toml",
    # tmux, screen, terminal emulators
    ".tmux.conf", ".config/tmux", ".screenrc", ".wezterm.lua", ".config/wezterm", ".config/kitty",
    ".config/alacritty",
    # desktop session, systemd --user
    ".xprofile", ".xinitrc", ".xsession", ".xsessionrc", ".pam_environment", ".config/autostart",
    ".config/plasma-workspace/env", ".config/plasma-workspace/shutdown", ".config/environment.d",
    ".config/systemd/user", ".local/share/systemd/user", ".config/i3", ".config/sway",
    ".config/hypr",
    # git (a repository's config, hooks, .gitmodules and todo lists are judged by the git rules,
    # wherever a repository is: test_git_*.py)
    ".gitconfig", ".config/git/config",
    # git hook managers (husky, pre-commit, prek, lefthook, overcommit, hk)
    ".husky", ".pre-commit-config.yaml", ".pre-commit-config.yml", "prek.toml", "lefthook.yml",
    ".lefthook.yml", "lefthook.yaml", ".lefthook.yaml", "lefthook.toml", ".lefthook.toml",
    "lefthook.json", ".lefthook.json", "lefthook.jsonc", ".lefthook.jsonc", ".config/lefthook.yml",
    ".config/lefthook.yaml", ".config/lefthook.toml", ".config/lefthook.json",
    ".config/lefthook.jsonc", "lefthook-local.yml", ".lefthook-local.yml", "lefthook-local.yaml",
    ".lefthook-local.yaml", "lefthook-local.toml", ".lefthook-local.toml", "lefthook-local.json",
    ".lefthook-local.json", "lefthook-local.jsonc", ".lefthook-local.jsonc",
    ".config/lefthook-local.yml", ".config/lefthook-local.yaml", ".config/lefthook-local.toml",
    ".config/lefthook-local.json", ".config/lefthook-local.jsonc", ".lefthook", ".lefthook-local",
    ".overcommit.yml", ".git-hooks", "hk.pkl",
    # direnv
    ".envrc", ".config/direnv", ".local/share/direnv",
    # mise
    "mise.toml", ".mise.toml", "mise.*.toml", ".mise.*.toml", "mise/config.toml", ".mise",
    ".config/mise.toml", ".config/mise", ".miserc.toml", ".local/state/mise",
    # Python
    ".local/lib/python*/site-packages",
    # VS Code and its forks
    ".vscode", "*.code-workspace", ".vscode-server", ".config/Code/User",
    ".config/Code - OSS/User", ".config/VSCodium/User",
    # Dev Containers
    ".devcontainer", ".devcontainer.json",
    # JetBrains IDEs
    ".idea", ".config/JetBrains", ".local/share/JetBrains",
    # Zed
    ".zed", ".config/zed",
    # Helix
    ".helix", ".config/helix",
    # Vim and Neovim
    ".exrc", "_exrc", ".vimrc", "_vimrc", ".gvimrc", "_gvimrc", ".nvimrc", ".nvim.lua", ".vim",
    ".config/vim", ".config/nvim", ".local/share/nvim",
    # Emacs
    ".dir-locals.el", ".dir-locals-2.el", ".emacs", ".emacs.el", ".emacs.d", ".config/emacs",
    # Sublime Text
    ".config/sublime-text",
    # MCP clients (Claude Code, Claude Desktop)
    ".mcp.json", ".config/Claude",
    # Claude Code
    ".claude/settings.json", ".claude/settings.local.json", ".claude/commands", ".claude/agents",
    ".claude/hooks", ".claude/skills", ".claude/plugins",
    # Cursor
    ".cursor", ".config/Cursor/User",
    # Gemini CLI
    ".gemini/settings.json", ".gemini/extensions", ".gemini/commands",
    # Qwen Code
    ".qwen/settings.json", ".qwen/commands",
    # Codex
    ".codex",
    # GitHub Copilot
    ".github/hooks", ".copilot",
    # Windsurf
    ".windsurf", ".codeium/windsurf",
    # Cline
    ".clinerules", ".cline",
    # Roo Code, Kilo Code
    ".roo", ".kilocode",
    # Kiro
    ".kiro",
    # OpenCode
    "opencode.json", "opencode.jsonc", ".opencode", ".config/opencode",
    # Amazon Q Developer
    ".amazonq",
    # Continue
    ".continue",
    # Crush
    "crush.json", ".crush.json", ".config/crush",
    # Goose
    ".config/goose",
    # Amp
    ".config/amp",
    # Aider
    ".aider.conf.yml",
    # Junie
    ".junie",
]
GIT_CONTROL = {"hooks", "config", "config.worktree"}


def _name_pattern(name):
    return [re.compile("".join("[^/]*" if ch == "*" else re.escape(ch) for ch in c) + r"\Z")
            for c in name.split("/")]


_PATTERNS = [_name_pattern(n) for n in PROTECTED_NAMES]


def is_protected_rel(rel: str, extra_names=()) -> bool:
    comps = [c for c in rel.split("/") if c and c != "."]
    patterns = _PATTERNS + [_name_pattern(n) for n in extra_names]
    for i, c in enumerate(comps):
        for pat in patterns:
            if len(pat) <= len(comps) - i and all(p.match(comps[i + k]) for k, p in enumerate(pat)):
                return True
        if c == ".git" and i + 1 < len(comps):
            nxt = comps[i + 1]
            if nxt in GIT_CONTROL:
                return True
            if nxt == "worktrees" and i + 3 < len(comps) and comps[i + 3] in GIT_CONTROL:
                return True
            if nxt == "modules" and any(x in GIT_CONTROL for x in comps[i + 3:]):
                return True
    return False


def protected_state(root: Path, extra_names=()):
    """Digest of every existing protected path under root (hooks dirs recursively)."""
    root = Path(root)
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = Path(dirpath) / name
            rel = str(full.relative_to(root))
            if is_protected_rel(rel, extra_names):
                state[rel] = file_digest(full)
    return state


def git_dirs_state(root: Path):
    """Every .git entry (dir, file or symlink) under root, with its kind: creating, moving or
    replacing one changes which hooks and config host git uses."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            if name == ".git":
                full = Path(dirpath) / name
                if full.is_symlink():
                    kind = ("link", os.readlink(full))
                elif full.is_dir():
                    kind = ("dir",)
                else:
                    kind = ("file", full.read_bytes())
                out[str(full.relative_to(root))] = kind
        dirnames[:] = [d for d in dirnames if d != ".git"]
    return out
