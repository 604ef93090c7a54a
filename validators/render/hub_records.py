"""Hub records: one hub's checked result (its findings, what the cross-hub rules keep of it, the files
it receives from), kept between runs in the user's cache directory, so that a run in which nothing a
hub reads has changed neither renders nor checks that hub again.

A hub's render and checks are a function of its inputs (`hubs.Inputs`: the files it read, the paths
it looked for and did not find, the folders it took whole) and of what every hub shares: hubguard's
version, the kustomize binary, the policy, the rules chosen and what names this repository. The
shared part names the record's slot (one per hub); the inputs are written in the record with a
digest of each file, and a record is used only when every file still has its digest, nothing
appeared where the render found nothing, and each folder taken whole lists the same manifests. A
render whose inputs cannot be told (it read every ConfigMap of the repository, or may rewrite what
it follows) is never recorded. Records are written to a temporary file and renamed into place,
carry a format version and a checksum, and anything else is ignored: the hub is rendered again.
The repository is never written to.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from hubguard import __version__
from hubguard.findings import Finding, finding_from_record, finding_record
from hubguard.render import cache_files, kustomize
from hubguard.render.cache_files import FileDigests
from hubguard.render.hubs import EVERYTHING, MANIFEST_SUFFIXES, HubRender, Inputs

ANNOTATION_PREFIX = "hubguard.io/"  # the suppression annotations (hubguard.report.suppressions)

FORMAT = 1
_SUFFIX = ".record"
MAX_BYTES = 128 * 1024 * 1024


def default_directory() -> Path:
    from hubguard.render.build_cache import default_directory as renders

    return renders().parent / "hubs"


class Listing:
    """The repository's discovered files, sorted, to tell what lies at or under a path quickly."""

    def __init__(self, paths: Iterable[str]):
        self._paths = sorted(set(paths))
        self._set = set(self._paths)

    def under(self, path: str) -> list[str]:
        """The discovered files at `path` or under it."""
        if path == EVERYTHING:
            return list(self._paths)
        start = bisect.bisect_left(self._paths, path + "/")
        end = bisect.bisect_left(self._paths, path + "/\U0010ffff")
        return ([path] if path in self._set else []) + self._paths[start:end]


@dataclass(frozen=True)
class CheckedHub:
    """What a run keeps of one hub once it is checked, and all that later steps need of it: its
    findings (hub rules and the file rules' view of its rendered values), what the cross-hub rules
    keep of it, the files it receives something from and those it read, its objects' suppression
    annotations, its object count and its render notes."""

    findings: list[Finding]
    summaries: dict[str, Any]
    received: list[str]
    annotated: list[tuple[str, dict, str, int | None]]  # (object ref, hubguard annotations, path, line)
    objects: int
    files: list[str]
    notes: list[str]

    @classmethod
    def of(cls, render: HubRender, findings: list[Finding], summaries: dict[str, Any]) -> "CheckedHub":
        hub = render.inventory
        annotated = []
        for obj in hub.objects:
            own = {k: v for k, v in obj.annotations.items() if str(k).startswith(ANNOTATION_PREFIX)}
            if own:
                annotated.append((obj.ref, own, obj.source.path, obj.source.line))
        return cls(list(findings), summaries, sorted(hub.received_paths), annotated, len(hub.objects),
                   sorted(render.files), list(render.notes))

    def to_json(self) -> dict:
        return {"findings": [finding_record(f) for f in self.findings], "summaries": self.summaries,
                "received": self.received, "annotated": [list(a) for a in self.annotated],
                "objects": self.objects, "files": self.files, "notes": self.notes}

    @classmethod
    def from_json(cls, data: Any) -> "CheckedHub | None":
        try:
            return cls([finding_from_record(f) for f in data["findings"]], dict(data["summaries"]),
                       [str(p) for p in data["received"]],
                       [(str(ref), dict(own), str(path), line) for ref, own, path, line in data["annotated"]],
                       int(data["objects"]), [str(p) for p in data["files"]], [str(n) for n in data["notes"]])
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


def shared_context(tool: str, policy_text: str, rules: Iterable[str], repository: Iterable[str]) -> str:
    """What every hub's record depends on beyond its own inputs, as one digest."""
    digest = hashlib.sha256(f"hubguard-hub-record\0{FORMAT}\0{__version__}\0{tool}".encode())
    for part in (policy_text, "\0".join(sorted(rules)), "\0".join(sorted(repository))):
        digest.update(b"\0\0" + part.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class HubRecords:
    """Records in `directory`, one slot per hub under the shared `context`."""

    def __init__(self, directory: Path, context: str, root: Path, listing: Listing, digests: FileDigests | None = None):
        self.directory = directory
        self.context = context
        self.root = root
        self.listing = listing
        self.digests = digests if digests is not None else FileDigests(root)
        self._checked: dict[str, dict | None] = {}  # hub -> its record, validated once per run
        self.used: list[str] = []  # hubs answered from a record in this run
        self.written: list[str] = []

    def _path(self, hub: str) -> Path:
        slot = hashlib.sha256(f"{self.context}\0{hub}".encode()).hexdigest()
        return self.directory / slot[:2] / (slot + _SUFFIX)

    def load(self, hub: str) -> CheckedHub | None:
        """What was recorded for `hub`, if every input it read is as it was; else None."""
        record = self._valid(hub)
        checked = CheckedHub.from_json(record.get("checked")) if record is not None else None
        if checked is not None:
            self.used.append(hub)
        return checked

    def inputs(self, hub: str) -> Inputs | None:
        """What `hub`'s render reads, from its record, if every input it read is as it was: the
        same render again would read the same (--changed-since plans from it without walking)."""
        record = self._valid(hub)
        if record is None:
            return None
        proof = record["inputs"]
        return Inputs(set(proof["files"]), set(proof["absent"]), set(proof["listed"]))

    def _valid(self, hub: str) -> dict | None:
        known = self._checked.get(hub, False)
        if known is not False:
            return known
        record = None
        try:
            found = _decode(self._path(hub).read_bytes())
        except OSError:
            found = None
        if (found is not None and found.get("context") == self.context and found.get("hub") == hub
                and self._unchanged(found.get("inputs"))):
            record = found
        self._checked[hub] = record
        return record

    def save(self, hub: str, inputs: Inputs, checked: CheckedHub) -> None:
        """Record what a run kept of `hub`, unless its inputs cannot be told. A cache that cannot
        be written (read-only, full disk) only costs the next run a render."""
        proof = self._proof(inputs)
        if proof is None:
            return
        record = {"context": self.context, "hub": hub, "inputs": proof, "checked": checked.to_json()}
        if not cache_files.write_atomically(self._path(hub), _encode(record), _SUFFIX):
            return
        self.written.append(hub)

    def trim(self, max_bytes: int = MAX_BYTES) -> None:
        """After a run that wrote records: the least recently written go first past the cap."""
        if self.written:
            cache_files.trim_directory(self.directory, max_bytes)

    # -- what a record's inputs were, and whether they still are ------------------------------
    def _proof(self, inputs: Inputs) -> dict | None:
        if EVERYTHING in inputs.absent:
            return None
        files = {}
        for rel in sorted(inputs.files):
            digest = self.digests(rel)
            if digest is None:
                return None
            files[rel] = digest
        absent = {path: self._absent_state(path) for path in sorted(inputs.absent)}
        listed = {folder: self._manifests_under(folder) for folder in sorted(inputs.listed)}
        return {"files": files, "absent": absent, "listed": listed}

    def _unchanged(self, proof: Any) -> bool:
        if not isinstance(proof, dict):
            return False
        try:
            files, absent, listed = proof["files"], proof["absent"], proof["listed"]
            return (all(self.digests(rel) == digest for rel, digest in files.items())
                    and all(self._absent_state(path) == state for path, state in absent.items())
                    and all(self._manifests_under(folder) == names for folder, names in listed.items()))
        except (KeyError, TypeError, AttributeError):
            return False

    def _absent_state(self, path: str) -> list:
        """What is at or under a path the render looked for and did not find: whether it exists
        (a file kept out of git counts too), and the repository's files there."""
        return [os.path.lexists(self.root / path), self.listing.under(path)]

    def _manifests_under(self, folder: str) -> list[str]:
        return [rel for rel in self.listing.under(folder)
                if rel.lower().endswith(MANIFEST_SUFFIXES) or rel.rsplit("/", 1)[-1] in kustomize.KUSTOMIZATION_FILES]


def clear(directory: Path) -> int:
    """Remove every record; the number removed."""
    return cache_files.clear(directory, _SUFFIX)


def _encode(record: dict) -> bytes:
    return cache_files.frame(FORMAT, json.dumps(record, separators=(",", ":"), sort_keys=True).encode("utf-8", "surrogatepass"))


def _decode(raw: bytes) -> dict | None:
    body = cache_files.unframe(raw, FORMAT)
    try:
        record = None if body is None else json.loads(body.decode("utf-8", "surrogatepass"))
    except (ValueError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) else None
