"""A progress line per hub on stderr, shown only on a terminal and only once rendering has taken
longer than a moment (a pre-commit hook that finishes in half a second prints nothing)."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

DELAY_SECONDS = 0.7


class HubProgress:
    def __init__(self, hubs: list[str], stream: TextIO | None = None):
        self.hubs = hubs
        self.stream = stream or sys.stderr
        self.done: set[str] = set()
        self.started = time.monotonic()
        self.shown = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(DELAY_SECONDS, self._draw)
        self._timer.daemon = True
        self.enabled = bool(hubs) and hasattr(self.stream, "isatty") and self.stream.isatty()
        if self.enabled:
            self._timer.start()

    def hub_done(self, hub: str) -> None:
        with self._lock:
            self.done.add(hub)
        if self.shown:
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            width = 20
            filled = int(width * len(self.done) / max(1, len(self.hubs)))
            bar = "#" * filled + "." * (width - filled)
            pending = [h for h in self.hubs if h not in self.done]
            what = f"rendering {', '.join(pending[:3])}{'…' if len(pending) > 3 else ''}" if pending else "checking"
            self.stream.write(f"\r[{bar}] {len(self.done)}/{len(self.hubs)} hubs  {what}\033[K")
            self.stream.flush()
            self.shown = True

    def close(self) -> None:
        self._timer.cancel()
        if self.shown:
            with self._lock:
                self.stream.write("\r\033[K")
                self.stream.flush()
