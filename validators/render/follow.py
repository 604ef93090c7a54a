"""Where the Flux Kustomizations and Argo CD Applications a hub receives lead: the paths of this
repository to render next, how Flux applies each (hubguard.render.flux_build,
hubguard.render.flux_postbuild), and a note for every reference that is not followed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from hubguard.findings import Location
from hubguard.model import K8sObject
from hubguard.render.artifacts import ArtifactIndex
from hubguard.render.flux_build import CommonMetadata, FluxBuild
from hubguard.render.flux_postbuild import NO_VARIABLES, Variables, flux_variables
from hubguard.render.gitops_sources import (
    Followed, NotFollowed, RepositoryIdentity, SourceResolver, Unknown, chart_ref, join,
)

MAX_GENERATED_PATHS = 200  # an ApplicationSet generator enumerating more folders is refused
UNRESOLVED_REFERENCE = "schema/unresolved-reference"
RENDER_ERROR = "schema/render-error"


@dataclass(frozen=True)
class FluxApply:
    """How a Flux Kustomization applies its path: the kustomization fields it adds, its post-build
    variables, and the metadata it sets on every object."""

    variables: Variables = NO_VARIABLES
    build: FluxBuild | None = None
    metadata: CommonMetadata | None = None

    def key(self) -> tuple:
        return (self.variables.key(), self.build, self.metadata)


NO_APPLY = FluxApply()


@dataclass(frozen=True)
class Target:
    path: str  # relative to the repository root
    apply: FluxApply
    location: Location | None  # the field that points there (None: a hub root)
    producer: str | None  # the Kustomization or Application, `Kind/namespace/name` (None: a hub root)


@dataclass
class Follower:
    """One hub's view of its GitOps objects so far, and what each of them leads to."""

    root: Path
    identity: RepositoryIdentity
    # the repository's ConfigMaps and Secrets by (kind, namespace, name), built on first use
    repository_objects: Callable[[], dict[tuple[str, str | None, str], list[K8sObject]]] = lambda: {}
    index: dict[tuple[str, str | None, str], K8sObject] = field(default_factory=dict)
    objects: list[K8sObject] = field(default_factory=list)
    artifacts: ArtifactIndex = field(default_factory=ArtifactIndex)
    notes: list[str] = field(default_factory=list)
    problems: list[tuple[str, Location | None, str]] = field(default_factory=list)  # message, where, rule

    def add(self, batch: list[K8sObject], entry: bool) -> None:
        """Objects the hub receives; `entry`: written in the hub's roots (they bootstrap it)."""
        if entry:
            self.identity = self.identity.learn_bootstrap(batch)
        for obj in batch:
            self.index.setdefault((obj.kind, obj.namespace, obj.name), obj)
        self.objects.extend(batch)
        self.artifacts.add(batch)

    def leads(self, obj: K8sObject) -> bool:
        return (obj.group == "kustomize.toolkit.fluxcd.io" and obj.kind == "Kustomization") or (
            obj.group == "argoproj.io" and obj.kind in ("Application", "ApplicationSet")) or (
            obj.group == "helm.toolkit.fluxcd.io" and obj.kind == "HelmRelease")

    def targets(self, obj: K8sObject, final: bool) -> list[Target] | None:
        """Where `obj` leads; None while it waits for an object the hub may still receive (its
        source, or a required `substituteFrom`), unless `final`."""
        resolver = SourceResolver(self.identity, self.index)
        if obj.kind == "Kustomization":
            return self._flux(obj, resolver, final)
        if obj.kind == "HelmRelease":
            key = "chart" if obj.get("spec", "chart") else "chartRef" if obj.get("spec", "chartRef") else None
            self._not_followed(obj.locate("spec", key) if key else obj.source,
                               f"{self._chart(obj)} of {obj.ref} is not rendered (the HelmRelease is checked as an object)")
            return []
        if obj.kind == "Application":
            return list(self._argo(obj, ("spec",), resolver))
        return list(self._appset(obj, resolver))

    def _chart(self, release: K8sObject) -> str:
        """What a HelmRelease installs, for its note: its chart template's chart, or what the source
        its `chartRef` names holds."""
        chart = release.get("spec", "chart", "spec", "chart")
        if chart:
            return f"the chart {str(chart)!r}"
        ref = chart_ref(release, self._find)
        if ref is None:
            return "the chart '?'"
        if not ref.url:
            return f"the chart of {ref.source}"
        return f"the chart {ref.url + (f':{ref.version}' if ref.version else '')!r} ({ref.source})"

    def _find(self, kind: str, namespace: str | None, name: str) -> K8sObject | None:
        return self.index.get((kind, namespace, name)) or self.index.get((kind, None, name))

    def _in_repository(self, kind: str, namespace: str | None, name: str) -> K8sObject | None:
        """The one document of the repository defining `kind` `namespace/name` (none when several
        do: which one the cluster holds is not known)."""
        objects = self.repository_objects()
        found = objects.get((kind, namespace, name), []) + objects.get((kind, None, name), [])
        return found[0] if len(found) == 1 else None

    def _not_followed(self, location: Location, reason: str) -> None:
        where = f"{location.path}:{location.line}: " if location.line else f"{location.path}: " if location.path else ""
        note = f"{where}not followed: {reason}"
        if note not in self.notes:
            self.notes.append(note)

    def _flux(self, obj: K8sObject, resolver: SourceResolver, final: bool) -> list[Target] | None:
        found = resolver.flux(obj, self.artifacts)
        at = obj.locate("spec", "sourceRef")
        if isinstance(found, Unknown):
            if not final:
                return None
            self._not_followed(at, f"source {found.source} of {obj.ref} is not defined in what this hub receives")
            return []
        if isinstance(found, NotFollowed):
            self._not_followed(at, found.note)
            return []
        variables = flux_variables(obj, self._find)
        if variables.missing and not final:
            return None
        if variables.missing:  # nothing the hub receives defines them: a document of the repository may
            variables = flux_variables(obj, lambda kind, ns, name: self._find(kind, ns, name) or self._in_repository(kind, ns, name))
        for ref in variables.missing:
            self.problems.append((f"Flux substituteFrom {ref.ref} of {obj.ref} is not optional and nothing this hub "
                                  "receives from Git provides it: Flux fails the Kustomization until it exists "
                                  "(its objects are checked unsubstituted)", ref.location, UNRESOLVED_REFERENCE))
        if variables.invalid:
            self.problems.append((f"Flux post-build substitution of {obj.ref} fails: {variables.invalid}",
                                  obj.locate("spec", "postBuild"), RENDER_ERROR))
        for ref in variables.encrypted:
            self._not_followed(ref.location, f"the values of {ref.ref} are SOPS-encrypted; its variables are "
                                             "rendered as <sops-encrypted:NAME> placeholders")
        apply = FluxApply(variables, FluxBuild.of(obj), CommonMetadata.of(obj))
        return [Target(found.path, apply, obj.locate("spec", "path"), obj.ref)]

    def _argo(self, obj: K8sObject, spec_path: tuple, resolver: SourceResolver,
              generator_urls: tuple[str, ...] = ()) -> Iterable[Target]:
        spec = obj.get(*spec_path)
        if not isinstance(spec, dict):
            return
        sources = [(spec["source"], (*spec_path, "source"))] if isinstance(spec.get("source"), dict) else []
        sources += [(s, (*spec_path, "sources", i)) for i, s in enumerate(spec.get("sources") or []) if isinstance(s, dict)]
        for source, keys in sources:
            found = resolver.argo(obj, source, generator_urls)
            if found is None:
                continue
            if isinstance(found, NotFollowed):
                self._not_followed(obj.locate(*keys), found.note)
                continue
            assert isinstance(found, Followed)
            if "{{" not in found.path and (self.root / found.path.lstrip("/") / "Chart.yaml").is_file():
                self._not_followed(obj.locate(*keys, "path"), f"the Helm chart at {found.path} ({obj.ref}) is not rendered")
                continue
            for option in ("kustomize", "directory", "plugin", "helm"):
                if source.get(option):
                    self._not_followed(obj.locate(*keys, option), f"the `{option}` options of {obj.ref}'s source are not applied")
            yield Target(found.path, NO_APPLY, obj.locate(*keys, "path"), obj.ref)

    def _appset(self, obj: K8sObject, resolver: SourceResolver) -> Iterable[Target]:
        generators = [g for g in obj.get("spec", "generators", default=[]) or [] if isinstance(g, dict)]
        urls = tuple(g["git"]["repoURL"] for g in generators if isinstance(g.get("git"), dict) and isinstance(g["git"].get("repoURL"), str))
        template = list(self._argo(obj, ("spec", "template", "spec"), resolver, urls))
        literal = [t for t in template if "{{" not in t.path]
        yield from literal
        if len(literal) == len(template):
            return
        for gindex, gen in enumerate(generators):
            git = gen.get("git") if isinstance(gen.get("git"), dict) else {}
            for dindex, entry in enumerate(git.get("directories") or []):
                if not isinstance(entry, dict) or entry.get("exclude") or not isinstance(entry.get("path"), str):
                    continue
                location = obj.locate("spec", "generators", gindex, "git", "directories", dindex, "path")
                matches = [m for m in sorted(self.root.glob(entry["path"].lstrip("/"))) if m.is_dir() and _inside(m.resolve(), self.root)]
                if len(matches) > MAX_GENERATED_PATHS:
                    self.problems.append((f"generator path {entry['path']!r} enumerates {len(matches)} folders, more than "
                                          f"{MAX_GENERATED_PATHS}; not rendered", location, RENDER_ERROR))
                    continue
                for match in matches:
                    yield Target(match.relative_to(self.root).as_posix(), NO_APPLY, location, obj.ref)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


__all__ = ["FluxApply", "Follower", "NO_APPLY", "Target", "join"]
