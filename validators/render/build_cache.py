"""The render cache: kustomize's output for a kustomization, kept between runs in the user's cache
directory (`platformdirs`: `$XDG_CACHE_HOME/hubguard` on Linux), so that a run in which nothing a
build reads has changed does not run that build again.

An entry is found by a key: a digest of every file the build reads (the local graph the render
stage walks anyway: kustomization files, resources, components, patches, generator inputs), of the
kustomize binary, of hubguard's version and of the build options. An entry is written to a
temporary file and renamed into place, so two runs sharing a cache never see half an entry; it
carries a format version, its own key and a checksum of its content, and anything else found under
a key (torn, corrupt, from another version) is ignored and rebuilt. After a run that wrote entries,
the cache is trimmed to its size cap, least recently used first. Only successful builds are kept:
kustomize's errors may depend on files the graph does not list (a folder that lacks its
kustomization), and they are cheap to reproduce. The repository is never written to.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from hubguard import __version__
from hubguard.render import cache_files

FORMAT = 1
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
_SUFFIX = ".entry"


def default_directory() -> Path:
    """Where entries live: the user cache directory of the platform (XDG_CACHE_HOME honoured)."""
    from platformdirs import user_cache_path

    return user_cache_path("hubguard", appauthor=False) / "renders"


def user_cache(digests: cache_files.FileDigests | None = None) -> BuildCache:
    """The cache of this user, for the kustomize hubguard runs (with `digests`, the file digests
    this run already keeps)."""
    from hubguard.render.tools import find_tool

    return BuildCache(default_directory(), tool_identity(find_tool("kubectl")), digests=digests)


def tool_identity(executable: str) -> str:
    """The kustomize in use, as cheaply as it can be told apart from another one: its resolved
    path, size and modification time (any upgrade or reinstall changes one of them)."""
    real = os.path.realpath(executable)
    try:
        stat = os.stat(real)
    except OSError:
        return real
    return f"{real}:{stat.st_size}:{stat.st_mtime_ns}"


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    written: int = 0


class BuildCache:
    """Cached kustomize outputs in `directory`, keyed by what a build reads."""

    def __init__(self, directory: Path, tool: str, max_bytes: int = DEFAULT_MAX_BYTES,
                 digests: cache_files.FileDigests | None = None):
        self.directory = directory
        self.max_bytes = max_bytes
        self.stats = CacheStats()
        self._salt = f"hubguard-render-cache\0{FORMAT}\0{__version__}\0{tool}".encode()
        # root -> the content digests of its files, for this run
        self._digests: dict[Path, cache_files.FileDigests] = {digests.root.resolve(): digests} if digests is not None else {}
        self._lock = threading.Lock()

    # -- keys ----------------------------------------------------------------------------------
    def key(self, root: Path, directory: str, inputs: Iterable[str], options: str) -> str | None:
        """The key of building `directory` (repository-relative) that reads `inputs`; None when an
        input cannot be read (then the build is not cached)."""
        digest = hashlib.sha256(self._salt)
        digest.update(f"\0{directory}\0{options}".encode())
        files = self._files_of(root)
        for rel in sorted(set(inputs)):
            content = files(rel)
            if content is None:
                return None
            digest.update(f"\0{rel}\0{content}".encode())
        return digest.hexdigest()

    def _files_of(self, root: Path) -> cache_files.FileDigests:
        with self._lock:
            found = self._digests.get(root)
            if found is None:
                found = self._digests[root] = cache_files.FileDigests(root)
            return found

    # -- entries -------------------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / (key + _SUFFIX)

    def get(self, key: str) -> str | None:
        """The output stored under `key`, or None (absent, or not an entry this version wrote)."""
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            self._count("misses")
            return None
        output = _decode(raw, key)
        if output is None:
            self._count("misses")
            return None
        try:
            os.utime(path)  # least recently used goes first when the cache is trimmed
        except OSError:
            pass
        self._count("hits")
        return output

    def put(self, key: str, output: str) -> None:
        """Store `output` under `key`: a temporary file renamed into place. A cache that cannot be
        written (read-only, full disk) only costs the next run a build."""
        if not cache_files.write_atomically(self._path(key), _encode(key, output), _SUFFIX):
            return
        self._count("written")

    def _count(self, what: str) -> None:
        with self._lock:
            setattr(self.stats, what, getattr(self.stats, what) + 1)

    def trim(self) -> None:
        """Remove least recently used entries (and stale temporary files) until the cache fits its
        cap. Only after a run that wrote something: reading never grows it."""
        if not self.stats.written:
            return
        cache_files.trim_directory(self.directory, self.max_bytes)


def clear(directory: Path) -> int:
    """Remove every entry; the number removed."""
    return cache_files.clear(directory, _SUFFIX)


def _encode(key: str, output: str) -> bytes:
    return cache_files.frame(FORMAT, output.encode("utf-8"), key)


def _decode(raw: bytes, key: str) -> str | None:
    body = cache_files.unframe(raw, FORMAT, key)
    try:
        return None if body is None else body.decode("utf-8")
    except UnicodeDecodeError:
        return None
