"""Overlay masks kept between runs (walls/mask_cache.h): a run mounts the mask an earlier run
kept, but only one that is exactly what its own policy makes; one changed on the host is never
mounted, and the credential stores it should hide stay absent. The cache itself is absent
inside."""

import os
import stat
from pathlib import Path

import pytest

from conftest import SECRET_PREFIX


@pytest.fixture
def xdg(scratch):
    d = scratch / "run"
    d.mkdir(mode=0o700)
    os.chmod(d, 0o700)
    return d


def env_of(xdg):
    return {"XDG_RUNTIME_DIR": str(xdg)}


def cache_of(xdg):
    return xdg / "paddock" / "masks"


def home_mask(xdg):
    """The kept mask that hides the home's credential stores."""
    found = [m for m in cache_of(xdg).glob("*/mask") if os.path.lexists(m / ".ssh")]
    assert len(found) == 1, list(cache_of(xdg).iterdir())
    return found[0]


def lower_layers(r):
    return [f.split("=", 1)[1] for line in r.out.splitlines() for f in line.split(",")
            if f.startswith("lowerdir=")]


SHOW = "grep -o 'lowerdir=[^,]*' /proc/self/mountinfo; cat ~/.aws/credentials ~/.ssh/id_rsa; true"


def warm_up(sb, xdg):
    """Two runs: the first one in a home makes paddock's state directory there, so its walls
    (kept for the next run) differ from the second one's, which the third run then has."""
    for _ in range(2):
        r = sb.sh(SHOW, env=env_of(xdg))
        assert r.rc == 0 and SECRET_PREFIX not in r.out, r
    return r


def test_the_next_run_mounts_the_mask_the_run_before_kept(sb, xdg):
    first = warm_up(sb, xdg)
    # That run made its masks in its own tmpfs, and kept them while its command ran.
    assert any(l.startswith("/masks/") for l in lower_layers(first)), first.out
    mask = home_mask(xdg)
    st = os.lstat(mask / ".aws")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
    second = sb.sh(SHOW, env=env_of(xdg))
    assert second.rc == 0 and SECRET_PREFIX not in second.out, second
    assert "No such file" in second.err, second
    # The home's overlay reads the kept mask (where the host's tree is while the view is built).
    kept = [l for l in lower_layers(second) if l.startswith(f"/oldroot{cache_of(xdg)}/")]
    assert kept and any(l.startswith(f"/oldroot{mask}:") for l in kept), second.out


def home_lower(sb):
    return f"/oldroot{sb.home}"


def tampered(mask, how):
    if how == "whiteout removed":
        os.unlink(mask / ".aws")
    elif how == "whiteout become a file":
        os.unlink(mask / ".ssh")
        (mask / ".ssh").write_text("not a whiteout\n")
    elif how == "whiteout of its own":
        os.unlink(mask / ".aws")
        os.mknod(mask / ".aws", stat.S_IFCHR, os.makedev(0, 0))
    elif how == "entry more":
        (mask / ".planted").write_text("planted by someone\n")


@pytest.mark.parametrize("how", ["whiteout removed", "whiteout become a file",
                                 "whiteout of its own", "entry more"])
def test_a_kept_mask_changed_on_the_host_is_never_mounted(sb, xdg, how):
    warm_up(sb, xdg)
    mask = home_mask(xdg)
    tampered(mask, how)
    r = sb.sh(SHOW + "; ls -a ~", env=env_of(xdg))
    assert r.rc == 0, r
    assert SECRET_PREFIX not in r.out and ".planted" not in r.out, r
    assert not any(l.startswith(f"/oldroot{cache_of(xdg)}/") and str(mask) in l
                   for l in lower_layers(r)), r.out
    assert any(l.startswith("/masks/") and home_lower(sb) in l for l in lower_layers(r)), r.out
    # Set aside (never changed in place: a running sandbox may have it mounted) and, held by
    # nobody, removed; the run kept a good one again, which the next run mounts.
    fresh = home_mask(xdg)
    assert stat.S_ISCHR(os.lstat(fresh / ".aws").st_mode), how
    assert stat.S_ISCHR(os.lstat(fresh / ".ssh").st_mode), how
    assert not os.path.lexists(fresh / ".planted")
    assert not any(p.name.startswith("stale-") for p in cache_of(xdg).iterdir())
    again = sb.sh(SHOW, env=env_of(xdg))
    assert again.rc == 0 and SECRET_PREFIX not in again.out, again
    assert any(l.startswith(f"/oldroot{fresh}:") for l in lower_layers(again)), again.out


def test_the_kept_masks_are_absent_inside(sb, xdg):
    assert sb.sh("true", env=env_of(xdg)).rc == 0
    assert cache_of(xdg).is_dir()
    r = sb.sh(f"ls -a {cache_of(xdg)} {xdg}/paddock; ls /tmp/paddock-{os.geteuid()}",
              env=env_of(xdg))
    assert "whiteout" not in r.out and "mask" not in r.out, r
    assert r.err.count("No such file") == 3, r.err


def test_no_mask_is_kept_where_an_overlay_would_refuse_it(sb, home):
    # $XDG_RUNTIME_DIR inside the home: beneath the home overlay's lower layer, where
    # overlayfs takes no other layer. Runs go on with masks of their own.
    run = home / "run"
    run.mkdir(mode=0o700)
    os.chmod(run, 0o700)
    for _ in range(3):
        r = sb.sh(SHOW, env=env_of(run))
        assert r.rc == 0 and SECRET_PREFIX not in r.out, r
        assert not any(f"{run}/" in l for l in lower_layers(r)), r.out
    assert not (run / "paddock" / "masks").exists()


def test_a_sandbox_that_may_write_the_runtime_directory_cannot_make_paddocks_there(sb, xdg):
    # Not made yet when the run starts: a directory the sandbox made there would be the user's
    # own, 0700 if it liked, and the next runs would keep their masks (and control sockets) in
    # it while that sandbox can still write there.
    assert not (xdg / "paddock").exists()
    r = sb.sh(f"mkdir {xdg}/paddock; echo mk=$?; mkdir -p {xdg}/paddock/masks; echo mk2=$?; "
              f"ln -s /tmp {xdg}/paddock; echo ln=$?; mkdir {xdg}/made && "
              f"mv {xdg}/made {xdg}/paddock; echo mv=$?; touch {xdg}/mine; echo mine=$?",
              env=env_of(xdg), flags=["--allow-write", str(xdg)])
    assert "mk=1" in r.out and "mk2=1" in r.out and "ln=1" in r.out and "mv=1" in r.out, r
    assert "mine=0" in r.out, r  # the rest of it is writable as asked
    assert not os.path.lexists(xdg / "paddock"), list(xdg.iterdir())
    # A run that may not write there keeps its masks there as usual.
    warm_up(sb, xdg)
    assert home_mask(xdg).is_dir()
    # Now that it exists, a sandbox that may write its parent sees it empty and cannot touch it.
    r = sb.sh(f"ls -A {xdg}/paddock; mkdir {xdg}/paddock/masks/planted; echo mk=$?; "
              f"mv {xdg}/paddock {xdg}/gone; echo mv=$?; rm -rf {xdg}/paddock; echo rm=$?",
              env=env_of(xdg), flags=["--allow-write", str(xdg)])
    assert "mk=1" in r.out and "mv=1" in r.out and "rm=1" in r.out, r
    assert "masks" not in r.out.split("mk=")[0], r
    assert not (cache_of(xdg) / "planted").exists() and home_mask(xdg).is_dir()


def test_a_sandbox_that_may_write_tmp_cannot_touch_paddocks_directory_there(sb):
    root = Path(f"/tmp/paddock-{os.geteuid()}")
    r = sb.sh(f"mkdir -p {root}/masks/planted; echo mk=$?; touch {root}/x; echo t=$?; "
              f"mv {root} /tmp/moved-{os.getpid()}; echo mv=$?",
              flags=["--allow-write", "/tmp"])
    assert "mk=1" in r.out and "t=1" in r.out and "mv=1" in r.out, r
    assert not (root / "masks" / "planted").exists() and not (root / "x").exists()
    assert not Path(f"/tmp/moved-{os.getpid()}").exists()
