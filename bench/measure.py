"""Timing whole processes: wall time, CPU time and peak memory, medians over runs.

Each run is started as its own process group and reaped with `os.wait4`, which returns the same
resource usage GNU `/usr/bin/time -v` prints (it calls wait4 too): user and system CPU time of the
process and every descendant it waited for, and the peak resident set size of the largest single
process in that tree (for hubguard: its Python process; kubectl children are smaller).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

DEFAULT_TIMEOUT = 900.0


@dataclass
class Run:
    wall: float
    cpu: float  # user + system, the process tree
    rss_mb: float  # peak RSS of the largest process of the tree
    exit_code: int


@dataclass
class Measurement:
    name: str
    command: list[str]
    runs: list[Run] = field(default_factory=list)
    output: str | None = None  # where the last run's stdout was saved
    note: str | None = None

    @property
    def ok(self) -> bool:
        """Every run finished (exit codes 0 and 1 both mean "checked"; killed runs are negative)."""
        return bool(self.runs) and all(r.exit_code >= 0 for r in self.runs)

    @property
    def wall(self) -> float | None:
        return statistics.median(r.wall for r in self.runs) if self.runs else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(r.cpu for r in self.runs) if self.runs else None

    @property
    def rss_mb(self) -> float | None:
        return max(r.rss_mb for r in self.runs) if self.runs else None

    def to_json(self) -> dict:
        return {
            "name": self.name, "command": self.command, "runs": [asdict(r) for r in self.runs],
            "median_wall_s": self.wall, "median_cpu_s": self.cpu, "peak_rss_mb": self.rss_mb,
            "exit_codes": sorted({r.exit_code for r in self.runs}), "note": self.note,
        }


def run_once(command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
             stdout: Path | None = None, timeout: float = DEFAULT_TIMEOUT) -> Run:
    """One whole-process run. A run killed by the timeout has exit code -9."""
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        timer = threading.Timer(timeout, _kill_group, (proc.pid,))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    finally:
        if stdout:
            out.close()
    return Run(round(wall, 4), round(usage.ru_utime + usage.ru_stime, 4), round(usage.ru_maxrss / 1024, 1), proc.returncode)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def measure(name: str, command: list[str], *, runs: int, budget: float, cwd: Path | None = None,
            env: dict[str, str] | None = None, stdout: Path | None = None, warmup: bool = False,
            timeout: float = DEFAULT_TIMEOUT) -> Measurement:
    """Up to `runs` runs; stops early once `budget` seconds are spent (at least one run), so slow
    peers on big corpora are timed once rather than stretching the bench past its time limit.
    `warmup` runs the command once untimed first (file cache, .pyc files)."""
    result = Measurement(name, [str(c) for c in command], output=str(stdout) if stdout else None)
    if warmup:
        run_once(command, cwd=cwd, env=env, timeout=timeout)
    spent = 0.0
    for index in range(runs):
        run = run_once(command, cwd=cwd, env=env, stdout=stdout, timeout=timeout)
        result.runs.append(run)
        spent += run.wall
        if run.exit_code < 0:
            result.note = f"killed after {timeout:g} s"
            break
        if index + 1 < runs and spent + run.wall > budget:
            result.note = f"{index + 1} of {runs} runs (time budget {budget:g} s)"
            break
    return result


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None
