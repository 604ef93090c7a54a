"""Files of hubguard's caches in the user cache directory (kustomize outputs, hub records): each
written to a temporary file and renamed into place, so that runs sharing a cache never read half a
file; each framed by a header (format, optional key, checksum, size) so that anything else found
there (torn, corrupt, from another version) reads as absent; trimmed least recently used first.
Nothing here ever writes into a repository."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import zlib
from pathlib import Path


class FileDigests:
    """Content digests of repository files, each read once per run (None: not a readable file):
    the render cache's keys and the hub records' inputs digest the same files, and read them once."""

    def __init__(self, root: Path):
        self.root = root
        self._known: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def __call__(self, rel: str) -> str | None:
        known = self._known.get(rel, "")
        if known != "":
            return known
        try:
            found: str | None = hashlib.sha256((self.root / rel).read_bytes()).hexdigest()
        except OSError:
            found = None
        with self._lock:
            self._known[rel] = found
        return found


def write_atomically(path: Path, content: bytes, suffix: str) -> bool:
    """`content` at `path`, or False when the cache cannot be written (read-only, full disk): that
    only costs the next run the work again."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=suffix)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(content)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def frame(fmt: int, body: bytes, key: str | None = None) -> bytes:
    """`body` compressed behind a one-line JSON header that lets `unframe` tell it is whole."""
    packed = zlib.compress(body, 1)
    header: dict = {"format": fmt, "sha256": hashlib.sha256(packed).hexdigest(), "size": len(packed)}
    if key is not None:
        header["key"] = key
    return json.dumps(header, separators=(",", ":")).encode() + b"\n" + packed


def unframe(raw: bytes, fmt: int, key: str | None = None) -> bytes | None:
    """The body `frame` packed, or None for anything else (another format or key, torn, corrupt)."""
    head, _, packed = raw.partition(b"\n")
    try:
        header = json.loads(head)
        if (not isinstance(header, dict) or header.get("format") != fmt or header.get("key") != key
                or header.get("size") != len(packed) or header.get("sha256") != hashlib.sha256(packed).hexdigest()):
            return None
        return zlib.decompress(packed)
    except (ValueError, zlib.error):
        return None


def trim_directory(directory: Path, max_bytes: int) -> None:
    """Remove the least recently used files of `directory`'s subfolders until they fit `max_bytes`."""
    entries: list[tuple[float, int, Path]] = []
    try:
        folders = list(directory.iterdir())
    except OSError:
        return
    for folder in folders:
        try:
            for path in folder.iterdir():
                stat = path.stat()
                entries.append((stat.st_mtime, stat.st_size, path))
        except OSError:
            continue
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= max_bytes:
            break
        try:
            path.unlink()
            total -= size
        except OSError:
            continue


def clear(directory: Path, suffix: str) -> int:
    """Remove the whole cache folder; the number of its files named `*suffix`."""
    if not directory.is_dir():
        return 0
    removed = sum(1 for folder in directory.iterdir() if folder.is_dir() for _ in folder.glob("*" + suffix))
    shutil.rmtree(directory, ignore_errors=True)
    return removed
