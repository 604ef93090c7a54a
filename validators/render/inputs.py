"""What each hub's render reads, found without building it: `--changed-since` and `--staged` render
only the hubs whose inputs a change touches, so planning must cost next to nothing.

The walk is the renderer's own (`Renderer.render_hub`): the same roots, kustomize graphs, plain Flux
folders, Flux Kustomization and Argo CD paths, loops and limits. Only kustomize is not run: where
the renderer follows the Flux Kustomizations and Argo CD apps of a build's output, this follows
those of the build's source documents (its resources), which is where the output's come from.

That holds unless the build can rewrite a followed path, or following reads more than files: a
patch or replacement that can reach a Flux or Argo CD object, a path holding a Flux variable
(`${CLUSTER}`, set by a parent's post-build substitution), a Flux Kustomization's own kustomize
fields, an Argo CD folder generator or a Flux ArtifactGenerator, a substituteFrom answered from
outside the hub. Such a hub is taken to read every file: it is always rendered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from hubguard.findings import Location
from hubguard.load.sources import SourceLoader
from hubguard.model import Document, K8sObject, SourceFile
from hubguard.policy import HubPolicy
from hubguard.render import kustomize
from hubguard.render.gitops_sources import RepositoryIdentity
from hubguard.render.hubs import EVERYTHING, Inputs, Rendered, Renderer

FOLLOWED = {("kustomize.toolkit.fluxcd.io", "Kustomization"), ("argoproj.io", "Application"),
            ("argoproj.io", "ApplicationSet")}
BEYOND_FILES = {("argoproj.io", "ApplicationSet"), ("source.extensions.fluxcd.io", "ArtifactGenerator")}
_MARKERS = ("fluxcd.io", "argoproj.io")  # a file without either holds nothing to follow


class InputGraph(Renderer):
    """Hub inputs of one repository's current files; distinct paths are walked once for all hubs."""

    def __init__(self, root: Path, files: "Mapping[str, SourceFile] | SourceLoader",
                 repository: RepositoryIdentity | None = None):
        # `repository`: what names this repository, as the renders see it (the policy's
        # `repository.urls` and `sources` included), so that the walk follows what they follow.
        super().__init__(root, files, jobs=1, repository=repository)
        self._outside = False
        self._walker = kustomize.Walker(self.root, self._documents_to_plan)

    def inputs(self, hub: HubPolicy) -> Inputs:
        """One hub at a time (a flag marks a walk that looked outside the hub)."""
        self._outside = False
        inputs = self.render_hub(hub).inputs
        if self._outside:
            inputs.absent.add(EVERYTHING)
        return inputs

    def _repository_objects(self):
        self._outside = True  # a substituteFrom that nothing the hub receives provides
        return super()._repository_objects()

    def _build_flux_fields(self, rel: str, build) -> Rendered:
        base = self._render_path(rel)
        out = Rendered(objects=list(base.objects), problems=list(base.problems))
        out.inputs.add(base.inputs)
        out.inputs.absent.add(EVERYTHING)  # patches, components, images of a Flux Kustomization: not modelled here
        return out

    def _render_uncached(self, rel: str) -> Rendered:
        directory = self.root / rel if rel != "." else self.root
        if kustomize.kustomization_file(directory) is None:
            rendered = self._plain_directory(directory)
        else:
            graph = self._walker.walk(directory)
            rendered = Rendered(inputs=Inputs(set(graph.files), set(graph.absent)))
            rendered.objects = [obj for path in graph.resources for obj in self._followed_objects(path)]
            if rendered.objects and _may_rewrite(graph, self._documents):
                rendered.inputs.absent.add(EVERYTHING)
        if any(_variable_path(obj) or _group_kind(obj.data) in BEYOND_FILES for obj in rendered.objects):
            rendered.inputs.absent.add(EVERYTHING)
        return rendered

    def _documents_to_plan(self, rel: str, path: Path | None = None) -> list[Document]:
        """What the walk reads of a file. Of a patch, planning needs only the documents that may
        reach a Flux or Argo CD object (`_may_rewrite`), so a patch file that names neither is not
        parsed: 20 overlays of 100 patches each were most of the planning's time."""
        if rel.rsplit("/", 1)[-1] not in kustomize.KUSTOMIZATION_FILES:
            src = self.files.get(rel)
            text = src.text if src is not None else _read(path or self.root / rel)
            if not text or not any(marker in text for marker in _MARKERS):
                return []
        return self._documents(rel, path)

    def _followed_objects(self, rel: str) -> list[K8sObject]:
        src = self.files.get(rel)
        text = src.text if src is not None else _read(self.root / rel)
        if not text or not any(marker in text for marker in _MARKERS):
            return []
        documents = src.documents if src is not None else kustomize.read_documents(rel, self.root / rel) or []
        return [K8sObject(doc.data, Location(rel, doc.line, 1), doc) for doc in documents if _gitops(doc.data)]


def _group_kind(data: Any) -> tuple[str, str]:
    if not isinstance(data, dict):
        return "", ""
    return str(data.get("apiVersion") or "").rsplit("/", 1)[0], str(data.get("kind") or "")


def _gitops(data: Any) -> bool:
    """A Flux or Argo CD object: what is followed, and the sources it is followed through."""
    group = _group_kind(data)[0]
    return group.endswith("fluxcd.io") or group == "argoproj.io"


def _followed(data: Any) -> bool:
    return _group_kind(data) in FOLLOWED


def _variable_path(obj: K8sObject) -> bool:
    """A followed path that holds a Flux variable: only the substituted build knows where it leads."""
    spec = obj.get("spec")
    sources = []
    if isinstance(spec, dict):
        sources = [spec, spec.get("source"), *(spec.get("sources") or [])]
        template = (spec.get("template") or {}).get("spec") if isinstance(spec.get("template"), dict) else None
        if isinstance(template, dict):
            sources += [template.get("source"), *(template.get("sources") or [])]
    return any(isinstance(s, dict) and "${" in str(s.get("path") or "") for s in sources)


def _may_rewrite(graph: kustomize.KustomizeGraph, documents) -> bool:
    """Whether a patch or replacement of this build can reach a Flux Kustomization or an Argo CD app
    (`graph.patches` holds the patch documents, files and inline ones)."""
    if any(_gitops(doc.data) for doc in graph.patches):
        return True
    for rel in graph.files:
        if rel.rsplit("/", 1)[-1] not in kustomize.KUSTOMIZATION_FILES:
            continue
        for doc in documents(rel) or []:
            data = doc.data if isinstance(doc.data, dict) else {}
            if data.get("replacements"):
                return True
            for entry in [*(data.get("patches") or []), *(data.get("patchesJson6902") or [])]:
                if not isinstance(entry, dict):
                    continue
                target = entry.get("target")  # JSON 6902 patches name their target here, not in a document
                if isinstance(target, dict) and target.get("kind") in (None, *(kind for _, kind in FOLLOWED)):
                    return True
    return False


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
