"""What rules see: the repository's source files and their documents, rendered Kubernetes objects
that remember their source, per-hub inventories, and the repository as a whole."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

from hubguard.findings import Location
from hubguard.policy import HubPolicy, Policy


_PARSE_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class ParseError:
    message: str
    line: int | None
    column: int | None


class Positions(Protocol):
    """Where the keys and values of a file's documents are (built by the loader, on demand)."""

    def node(self, index: int) -> Any: ...

    def position(self, index: int, path: tuple, key: bool) -> tuple[int, int] | None: ...


class Document:
    """One YAML/JSON document of a source file: plain data for rules, positions on demand.

    Data comes from libyaml's C parser (fast); the ruamel round-trip tree that knows the line and
    column of every key and value is built only when a position is first asked for, once per file.
    """

    __slots__ = ("path", "index", "data", "line", "_positions")

    def __init__(self, path: str, index: int, data: Any, line: int = 1, positions: Positions | None = None):
        self.path, self.index, self.data, self.line, self._positions = path, index, data, line, positions

    @property
    def node(self) -> Any:
        return self._positions.node(self.index) if self._positions is not None else None

    def position(self, *path: Any, key: bool = False) -> tuple[int, int]:
        if self._positions is None:
            return (self.line, 1)
        return self._positions.position(self.index, path, key) or (self.line, 1)

    def __repr__(self) -> str:
        return f"Document({self.path!r}, {self.index}, line={self.line})"


@dataclass(slots=True)
class SourceFile:
    path: str  # POSIX, relative to the validated root
    abspath: Path
    text: str | None = None  # None when skipped (binary, too large, not UTF-8, symlink)
    kind: str = "text"  # yaml | json | text | template | skipped
    note: str | None = None
    # How its documents are parsed (YAML, JSON): on first use, since a run focused on a change, or
    # one whose hubs come from their records, reads most files as text only, or not at all.
    parser: Callable[[], tuple[list[Document], ParseError | None]] | None = field(default=None, repr=False, compare=False)
    _parsed: tuple[list[Document], ParseError | None] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def documents(self) -> list[Document]:
        return self._parse()[0]

    @property
    def error(self) -> ParseError | None:
        return self._parse()[1]

    def _parse(self) -> tuple[list[Document], ParseError | None]:
        parsed = self._parsed
        if parsed is None:
            made = self.parser() if self.parser is not None else ([], None)
            with _PARSE_LOCK:  # two threads may parse at once; every caller sees the same documents
                if self._parsed is None:
                    self._parsed = made
                    self.parser = None
                parsed = self._parsed
        return parsed

    @property
    def lines(self) -> list[str]:
        return (self.text or "").splitlines()


def get_path(data: Any, path: Iterable[Any], default: Any = None) -> Any:
    """`get_path(obj, ["spec", "template", "metadata", "labels"])` on plain data, without KeyErrors."""
    node = data
    for step in path:
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and -len(node) <= step < len(node):
            node = node[step]
        else:
            return default
    return node


@dataclass(eq=False)
class K8sObject:
    """One object a hub receives, plus where it came from. Its content is not changed once made
    (the renderer makes a new object instead), so its derived properties are cached.

    `document` is the source document the object was rendered from (for field positions);
    `overrides` are the patch documents that target it, in application order, so that a field set
    by an overlay patch is located in the patch rather than in the base.
    """

    data: dict
    source: Location
    document: Document | None = None
    overrides: tuple[Document, ...] = ()
    generated: bool = False  # made by a kustomize generator (configMapGenerator, secretGenerator)

    @property
    def anchor(self) -> str | None:
        """The file the object is written in: its source document's, or for an object a kustomize
        generator made, the kustomization's (None: neither is known)."""
        if self.generated:
            return self.source.path or None
        return self.document.path if self.document is not None else None

    @cached_property
    def kind(self) -> str:
        return str(self.data.get("kind") or "")

    @cached_property
    def api_version(self) -> str:
        return str(self.data.get("apiVersion") or "")

    @cached_property
    def group(self) -> str:
        return self.api_version.rsplit("/", 1)[0] if "/" in self.api_version else ""

    @cached_property
    def metadata(self) -> dict:
        meta = self.data.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @cached_property
    def name(self) -> str:
        return str(self.metadata.get("name") or "")

    @cached_property
    def namespace(self) -> str | None:
        ns = self.metadata.get("namespace")
        return str(ns) if ns else None

    @cached_property
    def labels(self) -> dict:
        labels = self.metadata.get("labels")
        return labels if isinstance(labels, dict) else {}

    @cached_property
    def annotations(self) -> dict:
        ann = self.metadata.get("annotations")
        return ann if isinstance(ann, dict) else {}

    @cached_property
    def ref(self) -> str:
        """`Kind/namespace/name`, or `Kind/name` for cluster-scoped or namespace-less objects."""
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"

    @cached_property
    def fingerprint(self) -> str:
        """A digest of the object's content: the same object rendered for twenty hubs is checked
        once by rules that cache on it. (Objects are not mutated after rendering.)"""
        canonical = json.dumps(self.data, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.blake2b(canonical.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def get(self, *path: Any, default: Any = None) -> Any:
        return get_path(self.data, path, default)

    def locate(self, *path: Any) -> Location:
        """Where the field at `path` was written: the last patch that sets it to the rendered value,
        else the source document (or the nearest ancestor present there), else the object's start."""
        rendered = get_path(self.data, path)
        if path:
            for doc in reversed(self.overrides):
                value = get_path(doc.data, path)
                if value is not None and value == rendered:
                    line, column = doc.position(*path)
                    return Location(doc.path, line, column)
        if self.document is not None:
            line, column = self.document.position(*path)
            return Location(self.document.path, line, column)
        return self.source


@dataclass
class HubInventory:
    """Everything one hub receives after rendering, with indexes so rules are not quadratic."""

    name: str
    policy: HubPolicy
    objects: list[K8sObject] = field(default_factory=list)
    problems: list["RenderProblem"] = field(default_factory=list)  # what could not be rendered
    # (kind, namespace, name, source path, source line) -> GitOps engine ("flux", "argocd") -> the
    # Kustomization path or Application source that makes that engine apply the object.
    managers: dict[tuple, dict[str, Location]] = field(default_factory=dict)

    def engines_of(self, obj: K8sObject) -> dict[str, Location]:
        return self.managers.get((obj.kind, obj.namespace, obj.name, obj.source.path, obj.source.line), {})

    @property
    def received_paths(self) -> set[str]:
        """The files this hub receives something from: its objects' documents (the kustomization,
        for what a generator made) and the patches that target them."""
        paths: set[str] = set()
        for obj in self.objects:
            paths.update(path for path in (obj.anchor, *(d.path for d in obj.overrides)) if path)
        return paths

    @cached_property
    def by_anchor(self) -> dict[str, list[K8sObject]]:
        """Objects by the file they are written in: their source document's, or for an object a
        kustomize generator made, the kustomization's."""
        index: dict[str, list[K8sObject]] = {}
        for obj in self.objects:
            if obj.anchor:
                index.setdefault(obj.anchor, []).append(obj)
        return index

    @cached_property
    def _by_kind(self) -> dict[str, list[K8sObject]]:
        index: dict[str, list[K8sObject]] = {}
        for obj in self.objects:
            index.setdefault(obj.kind, []).append(obj)
        return index

    @cached_property
    def _by_key(self) -> dict[tuple[str, str | None, str], K8sObject]:
        return {(o.kind, o.namespace, o.name): o for o in self.objects}

    def of_kind(self, *kinds: str) -> list[K8sObject]:
        out: list[K8sObject] = []
        for kind in kinds:
            out.extend(self._by_kind.get(kind, ()))
        return out

    def find(self, kind: str, namespace: str | None, name: str) -> K8sObject | None:
        return self._by_key.get((kind, namespace, name))

    @cached_property
    def _by_namespace(self) -> dict[tuple[str | None, str], list[K8sObject]]:
        index: dict[tuple[str | None, str], list[K8sObject]] = {}
        for obj in self.objects:
            index.setdefault((obj.namespace, obj.kind), []).append(obj)
        return index

    def in_namespace(self, namespace: str | None, *kinds: str) -> list[K8sObject]:
        if not kinds:
            return [o for o in self.objects if o.namespace == namespace]
        return [o for kind in kinds for o in self._by_namespace.get((namespace, kind), ())]

    def namespace_labels(self, namespace: str | None) -> dict:
        ns = self.find("Namespace", None, namespace or "") if namespace else None
        return ns.labels if ns else {}


@dataclass(frozen=True)
class RenderProblem:
    """A root or path that could not be rendered for a hub (schema/render-error), or a reference
    the render needs and nothing provides (schema/unresolved-reference)."""

    message: str
    location: Location | None
    hub: str | None
    rule: str = "schema/render-error"


@dataclass
class RepoContext:
    """The validated repository: its files, its hubs (rendered) and the policy."""

    root: Path
    policy: Policy
    files: list[SourceFile] = field(default_factory=list)
    hubs: dict[str, HubInventory] = field(default_factory=dict)
    # hub -> fleet rule id -> what that rule kept of the hub (Rule.summarise)
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    run_hubs: list[str] | None = None  # every hub of the run, also those another shard renders
    # A shard: file findings are left for `hubguard merge` to attribute to the hubs receiving their
    # file, which only the receivers of every shard tell (Finding.received_in).
    defer_receivers: bool = False
    receivers: dict[str, set[str]] = field(default_factory=dict)  # path -> hubs receiving something it writes
    # While not None, the paths `file()` was asked for: what a file rule read besides its own file.
    reads: set[str] | None = None

    def received(self, hub: HubInventory) -> None:
        """Note the files `hub` receives something from: file findings name the hubs that receive
        the file."""
        self.receives(hub.name, hub.received_paths)

    def receives(self, hub: str, paths: "Iterable[str]") -> None:
        for path in paths:
            self.receivers.setdefault(path, set()).add(hub)

    @property
    def hubs_in_run(self) -> list[str]:
        """The hubs this run checks (all of them, or those chosen with --hub), rendered here or not."""
        return sorted(self.run_hubs if self.run_hubs is not None else set(self.hubs) | set(self.summaries))

    def summaries_of(self, rule_id: str) -> dict[str, Any]:
        """hub -> what the fleet rule `rule_id` kept of it."""
        return {hub: kept[rule_id] for hub, kept in self.summaries.items() if rule_id in kept}

    @property
    def hub_names(self) -> list[str]:
        return sorted(self.policy.hubs)

    @cached_property
    def _files_by_path(self) -> dict[str, SourceFile]:
        return {f.path: f for f in self.files}

    def file(self, path: str) -> SourceFile | None:
        if self.reads is not None:
            self.reads.add(path)
        return self._files_by_path.get(path)

    def documents(self, containing: str | None = None) -> Iterable[Document]:
        """Every document of the repository's files; with `containing`, only those of files whose
        text holds it (any case): a rule looking for one kind of file parses only the candidates."""
        needle = containing.lower() if containing else None
        for src in self.files:
            if needle is None or (src.text is not None and needle in src.text.lower()):
                yield from src.documents
