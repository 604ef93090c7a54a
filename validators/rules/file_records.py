"""File records: the file rules' findings on each file, kept between runs in the user's cache
directory, so that a run does not check again a file whose check would find the same.

A file rule's findings on a file depend on the file's text, on the hubs that receive something
written in it (findings name them), on the other files the rules read while checking it (a
generator's env file, the nearest `.sops.yaml`: `RepoContext.file` notes each one), and on what
every check shares: hubguard's version, the policy, the rules chosen, the hubs of the run (the same
shared context as the hub records). A record keeps, per file, a digest of its text, its receiving
hubs, a digest of each file read, and the findings; it is used when all of those are the same.
All records of one shared context are one file, read once and replaced atomically after a run
that checked anything anew (two runs sharing it at once: the last one's stays, both are sound).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

from hubguard.findings import Finding, finding_from_record, finding_record
from hubguard.model import RepoContext, SourceFile
from hubguard.render import cache_files

FORMAT = 1
_SUFFIX = ".files"
MAX_BYTES = 128 * 1024 * 1024


def default_directory() -> Path:
    from hubguard.render.build_cache import default_directory as renders

    return renders().parent / "files"


def text_digest(src: SourceFile | None) -> str | None:
    """What a file rule can see of a file: its text (None: absent, or not read as text)."""
    if src is None or src.text is None:
        return None
    return hashlib.blake2b(src.text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class FileRecords:
    """The records of one shared context (see hub_records.shared_context)."""

    def __init__(self, directory: Path, context: str):
        self.path = directory / context[:2] / (context + _SUFFIX)
        self.context = context
        self._entries: dict[str, list] = self._read()
        self._changed = False
        self.reused = 0

    def _read(self) -> dict[str, list]:
        try:
            body = cache_files.unframe(self.path.read_bytes(), FORMAT, self.context)
            entries = json.loads(body.decode("utf-8", "surrogatepass")) if body is not None else {}
        except (OSError, ValueError, UnicodeDecodeError):
            return {}
        return entries if isinstance(entries, dict) else {}

    def findings(self, src: SourceFile, repo: RepoContext, check: Callable[[], tuple[list[Finding], bool]]) -> list[Finding]:
        """What `check()` finds on `src` (it answers the findings and whether a rule failed): from
        the record when nothing they depend on changed; else checked, and recorded unless a rule
        failed."""
        # (a shard leaves the receiving hubs to merge: its findings are recorded apart)
        own = [text_digest(src), sorted(repo.receivers.get(src.path, ())) if not repo.defer_receivers else ["(merge)"]]
        entry = self._entries.get(src.path)
        if entry is not None:
            try:
                digest, receivers, reads, recorded = entry
                if [digest, receivers] == own and all(text_digest(repo.file(p)) == d for p, d in reads.items()):
                    found = [finding_from_record(f) for f in recorded]
                    self.reused += 1
                    return found
            except (ValueError, TypeError, KeyError, AttributeError):
                pass
        repo.reads = set()
        try:
            found, failed = check()
            reads = {p: text_digest(repo.file(p)) for p in sorted(repo.reads) if p != src.path}
        finally:
            repo.reads = None
        if failed:
            self._entries.pop(src.path, None)
        else:
            self._entries[src.path] = [*own, reads, [finding_record(f) for f in found]]
        self._changed = True
        return found

    def save(self, paths: set[str]) -> None:
        """Keep the records, those of files no longer in the repository (`paths`) dropped, when
        this run checked any file anew."""
        if not self._changed:
            return
        kept = {path: entry for path, entry in self._entries.items() if path in paths}
        body = json.dumps(kept, separators=(",", ":"), sort_keys=True).encode("utf-8", "surrogatepass")
        if cache_files.write_atomically(self.path, cache_files.frame(FORMAT, body, self.context), _SUFFIX):
            cache_files.trim_directory(self.path.parent.parent, MAX_BYTES)


def clear(directory: Path) -> int:
    """Remove every record; the number of record files removed."""
    return cache_files.clear(directory, _SUFFIX)
