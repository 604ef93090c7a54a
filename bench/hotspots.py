"""Profile one `hubguard validate` run, worker threads included.

    python bench/hotspots.py REPO [--out FILE.prof] [--top N] [-- extra validate options]

`python -m cProfile` sees only the main thread, and hubguard renders hubs in worker threads, so
the render cost would show as time spent waiting on a lock. Here every thread runs under its own
profiler and the profiles are merged. (Time in `kubectl` subprocesses shows as `communicate`/`wait`
of the thread that started it.)

Each profiler counts its thread's CPU time (`time.thread_time`), not wall time: threads waiting for
the GIL or for kubectl would otherwise show that wait as the cost of whatever they were doing.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import threading
import time
from pathlib import Path

_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()


def _profile_threads() -> None:
    original_run = threading.Thread.run

    def run(self: threading.Thread) -> None:
        profiler = cProfile.Profile(time.thread_time)
        with _lock:
            _profiles.append(profiler)
        profiler.enable()
        try:
            original_run(self)
        finally:
            profiler.disable()

    threading.Thread.run = run  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--out", type=Path, help="where to save the merged profile (pstats format)")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("extra", nargs="*", help="more `hubguard validate` options (after --)")
    args = parser.parse_args(argv)

    _profile_threads()
    from hubguard.cli import main as hubguard_main

    main_profiler = cProfile.Profile(time.thread_time)
    sink = io.StringIO()
    real_stdout, sys.stdout = sys.stdout, sink  # the report itself is not of interest here
    main_profiler.enable()
    try:
        code = hubguard_main(["validate", str(args.repo), "--format", "json", *args.extra])
    finally:
        main_profiler.disable()
        sys.stdout = real_stdout
    stats = pstats.Stats(main_profiler)
    for profiler in _profiles:
        try:
            stats.add(profiler)
        except TypeError:  # a thread that never ran anything
            pass
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        stats.dump_stats(str(args.out))
    print(f"hubguard exit code {code}; {len(_profiles)} worker thread(s) profiled")
    # Worker threads are counted in parallel, so totals exceed wall time; tottime is what to fix.
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
