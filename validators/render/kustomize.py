"""Kustomize: walking a kustomization's local graph (without building it) and building it for real.

The walk finds what a build will read, so that hubguard can refuse remote bases and paths that
leave the repository *before* kustomize would fetch or read them, and so that overlay patches are
known (a finding about a patched field points at the patch). The build runs the real kustomize
(`kubectl kustomize`) on a throw-away wrapper kustomization outside the user's tree, which turns
on `buildMetadata: [originAnnotations]` without writing into the repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from hubguard.findings import Location
from hubguard.load.embedded import embedded_documents
from hubguard.load.sources import parse_yaml
from hubguard.model import Document
from hubguard.render.tools import find_tool, run_tool

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
BUILD_TIMEOUT_SECONDS = 60
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git::|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|[?&]ref=", re.I)
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"


def kustomization_file(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def is_remote(ref: str) -> bool:
    return bool(_REMOTE.search(ref.strip()))


@dataclass(frozen=True)
class Generator:
    """A configMapGenerator/secretGenerator entry: what it makes and where it is written."""

    kind: str  # ConfigMap | Secret
    name: str
    hashed: bool  # kustomize appends a content hash to the name unless disableNameSuffixHash
    document: Document
    keys: tuple  # path of the entry's `name` in the kustomization document


@dataclass
class KustomizeGraph:
    """What building one root reads: its files, its resource manifests and generators (to match
    rendered objects to their source), its patch documents (in application order), the name
    prefixes/suffixes it applies, and the references hubguard refuses (remote, outside the repository)."""

    files: set[str] = field(default_factory=set)
    resources: list[str] = field(default_factory=list)
    generators: list[Generator] = field(default_factory=list)
    patches: list[Document] = field(default_factory=list)
    prefixes: set[str] = field(default_factory=set)
    suffixes: set[str] = field(default_factory=set)
    refused: list[tuple[str, Location]] = field(default_factory=list)
    missing: list[tuple[str, Location]] = field(default_factory=list)  # local files named but absent
    # Paths the walk looked for and did not find (a kustomization name tried before the one found,
    # a resource, patch or other named file that is absent): a file appearing or vanishing at or
    # under one of them changes the build although no file in `files` changed (--changed-since).
    absent: set[str] = field(default_factory=set)


DocumentLoader = Callable[[str, Path], "list[Document] | None"]


def read_documents(rel: str, path: Path) -> list[Document] | None:
    """Documents of a file read from disk (None if it cannot be read or does not parse)."""
    try:
        docs, error = parse_yaml(rel, path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        return None
    return docs if error is None else None


def walk(directory: Path, repo_root: Path, load: DocumentLoader = read_documents) -> KustomizeGraph:
    """The local graph of the kustomization in `directory`. `load` returns a file's parsed
    documents (the engine passes the files it has already loaded, so nothing is parsed twice)."""
    return Walker(repo_root, load).walk(directory)


_Step = "str | KustomizeGraph"  # a folder to walk into, or what the folder itself contributes


class Walker:
    """Walks the kustomizations of one repository; each folder is read once for all walks.

    What a folder contributes to a walk (its kustomization's files, resources, generators,
    patches, the references refused or missing, the folders it includes, in kustomize's order)
    depends on the folder alone: paths are resolved from the folder itself, and the repository
    root and loader are the walker's. Only whether a folder is walked at all depends on the walk
    (once per walk: a folder reached twice, or a cycle, adds nothing the second time), so that
    part is redone for every walk from the folders' steps: 20 hubs whose overlays share 100 bases
    read each base once, not 20 times, with exactly the graphs of separate walks.

    Folders included by another kustomization are remembered for the walker's life (one run); the
    folder a walk starts from is not (a hub's own overlay is walked once), so that what is kept
    grows with the shared bases, not with the number of hubs.
    """

    def __init__(self, repo_root: Path, load: DocumentLoader = read_documents):
        self._root = str(repo_root.resolve())
        self._root_slash = self._root.rstrip("/") + "/"
        self._load = load
        self._resolve = _Resolver()
        self._steps: dict[str, list] = {}

    def walk(self, directory: Path) -> KustomizeGraph:
        graph = KustomizeGraph()
        start = str(directory.resolve())
        seen = {start}
        for step in self._steps.get(start) or self._folder_steps(start):
            self._add(step, graph, seen)
        return graph

    def _add(self, step: "_Step", graph: KustomizeGraph, seen: set[str]) -> None:
        if not isinstance(step, str):
            _merge(graph, step)
            return
        if step in seen:
            return
        seen.add(step)
        steps = self._steps.get(step)
        if steps is None:
            steps = self._steps[step] = self._folder_steps(step)
        for inner in steps:
            self._add(inner, graph, seen)

    def _rel(self, path: str) -> str | None:
        """`path` (absolute, normalised) relative to the repository root; None outside it."""
        if path == self._root:
            return "."
        return path[len(self._root_slash):] if path.startswith(self._root_slash) else None

    def _folder_steps(self, directory: str) -> list:
        """What `directory`'s kustomization contributes, in order: graphs of its own parts and the
        folders it includes (resources, bases, components), each to be walked where it is named."""
        steps: list = []
        own = KustomizeGraph()
        steps.append(own)
        kfile = None
        for name in KUSTOMIZATION_FILES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                kfile = candidate
                break
            if (rel := self._rel(candidate)) is not None:  # a name kustomize tried before the one it uses
                own.absent.add(rel)
        if kfile is None:
            return steps
        krel = self._rel(kfile) or os.path.basename(kfile)
        own.files.add(krel)
        docs = self._load(krel, Path(kfile))
        if not docs or not isinstance(docs[0].data, dict):
            return steps  # kustomize will report it when building
        doc = docs[0]
        data = doc.data

        def at(*keys) -> Location:  # positions only for what is reported: they cost a round-trip parse
            line, column = doc.position(*keys)
            return Location(krel, line, column)

        def local(ref: str, keys: tuple, into: KustomizeGraph) -> str | None:
            if is_remote(ref):
                into.refused.append((f"remote reference {ref!r} refused: hubguard never fetches remote bases; vendor it into the repository", at(*keys)))
                return None
            target = self._resolve(os.path.join(directory, ref))
            if self._rel(target) is None:
                into.refused.append((f"reference {ref!r} leaves the repository (refused)", at(*keys)))
                return None
            return target

        for key, found in (("namePrefix", own.prefixes), ("nameSuffix", own.suffixes)):
            if isinstance(data.get(key), str) and data[key]:
                found.add(data[key])
        part = own
        for key in ("resources", "bases", "components"):
            for index, ref in enumerate(_strings(data.get(key))):
                target = local(ref, (key, index), part)
                if target is None:
                    continue
                if os.path.isdir(target):
                    steps.append(target)
                    part = KustomizeGraph()
                    steps.append(part)
                elif not os.path.exists(target):
                    part.missing.append((f"{key} entry {ref!r} does not exist", at(key, index)))
                    part.absent.add(self._rel(target))
                else:
                    rel = self._rel(target)
                    part.files.add(rel)
                    part.resources.append(rel)
        options = data.get("generatorOptions") if isinstance(data.get("generatorOptions"), dict) else {}
        for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            for gindex, gen in enumerate(data.get(key) or []):
                if not isinstance(gen, dict):
                    continue
                mine = gen.get("options") if isinstance(gen.get("options"), dict) else {}
                hashed = not mine.get("disableNameSuffixHash", options.get("disableNameSuffixHash", False))
                if isinstance(gen.get("name"), str):
                    part.generators.append(Generator(kind, gen["name"], bool(hashed), doc, (key, gindex, "name")))
                for fkey in ("files", "envs"):
                    for findex, ref in enumerate(_strings(gen.get(fkey))):
                        ref = ref.split("=", 1)[-1]
                        target = local(ref, (key, gindex, fkey, findex), part)
                        if target is not None:
                            part.files.add(self._rel(target))
                if isinstance(gen.get("env"), str):
                    target = local(gen["env"], (key, gindex, "env"), part)
                    if target is not None:
                        part.files.add(self._rel(target))
        # Patches in the order kustomize applies them: a file (`path:`) or written inline (`patch: |`,
        # a multi-line `patchesStrategicMerge` entry), whose fields are located at their own lines here.
        patch_refs: list[tuple[str, tuple]] = []
        for index, item in enumerate(data.get("patches") or []):
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                patch_refs.append((item["path"], ("patches", index, "path")))
            elif isinstance(item, dict) and isinstance(item.get("patch"), str):
                patch_refs.append((item["patch"], ("patches", index, "patch")))
        for index, item in enumerate(data.get("patchesStrategicMerge") or []):
            if isinstance(item, str):
                patch_refs.append((item, ("patchesStrategicMerge", index)))
        for index, item in enumerate(data.get("patchesJson6902") or []):
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                patch_refs.append((item["path"], ("patchesJson6902", index, "path")))
        named_files = [(ref, (key, index)) for key in ("generators", "transformers", "validators", "crds", "configurations")
                       for index, ref in enumerate(_strings(data.get(key)))]
        for key in ("replacements",):
            for index, item in enumerate(data.get(key) or []):
                if isinstance(item, dict) and isinstance(item.get("path"), str):
                    named_files.append((item["path"], (key, index, "path")))
        openapi = data.get("openapi")
        if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
            named_files.append((openapi["path"], ("openapi", "path")))
        for ref, keys in named_files:
            target = local(ref, keys, part)
            if target is None:
                continue
            if os.path.isfile(target):
                part.files.add(self._rel(target))
            elif not os.path.exists(target):
                part.absent.add(self._rel(target))
        kustomization_lines: list[str] = []

        def lines() -> list[str]:
            if not kustomization_lines:
                with open(kfile, encoding="utf-8-sig") as handle:
                    kustomization_lines.extend(handle.read().splitlines())
            return kustomization_lines

        for ref, keys in patch_refs:
            if "\n" in ref.strip() or keys[-1] == "patch":
                inline = embedded_documents(doc, keys, ref, lines)
                part.patches.extend(d for d in inline if isinstance(d.data, dict) and d.data.get("kind"))
                continue
            target = local(ref, keys, part)
            if target is None:
                continue
            if not os.path.isfile(target):
                part.missing.append((f"patch file {ref!r} does not exist", at(*keys)))
                part.absent.add(self._rel(target))
                continue
            rel = self._rel(target)
            part.files.add(rel)
            patch_docs = self._load(rel, Path(target))
            if patch_docs:
                part.patches.extend(d for d in patch_docs if isinstance(d.data, dict) and d.data.get("kind"))
        return steps


def _merge(graph: KustomizeGraph, part: KustomizeGraph) -> None:
    graph.files |= part.files
    graph.resources += part.resources
    graph.generators += part.generators
    graph.patches += part.patches
    graph.prefixes |= part.prefixes
    graph.suffixes |= part.suffixes
    graph.refused += part.refused
    graph.missing += part.missing
    graph.absent |= part.absent


class _Resolver:
    """`os.path.realpath()` (as `Path.resolve()` does it) with the parent folders' real paths
    remembered for the walker's life.

    A root's references mostly share a few parent folders (`../base/app-001`, `../base/app-002`, a
    base's own files); Python's realpath costs an lstat per path component, which over a large
    graph was a visible share of the walk. Only the last component is looked at per reference, and
    only a symlink there falls back to the full resolution, so the result is exactly `resolve()`.
    Strings, not `Path`s: building a Path per reference was itself a third of the walk.
    """

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        parent, name = os.path.split(path)
        if name in ("", ".", "..") or not parent:
            return str(Path(path).resolve())
        real_parent = self._folders.get(parent)
        if real_parent is None:
            real_parent = self._folders[parent] = os.path.realpath(parent)
        candidate = os.path.join(real_parent, name)
        try:
            if os.path.islink(candidate):
                return str(Path(candidate).resolve())
        except OSError:
            return str(Path(path).resolve())
        return candidate


def _strings(value) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


@dataclass
class BuildResult:
    output: str | None
    error: str | None
    wrapper: Path | None = None  # where origin paths are relative to (already removed)


def build(directory: Path, repo_root: Path, *, origins: bool = False, timeout: float = BUILD_TIMEOUT_SECONDS) -> BuildResult:
    """`kubectl kustomize` of `directory`.

    With `origins`, through a throw-away wrapper kustomization outside the repository that turns on
    `buildMetadata: [originAnnotations]` (each object then names its source file). kustomize's cost
    for that grows much faster than the number of objects, so it is only the fallback for roots
    whose objects cannot be matched to their sources otherwise.

    Never passes --enable-alpha-plugins, --enable-exec or --enable-helm, and leaves the load
    restrictor at its default, so that nothing in the repository is executed or read from outside it.
    """
    wrapper = Path(tempfile.mkdtemp(prefix="hubguard-build-")) if origins else None
    try:
        target = directory
        if wrapper is not None:
            rel = os.path.relpath(directory, wrapper)
            (wrapper / "kustomization.yaml").write_text(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                f"resources:\n- {_quote(rel)}\nbuildMetadata: [originAnnotations]\n",
                encoding="utf-8",
            )
            target = wrapper
        ran = _kubectl_kustomize(target, timeout)
        if isinstance(ran, str):
            return BuildResult(None, ran, wrapper)
        if ran.returncode != 0:
            return BuildResult(None, _clean_error(ran.stderr, wrapper, directory, repo_root), wrapper)
        return BuildResult(ran.stdout, None, wrapper)
    finally:
        if wrapper is not None:
            shutil.rmtree(wrapper, ignore_errors=True)


def build_with_fields(documents: list[dict], fields: dict[str, Any], components: list[Path], repo_root: Path, *,
                      timeout: float = BUILD_TIMEOUT_SECONDS) -> BuildResult:
    """kustomize build of objects already rendered, with more kustomization fields (those a Flux
    Kustomization adds), in a throw-away folder outside the repository. `components` are folders
    of the repository (already walked: nothing they name leaves it)."""
    folder = Path(tempfile.mkdtemp(prefix="hubguard-flux-"))
    try:
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        (folder / "objects.yaml").write_text(yaml.dump_all(documents, Dumper=dumper, sort_keys=False), encoding="utf-8")
        kustomization: dict[str, Any] = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                                         "resources": ["objects.yaml"], **fields}
        if components:
            kustomization["components"] = [os.path.relpath(component, folder) for component in components]
        (folder / "kustomization.yaml").write_text(json.dumps(kustomization), encoding="utf-8")  # JSON is YAML
        ran = _kubectl_kustomize(folder, timeout)
        if isinstance(ran, str):
            return BuildResult(None, ran)
        if ran.returncode != 0:
            return BuildResult(None, _clean_error(ran.stderr, folder, folder, repo_root))
        return BuildResult(ran.stdout, None)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _kubectl_kustomize(target: Path, timeout: float) -> "subprocess.CompletedProcess[str] | str":
    """`kubectl kustomize target`, or why it did not finish."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUSTOMIZE_", "KUBECTL_"))}
    # A build is short-lived: collecting garbage at 5x the live heap instead of Go's default 2x
    # saves about 15% of kustomize's CPU on large roots (bench/README.md); the soft memory limit
    # keeps a huge root from growing without bound. Settings the user made are kept.
    env.setdefault("GOGC", "400")
    env.setdefault("GOMEMLIMIT", "512MiB")
    env.update({"GIT_TERMINAL_PROMPT": "0", "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
                "NO_PROXY": "", "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"})
    try:
        return run_tool([find_tool("kubectl"), "kustomize", str(target)], timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return f"kustomize build did not finish within {timeout:g} s"


def _quote(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _clean_error(stderr: str, wrapper: Path | None, directory: Path, repo_root: Path) -> str:
    """kustomize's message without klog prefixes and without this machine's paths."""
    text = " ".join(stderr.split())
    match = re.search(r'err="(.*)"\s*$', text)
    if match:
        text = match.group(1).replace('\\"', '"')
    text = re.sub(r"^E\d{4} [\d:.]+\s+\d+ \S+\] ", "", text)
    if wrapper is not None:
        text = text.replace(str(wrapper) + "/", "").replace(str(wrapper), "")
        text = text.replace(os.path.relpath(directory, wrapper), directory.name)
        text = text.replace("accumulating resources: accumulation err='accumulating resources from '" + directory.name + "': ", "")
    for root in {str(repo_root), str(repo_root.resolve())}:
        text = text.replace(root + "/", "").replace(root, ".")
    return text[:500] or "kustomize build failed"
