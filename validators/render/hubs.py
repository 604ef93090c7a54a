"""What each hub receives: its roots rendered with kustomize, following Flux Kustomizations and
Argo CD Applications into the same repository, with Flux post-build substitution (SPEC "Hubs,
rendering and classification"). Every object remembers its source file and line."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from collections import OrderedDict
from typing import Any, Callable, Iterable, Mapping

import yaml
from hubguard.findings import Location
from hubguard.load.sources import SourceLoader
from hubguard.model import Document, HubInventory, K8sObject, RenderProblem, SourceFile
from hubguard.policy import HubPolicy
from hubguard.render import kustomize
from hubguard.render.build_cache import BuildCache
from hubguard.render.flux_build import INDEX_ANNOTATION, FluxBuild
from hubguard.render.flux_postbuild import substituted
from hubguard.render.follow import NO_APPLY, Follower, FluxApply, Target
from hubguard.render.gitops_sources import RepositoryIdentity, join
from hubguard.render.origins import (
    SourceIndex,
    generated_object,
    match_document,
    parse_origin,
)

KEPT_UNSHARED_PATHS = 16  # rendered paths only one hub asked for so far, remembered in case another does
KEPT_DOCUMENTS = 4096  # parsed kustomize output documents remembered
MAX_PATHS_PER_HUB = 500  # a safety net against runaway graphs: rendering of the hub stops there
try:  # libyaml's C loader: rendered output needs no positions, only speed
    _FastLoader: Any = yaml.CSafeLoader
    _FastDumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _FastLoader, _FastDumper = yaml.SafeLoader, yaml.SafeDumper


MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
EVERYTHING = "."  # in `Inputs.absent`: every path is at or under it (the render may read any file)


@dataclass
class Inputs:
    """What a render depends on; its output is a function of these alone, so a change that touches
    none of them cannot change it (--changed-since, --staged).

    `files`: repository files it read. `absent`: paths it looked for and did not find (a kustomization
    name tried before the one used, a missing resource, patch, component or Flux path, the fixed part
    of an Argo CD folder glob): a file appearing or vanishing at or under one counts. `listed`: folders
    whose manifests it took whole (plain Flux folders): a manifest or kustomization appearing or
    vanishing under one counts."""

    files: set[str] = field(default_factory=set)
    absent: set[str] = field(default_factory=set)
    listed: set[str] = field(default_factory=set)

    def add(self, other: "Inputs") -> None:
        self.files |= other.files
        self.absent |= other.absent
        self.listed |= other.listed

    def changed_by(self, path: str) -> bool:
        """Whether adding, changing or deleting the file `path` (repository-relative) can change the render."""
        if path in self.files:
            return True
        parents = _parents(path)
        if path in self.absent or not self.absent.isdisjoint(parents):
            return True
        if self.listed.isdisjoint(parents):
            return False
        name = path.rsplit("/", 1)[-1]
        return name.lower().endswith(MANIFEST_SUFFIXES) or name in kustomize.KUSTOMIZATION_FILES


def _parents(path: str) -> set[str]:
    parts = path.split("/")[:-1]
    return {"/".join(parts[:i]) for i in range(1, len(parts) + 1)} | {"."}


@dataclass
class Rendered:
    """One built path: its objects, problems, and what it read."""

    objects: list[K8sObject] = field(default_factory=list)
    problems: list[tuple[str, Location | None]] = field(default_factory=list)
    inputs: Inputs = field(default_factory=Inputs)

    @property
    def files(self) -> set[str]:
        return self.inputs.files


@dataclass
class HubRender:
    inventory: HubInventory
    problems: list[RenderProblem]
    inputs: Inputs  # what this hub's render read (for --changed-since)
    notes: list[str] = field(default_factory=list)  # references not followed, and why
    producers: list[str | None] = field(default_factory=list)  # per object: the Kustomization/Application that applies it

    @property
    def files(self) -> set[str]:
        return self.inputs.files


def engine_of(producer: str | None) -> str | None:
    """The GitOps engine that applies what `producer` (`Kind/namespace/name`) points to: Argo CD
    for an Application or ApplicationSet, Flux for its Kustomizations and sources; None for a root."""
    if producer is None:
        return None
    return "argocd" if producer.split("/", 1)[0] in ("Application", "ApplicationSet") else "flux"


@dataclass
class _HubWalk:
    """One hub's render in progress: paths to render (with the ancestry of each), references that
    wait for an object, and what the hub receives so far."""

    hub: str
    follower: Follower
    stack: list[tuple[Target, tuple[str, ...]]] = field(default_factory=list)
    waiting: list[tuple[K8sObject, tuple[str, ...]]] = field(default_factory=list)
    objects: list[K8sObject] = field(default_factory=list)
    producers: list[str | None] = field(default_factory=list)
    problems: list[RenderProblem] = field(default_factory=list)
    inputs: Inputs = field(default_factory=Inputs)
    done: set[tuple] = field(default_factory=set)
    seen: set[tuple] = field(default_factory=set)
    # which GitOps engine applies each object (ha/engine-overlap): identity -> engine -> pointer
    managers: dict[tuple, dict[str, Location]] = field(default_factory=dict)

    def push(self, targets: list[Target], chain: tuple[str, ...]) -> None:
        self.stack.extend((target, chain) for target in reversed(targets))


class Renderer:
    """Renders hubs of one repository; distinct kustomize paths are built once and shared."""

    def __init__(self, root: Path, files: "Mapping[str, SourceFile] | SourceLoader", jobs: int | None = None,
                 cache: BuildCache | None = None, repository: RepositoryIdentity | None = None):
        self.root = root.resolve()
        # what names this repository (git remotes, the policy's `repository`): only sources that
        # are this repository are followed
        self.repository = repository if repository is not None else RepositoryIdentity.of(self.root)
        self.files = files
        self.build_cache = cache  # kustomize outputs kept between runs (None: --no-cache, library use)
        # Neither memory grows with the number of hubs: rendered paths are kept when several hubs
        # ask for them, parsed documents least recently used first (what hubs share stays).
        self._cache: OrderedDict[object, Future] = OrderedDict()
        self._asked: dict[object, int] = {}  # path (or path with Flux fields) -> how many times hubs asked for it
        self._config_objects: dict[tuple[str, str | None, str], list[K8sObject]] | None = None
        self._config_lock = threading.Lock()
        self._documents_by_text: OrderedDict[str, list[dict]] = OrderedDict()  # kustomize output document -> its data
        self._lock = threading.Lock()
        # kustomize processes at once (--jobs, default: cores). Hubs render in their own threads, so
        # while one hub's output is parsed and checked in Python, the next builds already run.
        self._builds = threading.BoundedSemaphore(max(1, jobs or os.cpu_count() or 2))
        self._walking = threading.Lock()
        self._walker = kustomize.Walker(self.root, self._documents)  # a base shared by hubs is read once
        self.builds_started = 0  # kustomize builds begun so far (the engine waits for the first few)
        self._counting = threading.Lock()

    # -- per hub ---------------------------------------------------------------------------
    def render_hub(self, hub: HubPolicy) -> HubRender:
        read_everything: list[bool] = []

        def repository_objects() -> dict[tuple[str, str | None, str], list[K8sObject]]:
            read_everything.append(True)  # any ConfigMap of the repository may answer: no input list says which
            return self._repository_objects()

        walk = _HubWalk(hub.name, Follower(self.root, self.repository, repository_objects))
        walk.push([Target(root.strip("/") or ".", NO_APPLY, None, None) for root in hub.roots], ())
        self._drain(walk)
        # A reference waiting for an object the hub may receive from a path rendered later (its
        # Flux source, an ArtifactGenerator, a substituteFrom ConfigMap) is asked again once the
        # rest is rendered; what still is not there is then a note or a warning.
        while walk.waiting:
            if not self._retry(walk, final=False):
                self._retry(walk, final=True)
            self._drain(walk)
        problems = walk.problems + [RenderProblem(message, location, hub.name, rule)
                                    for message, location, rule in walk.follower.problems]
        if read_everything:
            walk.inputs.absent.add(EVERYTHING)
        return HubRender(HubInventory(hub.name, hub, walk.objects, problems, walk.managers), problems, walk.inputs,
                         list(walk.follower.notes), walk.producers)

    def _repository_objects(self) -> dict[tuple[str, str | None, str], list[K8sObject]]:
        """Every ConfigMap and Secret written in the repository (for a substituteFrom that nothing
        the hub receives provides), read once per run and only when one is asked for."""
        with self._config_lock:
            if self._config_objects is None:
                files = self.files.all() if isinstance(self.files, SourceLoader) else list(self.files.values())
                index: dict[tuple[str, str | None, str], list[K8sObject]] = {}
                for src in files:
                    for doc in src.documents if src.error is None else ():
                        if isinstance(doc.data, dict) and doc.data.get("kind") in ("ConfigMap", "Secret"):
                            obj = K8sObject(doc.data, Location(src.path, doc.line, 1), doc)
                            index.setdefault((obj.kind, obj.namespace, obj.name), []).append(obj)
                self._config_objects = index
            return self._config_objects

    def _retry(self, walk: "_HubWalk", *, final: bool) -> bool:
        waiting, walk.waiting = walk.waiting, []
        progressed = False
        for obj, chain in waiting:
            targets = walk.follower.targets(obj, final)
            if targets is None:
                walk.waiting.append((obj, chain))
            else:
                progressed = True
                walk.push(targets, chain)
        return progressed

    def _drain(self, walk: "_HubWalk") -> None:
        hub = walk.hub
        while walk.stack:
            target, chain = walk.stack.pop()
            rel, apply, via = _normalise(target.path), target.apply, target.location
            if chain and chain[-1] == rel:
                continue  # a Kustomization managing its own folder (flux bootstrap's flux-system) is no cycle
            if rel in chain:
                cycle = " -> ".join((*chain[chain.index(rel):], rel))
                walk.problems.append(RenderProblem(f"cycle of Flux/Argo CD paths: {cycle}", via, hub))
                continue
            engine = engine_of(target.producer)
            key = (rel, apply.key(), engine)  # a path two engines apply is walked for each (ha/engine-overlap)
            if key in walk.done:
                continue
            walk.done.add(key)
            if len(walk.done) > MAX_PATHS_PER_HUB:
                walk.problems.append(RenderProblem(f"more than {MAX_PATHS_PER_HUB} paths to render; stopped (generator too wide?)", via, hub))
                walk.stack.clear()
                walk.waiting.clear()
                return
            directory = (self.root / rel).resolve() if rel != "." else self.root
            if not _inside(directory, self.root):
                walk.problems.append(RenderProblem(f"path {rel!r} leaves the repository (refused)", via, hub))
                continue
            if not directory.is_dir():
                where = via or Location(".hubguard.yaml" if (self.root / ".hubguard.yaml").is_file() else rel, None, None)
                walk.problems.append(RenderProblem(f"path {rel!r} does not exist in the repository", where, hub))
                walk.inputs.absent.add(rel)
                continue
            batch = self._applied(rel, apply, via, walk)
            # One source object reached twice (a folder rendered whole and again through a
            # Kustomization inside it) is one object on the hub, not two.
            new = []
            for obj in batch:
                identity = (obj.kind, obj.namespace, obj.name, obj.source.path, obj.source.line)
                if identity not in walk.seen:
                    walk.seen.add(identity)
                    new.append(obj)
                if engine is not None and via is not None:
                    walk.managers.setdefault(identity, {}).setdefault(engine, via)
            walk.objects.extend(new)
            walk.producers.extend([target.producer] * len(new))
            walk.follower.add(new, entry=not chain)
            for obj in batch:
                if walk.follower.leads(obj):
                    targets = walk.follower.targets(obj, final=False)
                    if targets is None:
                        walk.waiting.append((obj, (*chain, rel)))
                    else:
                        walk.push(targets, (*chain, rel))

    def _applied(self, rel: str, apply: FluxApply, via: Location | None, walk: "_HubWalk") -> list[K8sObject]:
        """The objects of path `rel` as the Flux Kustomization (if any) applies them: its fields
        built in, its variables substituted, its common metadata set."""
        rendered = self._render_path(rel)
        if apply.build is not None:
            rendered = self._with_flux_fields(rel, apply.build)
        walk.inputs.add(rendered.inputs)
        walk.problems.extend(RenderProblem(message, location or via, walk.hub) for message, location in rendered.problems)
        batch = rendered.objects
        if apply.variables.values is not None:
            batch, failed = substituted(batch, apply.variables.values)
            walk.problems.extend(RenderProblem(message, via, walk.hub) for message in failed)
        if apply.metadata is not None:
            batch = [apply.metadata.apply(obj) for obj in batch]
        return batch

    # -- per path (cached across hubs) -------------------------------------------------------
    def _render_path(self, rel: str) -> Rendered:
        return self._once(rel, lambda: self._render_uncached(rel))

    def _once(self, key: object, make: Callable[[], Rendered]) -> Rendered:
        """One path (or one path with a Flux Kustomization's fields) rendered once for all hubs:
        the first hub to need it renders it in its own thread; others wait for that result.
        (Paths only nest downwards, so no wait is circular.)"""
        with self._lock:
            self._asked[key] = self._asked.get(key, 0) + 1
            future = self._cache.get(key)
            mine = future is None
            if mine:
                future = self._cache[key] = Future()
                self._forget_unshared()
        if mine:
            try:
                future.set_result(make())
            except BaseException as exc:
                future.set_exception(exc)
                raise
        return future.result()

    def _with_flux_fields(self, rel: str, build: FluxBuild) -> Rendered:
        return self._once(("flux", rel, build), lambda: self._build_flux_fields(rel, build))

    def _build_flux_fields(self, rel: str, build: FluxBuild) -> Rendered:
        """Path `rel` built once more with the kustomization fields a Flux Kustomization adds
        (hubguard.render.flux_build); each object keeps its source."""
        base = self._render_path(rel)
        out = Rendered(problems=list(base.problems))
        out.inputs.add(base.inputs)
        if not base.objects:
            return out
        components: list[Path] = []
        for component in build.components:
            directory = (self.root / _normalise(join(rel, component))).resolve()
            if kustomize.is_remote(component) or not _inside(directory, self.root):
                out.problems.append((f"component {component!r} of the Flux Kustomization is not a folder of this repository (refused)", None))
                return out
            if kustomize.kustomization_file(directory) is None:
                out.inputs.absent.add(directory.relative_to(self.root).as_posix())
                if build.ignore_missing_components:
                    continue
                out.problems.append((f"component {component!r} of the Flux Kustomization does not exist", None))
                return out
            with self._walking:
                graph = self._walker.walk(directory)
            out.inputs.files |= graph.files
            out.inputs.absent |= graph.absent
            if graph.refused or graph.missing:
                out.problems.extend(graph.refused + graph.missing)
                return out
            components.append(directory)
        documents = [_indexed(obj.data, index) for index, obj in enumerate(base.objects)]
        with self._builds:
            result = kustomize.build_with_fields(documents, build.kustomization(), components, self.root)
        if result.error is not None:
            out.problems.append((f"the Flux Kustomization's fields do not build: {result.error}", None))
            return out
        made_by_component = Location(kustomize.kustomization_file(components[0]).relative_to(self.root).as_posix(), None, None) if components else Location("", None, None)
        for data in yaml.load_all(result.output or "", Loader=_FastLoader):
            if not isinstance(data, dict):
                continue
            index = _pop_index(data)
            if index is None or not 0 <= index < len(base.objects):
                out.objects.append(K8sObject(data, made_by_component))
                continue
            source = base.objects[index]
            out.objects.append(K8sObject(data, source.source, source.document, source.overrides, source.generated))
        return out

    def _forget_unshared(self) -> None:
        """Paths several hubs asked for (shared bases, common infrastructure) stay for the run;
        of the paths only one hub asked for so far (its own overlay), the most recent few stay in
        case another hub asks too. So the renders kept do not grow with the number of hubs."""
        unshared = [key for key, future in self._cache.items() if self._asked[key] < 2 and future.done()]
        for key in unshared[: max(0, len(unshared) - KEPT_UNSHARED_PATHS)]:
            del self._cache[key]

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
            graph = self._walker.walk(directory)
        out.inputs.files |= graph.files
        out.inputs.absent |= graph.absent
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
        with self._counting:
            self.builds_started += 1

    def _parsed(self, output: str) -> list[dict]:
        """kustomize's output as objects. Hubs mostly receive the same objects from shared bases, and
        kustomize prints each object as one `---`-separated document, so each distinct document text
        is parsed once per run and its data shared between hubs (nothing edits rendered data; a
        substituted object is a new one). A piece that does not parse alone sends the whole output
        through the plain parse, which reports the error as before."""
        objects: list[dict] = []
        for chunk in output.split("\n---\n"):
            with self._lock:
                parsed = self._documents_by_text.get(chunk)
                if parsed is not None:
                    self._documents_by_text.move_to_end(chunk)
            if parsed is None:
                try:
                    parsed = [d for d in yaml.load_all(chunk, Loader=_FastLoader) if isinstance(d, dict)]
                except yaml.YAMLError:
                    return [d for d in yaml.load_all(output, Loader=_FastLoader) if isinstance(d, dict)]
                with self._lock:
                    self._documents_by_text[chunk] = parsed
                    _forget_oldest(self._documents_by_text, KEPT_DOCUMENTS)
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
        out.inputs.listed.add(directory.relative_to(self.root).as_posix() if directory != self.root else ".")
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
                    out.inputs.add(built.inputs)
            for name in sorted(filenames):
                if not name.lower().endswith((".yaml", ".yml", ".json")):
                    continue
                rel = (here / name).relative_to(self.root).as_posix()
                src = self.files.get(rel)
                if src is None:
                    continue
                out.inputs.files.add(rel)
                for doc in src.documents:
                    if isinstance(doc.data, dict) and doc.data.get("kind") and doc.data.get("apiVersion"):
                        out.objects.append(K8sObject(_copy(doc.data), Location(rel, doc.line, 1), doc))
        return out


def _forget_oldest(memory: OrderedDict, limit: int) -> None:
    """Drop the least recently used entries of `memory` beyond `limit`."""
    while len(memory) > limit:
        del memory[next(iter(memory))]


def _normalise(rel: str) -> str:
    rel = rel.strip()
    norm = os.path.normpath(rel.lstrip("/")) if rel not in ("", ".", "./") else "."
    return norm.replace(os.sep, "/")


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _indexed(data: dict, index: int) -> dict:
    """`data` marked with its place in the path's objects, to find its source after a build."""
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}
    return {**data, "metadata": {**metadata, "annotations": {**annotations, INDEX_ANNOTATION: str(index)}}}


def _pop_index(data: dict) -> int | None:
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}
    raw = annotations.pop(INDEX_ANNOTATION, None)
    if not annotations and "annotations" in metadata:
        del metadata["annotations"]
    return int(raw) if isinstance(raw, str) and raw.isdigit() else None


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


