"""The checked repository is left exactly as it was: work tree, index, every mtime, no temp files;
also when a run is interrupted."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hubguard.cli import main


def snapshot(root: Path) -> dict:
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + dirnames:
            path = Path(dirpath, name)
            st = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_symlink() else ""
            state[path.relative_to(root).as_posix()] = (st.st_mtime_ns, st.st_size, st.st_mode, digest)
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--ignored"], capture_output=True, text=True,
                            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"}).stdout
    return {"files": state, "status": status}


@pytest.mark.parametrize("extra", [[], ["--staged"], ["--format", "sarif"]])
def test_validate_changes_nothing(hostile_repo, capsys, extra, tmp_path, monkeypatch):
    root, _ = hostile_repo
    (root / "unstaged.yaml").write_text("a: [\n")  # untracked and modified content must survive too
    (root / "yaml/crlf.yaml").write_text("changed: true\n")
    subprocess.run(["git", "-C", str(root), "add", "yaml/crlf.yaml"], check=True)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    before = snapshot(root)
    code = main(["validate", str(root), *extra])
    capsys.readouterr()
    assert code in (0, 1)
    assert snapshot(root) == before
    assert list(tmp.iterdir()) == [], "temporary files left behind"


def kustomize_processes(under: Path) -> list[str]:
    """Command lines of the kustomize processes (anyone's children) that build something under `under`."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if "kustomize" in cmdline and any(str(under) in arg for arg in cmdline):
            found.append(" ".join(cmdline))
    return found


HUBS = 120  # one build at a time, so the run is still rendering for seconds when the signal arrives


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_exits_130_and_leaves_no_temp_files(make_repo, tmp_path, signum, code):
    """Ctrl-C, and SIGTERM as CI runners and pre-commit send it: the run ends (exit 130 / 143),
    kustomize builds under way end with it, and no temporary file is left."""
    # Many roots, so that the run is still rendering when the signal arrives.
    files = {f"clusters/h{i}/kustomization.yaml": "resources:\n- cm.yaml\n" for i in range(HUBS)}
    files.update({f"clusters/h{i}/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n" for i in range(HUBS)})
    root = make_repo(files)
    for i in range(HUBS):  # a staged change every hub reads: --staged renders the hubs a commit changes
        (root / f"clusters/h{i}/cm.yaml").write_text(files[f"clusters/h{i}/cm.yaml"] + "data: {a: b}\n")
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    before = snapshot(root)
    env = {**os.environ, "TMPDIR": str(tmp)}
    # --staged materialises the index in a temporary folder: the signal arrives while it exists
    # and kustomize builds run, and the folder must still be gone afterwards.
    proc = subprocess.Popen([sys.executable, "-m", "hubguard", "validate", "--staged", str(root), "--jobs", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(p.name.startswith("hubguard-staged-") for p in tmp.iterdir()):
        time.sleep(0.01)
    # Into the renders: a kustomize build under way (a fixed sleep raced the end of the run on a
    # quiet machine: a signal sent to a process that has just exited cannot interrupt it).
    while time.monotonic() < deadline and not kustomize_processes(tmp) and proc.poll() is None:
        time.sleep(0.005)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signum)  # to hubguard alone: a terminal's Ctrl-C would reach kustomize too
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err.decode()[-500:]
    assert b"Traceback" not in err
    assert kustomize_processes(tmp) == []
    assert list(tmp.iterdir()) == []
    assert snapshot(root) == before
