"""What each hub receives: its roots rendered with kustomize, following Flux Kustomizations and
Argo CD Applications into the same repository, with Flux post-build substitution (SPEC "Hubs,
rendering and classification"). Every object remembers its source file and line."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml
from hubguard.findings import Location
from hubguard.load.sources import SourceLoader
from hubguard.model import Document, HubInventory, K8sObject, RenderProblem, SourceFile
from hubguard.policy import HubPolicy
from hubguard.render import kustomize
from hubguard.render.build_cache import BuildCache
from hubguard.render.flux_postbuild import NO_VARIABLES, Variables, flux_variables, substituted
from hubguard.render.origins import (
    SourceIndex,
    generated_object,
    match_document,
    parse_origin,
)

MAX_PATHS_PER_HUB = 500  # a safety net against runaway graphs: rendering of the hub stops there
MAX_GENERATED_PATHS = 200  # an ApplicationSet generator enumerating more folders is refused
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "ClusterIssuer",
    "StorageClass", "PersistentVolume", "PriorityClass", "ClusterSecretStore", "ClusterExternalSecret",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService", "IngressClass",
    "Node", "RuntimeClass", "VolumeSnapshotClass", "CSIDriver",
}

try:  # libyaml's C loader: rendered output needs no positions, only speed
    _FastLoader: Any = yaml.CSafeLoader
    _FastDumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _FastLoader, _FastDumper = yaml.SafeLoader, yaml.SafeDumper


@dataclass(frozen=True)
class FluxApply:
    """How a Flux Kustomization applies its path: post-build variables and target namespace."""

    variables: Variables = NO_VARIABLES
    target_namespace: str | None = None

    def key(self) -> tuple:
        return (self.variables.key(), self.target_namespace)


NO_APPLY = FluxApply()


@dataclass
class Rendered:
    """One built path: its objects, problems, and the repository files it read."""

    objects: list[K8sObject] = field(default_factory=list)
    problems: list[tuple[str, Location | None]] = field(default_factory=list)
    files: set[str] = field(default_factory=set)


@dataclass
class HubRender:
    inventory: HubInventory
    problems: list[RenderProblem]
    files: set[str]  # every repository file this hub's render read (for --changed-since)


class Renderer:
    """Renders hubs of one repository; distinct kustomize paths are built once and shared."""

    def __init__(self, root: Path, files: "Mapping[str, SourceFile] | SourceLoader", jobs: int | None = None,
                 cache: BuildCache | None = None):
        self.root = root.resolve()
        self.files = files
        self.build_cache = cache  # kustomize outputs kept between runs (None: --no-cache, library use)
        self._cache: dict[str, Future] = {}
        self._documents_by_text: dict[str, list[dict]] = {}  # kustomize output document -> its data
        self._lock = threading.Lock()
        # kustomize processes at once (--jobs, default: cores). Hubs render in their own threads, so
        # while one hub's output is parsed and checked in Python, the next builds already run.
        self._builds = threading.BoundedSemaphore(max(1, jobs or os.cpu_count() or 2))
        self._walking = threading.Lock()
        self.builds_started = 0
        self.build_started = threading.Condition()

    # -- per hub ---------------------------------------------------------------------------
    def render_hub(self, hub: HubPolicy) -> HubRender:
        objects: list[K8sObject] = []
        problems: list[RenderProblem] = []
        files: set[str] = set()
        done: set[tuple] = set()
        seen_objects: set[tuple] = set()
        # (repo-relative path, how Flux applies it, ancestry chain, location that pointed here)
        stack: list[tuple[str, FluxApply, tuple[str, ...], Location | None]] = [
            (root.strip("/") or ".", NO_APPLY, (), None) for root in reversed(hub.roots)
        ]
        while stack:
            rel, apply, chain, via = stack.pop()
            rel = _normalise(rel)
            if chain and chain[-1] == rel:
                continue  # a Kustomization managing its own folder (flux bootstrap's flux-system) is no cycle
            if rel in chain:
                cycle = " -> ".join((*chain[chain.index(rel):], rel))
                problems.append(RenderProblem(f"cycle of Flux/Argo CD paths: {cycle}", via, hub.name))
                continue
            key = (rel, apply.key())
            if key in done:
                continue
            done.add(key)
            if len(done) > MAX_PATHS_PER_HUB:
                problems.append(RenderProblem(f"more than {MAX_PATHS_PER_HUB} paths to render; stopped (generator too wide?)", via, hub.name))
                break
            target = (self.root / rel).resolve() if rel != "." else self.root
            if not _inside(target, self.root):
                problems.append(RenderProblem(f"path {rel!r} leaves the repository (refused)", via, hub.name))
                continue
            if not target.is_dir():
                where = via or Location(".hubguard.yaml" if (self.root / ".hubguard.yaml").is_file() else rel, None, None)
                problems.append(RenderProblem(f"path {rel!r} does not exist in the repository", where, hub.name))
                continue
            rendered = self._render_path(rel)
            files |= rendered.files
            for message, location in rendered.problems:
                problems.append(RenderProblem(message, location or via, hub.name))
            batch = rendered.objects
            if apply.variables.values is not None:
                batch, failed = substituted(batch, apply.variables.values)
                problems.extend(RenderProblem(message, via, hub.name) for message in failed)
            if apply.target_namespace:
                batch = [_in_namespace(obj, apply.target_namespace) for obj in batch]
            # One source object reached twice (a folder rendered whole and again through a
            # Kustomization inside it) is one object on the hub, not two.
            for obj in batch:
                identity = (obj.kind, obj.namespace, obj.name, obj.source.path, obj.source.line)
                if identity not in seen_objects:
                    seen_objects.add(identity)
                    objects.append(obj)
            follow_problems: list[tuple[str, Location]] = []
            targets = list(self._follow(batch, objects, follow_problems))
            problems.extend(RenderProblem(message, location, hub.name) for message, location in follow_problems)
            for next_rel, next_apply, location in reversed(targets):
                stack.append((next_rel, next_apply, (*chain, rel), location))
        return HubRender(HubInventory(hub.name, hub, objects, problems), problems, files)

    def _follow(self, batch: list[K8sObject], so_far: list[K8sObject],
                problems: list[tuple[str, Location]]) -> Iterable[tuple[str, FluxApply, Location]]:
        """Paths in this repository that Flux Kustomizations and Argo CD apps in `batch` point to."""
        for obj in batch:
            if obj.kind == "Kustomization" and obj.group == "kustomize.toolkit.fluxcd.io":
                path = obj.get("spec", "path")
                if isinstance(path, str) and _same_repo_source(obj):
                    target_ns = obj.get("spec", "targetNamespace")
                    apply = FluxApply(flux_variables(obj, so_far), target_ns if isinstance(target_ns, str) else None)
                    yield path, apply, obj.locate("spec", "path")
            elif obj.kind == "Application" and obj.group == "argoproj.io":
                yield from _argo_sources(obj, ("spec",))
            elif obj.kind == "ApplicationSet" and obj.group == "argoproj.io":
                yield from self._appset_paths(obj, problems)

    def _appset_paths(self, obj: K8sObject, problems: list[tuple[str, Location]]) -> Iterable[tuple[str, FluxApply, Location]]:
        template_paths = list(_argo_sources(obj, ("spec", "template", "spec")))
        literal = [p for p in template_paths if "{{" not in p[0]]
        yield from literal
        if len(literal) == len(template_paths):
            return
        for gindex, gen in enumerate(obj.get("spec", "generators", default=[]) or []):
            dirs = (gen or {}).get("git", {}).get("directories") if isinstance(gen, dict) else None
            for dindex, entry in enumerate(dirs or []):
                if not isinstance(entry, dict) or entry.get("exclude") or not isinstance(entry.get("path"), str):
                    continue
                location = obj.locate("spec", "generators", gindex, "git", "directories", dindex, "path")
                matches = [m for m in sorted(self.root.glob(entry["path"].lstrip("/"))) if m.is_dir() and _inside(m.resolve(), self.root)]
                if len(matches) > MAX_GENERATED_PATHS:
                    problems.append((f"generator path {entry['path']!r} enumerates {len(matches)} folders, more than "
                                     f"{MAX_GENERATED_PATHS}; not rendered", location))
                    continue
                for match in matches:
                    yield match.relative_to(self.root).as_posix(), NO_APPLY, location

    # -- per path (cached across hubs) -------------------------------------------------------
    def _render_path(self, rel: str) -> Rendered:
        """One path rendered once for all hubs: the first hub to need it renders it in its own
        thread; others wait for that result. (Paths only nest downwards, so no wait is circular.)"""
        with self._lock:
            future = self._cache.get(rel)
            mine = future is None
            if mine:
                future = self._cache[rel] = Future()
        if mine:
            try:
                future.set_result(self._render_uncached(rel))
            except BaseException as exc:
                future.set_exception(exc)
                raise
        return future.result()

    def _render_uncached(self, rel: str) -> Rendered:
        directory = self.root / rel if rel != "." else self.root
        if kustomize.kustomization_file(directory) is not None:
            return self._build(directory)
        return self._plain_directory(directory)

    def _documents(self, rel: str, path: Path | None = None) -> list[Document]:
        """A file's documents: the engine's already-loaded copy, else read from disk."""
        src = self.files.get(rel)
        if src is not None:
            return src.documents if src.error is None else []
        return kustomize.read_documents(rel, path or self.root / rel) or []

    def _build(self, directory: Path) -> Rendered:
        out = Rendered()
        # One walk at a time: walks are pure Python, so side by side under the GIL they would
        # only delay every hub's first build until all the walks were done.
        with self._walking:
            graph = kustomize.walk(directory, self.root, self._documents)
        out.files |= graph.files
        kfile = kustomize.kustomization_file(directory)
        where = Location(kfile.relative_to(self.root).as_posix(), None, None) if kfile else None
        if graph.refused or graph.missing:
            # Refused references are never handed to kustomize; missing files get a precise line.
            out.problems.extend(graph.refused + graph.missing)
            return out
        docs, _ = self._kustomize(directory, out, where, origins=False, inputs=graph.files)
        if docs is None:
            return out
        # After the build: the resources' documents are only needed to match its output, and
        # meanwhile the engine has loaded most of them.
        sources = SourceIndex(graph, self._documents)
        objects = [sources.match(data) for data in docs]
        if all(obj is not None for obj in objects):
            out.objects.extend(obj for obj in objects if obj is not None)
            return out
        # Some object's source is ambiguous: let kustomize record origins (slow, but exact).
        docs, wrapper = self._kustomize(directory, out, where, origins=True)
        out.objects.extend(self._with_origin(data, sources, wrapper) for data in docs or ())
        return out

    def _kustomize(self, directory: Path, out: Rendered, where: Location | None, *,
                   origins: bool, inputs: set[str] | None = None) -> tuple[list[dict] | None, Path | None]:
        """The objects kustomize builds (None after recording a problem), and the wrapper folder
        that origin paths are relative to. A build whose `inputs` (every file it reads) are as an
        earlier run saw them is read from the render cache. Builds with origins are not cached:
        their origin paths are relative to a throw-away wrapper folder."""
        key = None
        if self.build_cache is not None and inputs is not None and not origins:
            key = self.build_cache.key(self.root, directory.relative_to(self.root).as_posix(), inputs, "build")
            cached = self.build_cache.get(key) if key is not None else None
            if cached is not None:
                self._started_build()  # nothing to wait for: the engine may load files now
                return self._parsed(cached), None
        with self._builds:
            self._started_build()
            result = kustomize.build(directory, self.root, origins=origins)
        if key is not None and result.error is None and result.output is not None:
            self.build_cache.put(key, result.output)
        if result.error is not None:
            out.problems.append((result.error, where))
            return None, None
        try:
            if origins:  # these objects are edited (their origin annotation removed): never shared
                return [d for d in yaml.load_all(result.output, Loader=_FastLoader) if isinstance(d, dict)], result.wrapper
            return self._parsed(result.output or ""), result.wrapper
        except yaml.YAMLError as exc:
            out.problems.append((f"kustomize output does not parse: {exc}", where))
            return None, None

    def _started_build(self) -> None:
        with self.build_started:
            self.builds_started += 1
            self.build_started.notify_all()

    def _parsed(self, output: str) -> list[dict]:
        """kustomize's output as objects. Hubs mostly receive the same objects from shared bases, and
        kustomize prints each object as one `---`-separated document, so each distinct document text
        is parsed once per run and its data shared between hubs (nothing edits rendered data; a
        substituted object is a new one). A piece that does not parse alone sends the whole output
        through the plain parse, which reports the error as before."""
        objects: list[dict] = []
        for chunk in output.split("\n---\n"):
            parsed = self._documents_by_text.get(chunk)
            if parsed is None:
                try:
                    parsed = [d for d in yaml.load_all(chunk, Loader=_FastLoader) if isinstance(d, dict)]
                except yaml.YAMLError:
                    return [d for d in yaml.load_all(output, Loader=_FastLoader) if isinstance(d, dict)]
                self._documents_by_text[chunk] = parsed
            objects.extend(parsed)
        return objects

    def _with_origin(self, data: dict, sources: SourceIndex, wrapper: Path | None) -> K8sObject:
        meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
        origin = parse_origin(annotations.pop(kustomize.ORIGIN_ANNOTATION, None))
        if not annotations and "annotations" in meta:
            del meta["annotations"]
        kind, name = str(data.get("kind") or ""), str(meta.get("name") or "")
        if "path" in origin and wrapper is not None:
            rel = self._repo_relative(wrapper, origin["path"])
            src = self.files.get(rel) if rel else None
            doc = match_document(src.documents, data) if src is not None and src.documents else None
            source = Location(rel or origin["path"], doc.line if doc else None, 1 if doc else None)
            source_name = str((doc.data.get("metadata") or {}).get("name") or name) if doc else name
            return K8sObject(data, source, doc, sources.overrides(kind, source_name))
        if origin.get("configuredIn"):
            generators = [g for g in sources.graph.generators if g.kind == kind and name.startswith(g.name)]
            if generators:
                return generated_object(data, max(generators, key=lambda g: len(g.name)))
        return K8sObject(data, Location("", None, None), None, sources.overrides(kind, name))

    def _repo_relative(self, wrapper: Path, origin_path: str) -> str | None:
        full = Path(os.path.normpath(wrapper / origin_path))
        try:
            return full.relative_to(self.root).as_posix()
        except ValueError:
            # The repository root itself may be reached through a symlinked temp dir.
            real = Path(os.path.realpath(full))
            try:
                return real.relative_to(self.root).as_posix()
            except ValueError:
                return None

    def _plain_directory(self, directory: Path) -> Rendered:
        """As Flux's kustomize-controller builds a path without kustomization.yaml: every manifest in
        it, recursively; a sub-folder with its own kustomization.yaml is built as such."""
        out = Rendered()
        for dirpath, dirnames, filenames in os.walk(directory, followlinks=False):
            here = Path(dirpath)
            dirnames.sort()
            for sub in list(dirnames):
                subdir = here / sub
                if sub.startswith(".") or subdir.is_symlink():
                    dirnames.remove(sub)
                elif kustomize.kustomization_file(subdir) is not None:
                    dirnames.remove(sub)
                    built = self._render_path(subdir.relative_to(self.root).as_posix())
                    out.objects.extend(built.objects)
                    out.problems.extend(built.problems)
                    out.files |= built.files
            for name in sorted(filenames):
                if not name.lower().endswith((".yaml", ".yml", ".json")):
                    continue
                rel = (here / name).relative_to(self.root).as_posix()
                src = self.files.get(rel)
                if src is None:
                    continue
                out.files.add(rel)
                for doc in src.documents:
                    if isinstance(doc.data, dict) and doc.data.get("kind") and doc.data.get("apiVersion"):
                        out.objects.append(K8sObject(_copy(doc.data), Location(rel, doc.line, 1), doc))
        return out


def _normalise(rel: str) -> str:
    rel = rel.strip()
    norm = os.path.normpath(rel.lstrip("/")) if rel not in ("", ".", "./") else "."
    return norm.replace(os.sep, "/")


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _same_repo_source(obj: K8sObject) -> bool:
    source = obj.get("spec", "sourceRef", default={}) or {}
    return not isinstance(source, dict) or source.get("kind", "GitRepository") == "GitRepository"


def _argo_sources(obj: K8sObject, spec_path: tuple) -> Iterable[tuple[str, FluxApply, Location]]:
    spec = obj.get(*spec_path, default={}) or {}
    if not isinstance(spec, dict):
        return
    sources = []
    if isinstance(spec.get("source"), dict):
        sources.append((spec["source"], (*spec_path, "source")))
    for index, src in enumerate(spec.get("sources") or []):
        if isinstance(src, dict):
            sources.append((src, (*spec_path, "sources", index)))
    for src, path in sources:
        if isinstance(src.get("path"), str) and not src.get("chart"):
            yield src["path"], NO_APPLY, obj.locate(*path, "path")


def _in_namespace(obj: K8sObject, namespace: str) -> K8sObject:
    if obj.kind in CLUSTER_SCOPED:
        return obj
    data = {**obj.data, "metadata": {**obj.metadata, "namespace": namespace}}
    return K8sObject(data, obj.source, obj.document, obj.overrides, obj.generated)


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


