"""Which Flux sources and Argo CD repositories are this repository, in one place for both.

A Flux Kustomization or an Argo CD Application may point at any Git repository, OCI artifact or
Helm chart; only what is this repository, at the revision being validated, can be rendered from
the work tree. Everything else is not followed, and says so in a note (SPEC "Hubs, rendering and
classification"). This repository is:

- the Flux bootstrap source, the GitRepository `flux-system` (its URL then also names this
  repository);
- a GitRepository or Argo CD `repoURL` whose URL names this repository: one of its git remotes,
  a URL listed under `repository.urls` in `.hubguard.yaml`, or the bootstrap source's URL — and,
  when the repository has no remote and the policy lists no URL, the URL of an Argo CD
  Application written directly in a hub's roots (the app of apps applied by hand);
- a GitRepository listed (as `namespace/name`) under `repository.sources` in `.hubguard.yaml`;
- an ExternalArtifact built by an ArtifactGenerator from such sources (hubguard.render.artifacts).

Of this repository, only the checked-out revision is rendered: a GitRepository `ref` (or an Argo
CD `targetRevision`) naming a tag, a commit or a semver range, or a branch other than the checked
out one, the remote's default branch, `main`, `master` or the bootstrap source's, is another
revision, and is a note too.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

from hubguard.model import K8sObject

BOOTSTRAP_SOURCE = "flux-system"
MAINLINE_BRANCHES = ("main", "master")
_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$")


def normalise_url(url: str) -> str:
    """A Git URL as `host/path`, so that the HTTPS, SSH and scp-like spellings of one repository
    compare equal: `git@github.com:Org/Repo.git` and `https://github.com/org/repo` are one."""
    text = url.strip()
    match = _SCP_LIKE.match(text) if "://" not in text else None
    if match:
        host, path = match.group(1), match.group(2)
    else:
        text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text, flags=re.I)
        text = text.split("@", 1)[-1] if "@" in text.split("/", 1)[0] else text
        host, _, path = text.partition("/")
        host = host.split(":", 1)[0] if not host.startswith("[") else host
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return f"{host.lower()}/{path.lower()}".rstrip("/")


def git_remote_urls(root: Path) -> tuple[str, ...]:
    return tuple(line.split(None, 1)[1] for line in _git(root, "config", "--get-regexp", r"^remote\..*\.url$") if " " in line)


def git_branches(root: Path) -> tuple[str, ...]:
    """The checked-out branch and the remotes' default branches (`origin/HEAD`)."""
    branches = list(_git(root, "symbolic-ref", "--quiet", "--short", "HEAD"))
    for ref in _git(root, "for-each-ref", "--format=%(symref:short)", "refs/remotes/*/HEAD"):
        if "/" in ref:
            branches.append(ref.split("/", 1)[1])
    return tuple(b for b in branches if b)


def _git(root: Path, *args: str) -> list[str]:
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return out.stdout.splitlines() if out.returncode == 0 else []


@dataclass
class RepositoryIdentity:
    """What names this repository and its checked-out revision."""

    urls: set[str] = field(default_factory=set)  # normalised
    branches: set[str] = field(default_factory=lambda: set(MAINLINE_BRANCHES))
    sources: set[str] = field(default_factory=set)  # GitRepository namespace/name declared in the policy
    from_remotes_or_policy: bool = False

    @classmethod
    def of(cls, root: Path, declared_urls: Iterable[str] = (), declared_sources: Iterable[str] = ()) -> "RepositoryIdentity":
        remotes = [*git_remote_urls(root), *declared_urls]
        identity = cls({normalise_url(u) for u in remotes if u.strip()}, {*MAINLINE_BRANCHES, *git_branches(root)},
                       set(declared_sources))
        identity.from_remotes_or_policy = bool(identity.urls)
        return identity

    def names(self, url: object) -> bool:
        return isinstance(url, str) and bool(url.strip()) and normalise_url(url) in self.urls

    def learn_bootstrap(self, entry_objects: Iterable[K8sObject]) -> "RepositoryIdentity":
        """This identity plus what a hub's entry objects say about the repository: the bootstrap
        GitRepository's URL and branch; and without any remote or declared URL, the repoURL of
        each Argo CD Application written in the hub's roots."""
        learned = RepositoryIdentity(set(self.urls), set(self.branches), set(self.sources), self.from_remotes_or_policy)
        for obj in entry_objects:
            if obj.kind == "GitRepository" and obj.name == BOOTSTRAP_SOURCE and isinstance(obj.get("spec", "url"), str):
                learned.urls.add(normalise_url(obj.get("spec", "url")))
                branch = obj.get("spec", "ref", "branch")
                if isinstance(branch, str):
                    learned.branches.add(branch)
            elif obj.kind in ("Application", "ApplicationSet") and obj.group == "argoproj.io" and not self.from_remotes_or_policy:
                spec = obj.get("spec") if obj.kind == "Application" else obj.get("spec", "template", "spec")
                for source in _argo_source_list(spec):
                    url = source.get("repoURL")
                    if isinstance(url, str) and "{{" not in url and not source.get("chart"):
                        learned.urls.add(normalise_url(url))
                        revision = source.get("targetRevision")
                        if isinstance(revision, str) and revision not in ("", "HEAD"):
                            learned.branches.add(revision)
        return learned

    def other_revision(self, ref: object) -> str | None:
        """Why a GitRepository `ref` is not the checked-out revision, or None if it is."""
        if not isinstance(ref, dict) or not ref:
            return None
        for key in ("commit", "tag", "semver", "name"):
            if isinstance(ref.get(key), str) and ref[key]:
                return f"{key} {ref[key]!r}"
        branch = ref.get("branch")
        if isinstance(branch, str) and branch and branch not in self.branches:
            return f"branch {branch!r}"
        return None

    def other_target_revision(self, revision: object) -> str | None:
        """Why an Argo CD `targetRevision` is not the checked-out revision, or None if it is."""
        if not isinstance(revision, str) or revision in ("", "HEAD") or revision in self.branches:
            return None
        return f"revision {revision!r}"


def _argo_source_list(spec: object) -> list[dict]:
    if not isinstance(spec, dict):
        return []
    sources = [spec["source"]] if isinstance(spec.get("source"), dict) else []
    sources += [s for s in spec.get("sources") or [] if isinstance(s, dict)]
    return sources


@dataclass(frozen=True)
class Followed:
    """Render `path` (relative to the repository root)."""

    path: str


@dataclass(frozen=True)
class NotFollowed:
    """A reference that is not rendered, and why (the note)."""

    note: str


@dataclass(frozen=True)
class Unknown:
    """The source is not (yet) among the hub's objects; ask again once the hub is rendered."""

    source: str


Resolution = Followed | NotFollowed | Unknown


def join(base: str, path: str) -> str:
    """`path` (as written in a Kustomization or Application) inside `base`, both repo-relative."""
    combined = PurePosixPath(base) / path.strip().lstrip("/") if base not in ("", ".") else PurePosixPath(path.strip().lstrip("/") or ".")
    return combined.as_posix()


class SourceResolver:
    """Follows Flux `sourceRef`s and Argo CD sources of one hub to paths of this repository."""

    def __init__(self, identity: RepositoryIdentity, objects: "dict[tuple[str, str | None, str], K8sObject]") -> None:
        self.identity = identity
        self.objects = objects  # the hub's objects so far, by (kind, namespace, name)

    def git_repository(self, namespace: str | None, name: str) -> Resolution:
        """Whether the GitRepository `namespace/name` is this repository at the checked-out revision
        (Followed(".")), another repository or revision (NotFollowed), or not known yet."""
        label = f"GitRepository/{namespace}/{name}" if namespace else f"GitRepository/{name}"
        if name == BOOTSTRAP_SOURCE or f"{namespace}/{name}" in self.identity.sources:
            return Followed(".")
        repo = self.objects.get(("GitRepository", namespace, name))
        if repo is None:
            return Unknown(label)
        url = repo.get("spec", "url")
        if not self.identity.names(url):
            return NotFollowed(f"source {label} is another repository ({url})")
        other = self.identity.other_revision(repo.get("spec", "ref"))
        if other:
            return NotFollowed(f"source {label} is {other} of this repository, not the checked-out revision")
        return Followed(".")

    def flux(self, kustomization: K8sObject, artifacts: "ArtifactIndex") -> Resolution:
        source = kustomization.get("spec", "sourceRef")
        source = source if isinstance(source, dict) else {}
        kind = str(source.get("kind") or "GitRepository")
        name = str(source.get("name") or "")
        namespace = str(source.get("namespace") or "") or kustomization.namespace
        path = kustomization.get("spec", "path")
        if not isinstance(path, str):
            return NotFollowed(f"{kustomization.ref} has no spec.path (the whole source) and is not rendered")
        if kind == "GitRepository":
            found = self.git_repository(namespace, name)
        elif kind == "ExternalArtifact":
            found = artifacts.resolve(namespace, name, self)
        else:
            label = f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
            return NotFollowed(f"source {label} is another repository ({kind} sources are never fetched)")
        if isinstance(found, Followed):
            return Followed(join(found.path, path))
        return found

    def argo(self, app: K8sObject, source: dict, generators_urls: tuple[str, ...] = ()) -> Resolution | None:
        """One Argo CD source: followed, a note, or None for a source with nothing to render (a
        multi-source `ref` that only lends its values files)."""
        url = source.get("repoURL")
        if source.get("chart"):
            return NotFollowed(f"Helm chart {source.get('chart')!r} of {url} ({app.ref}) is not rendered")
        path = source.get("path")
        if not isinstance(path, str):
            return None if source.get("ref") else NotFollowed(f"{app.ref}: source {url} has no path and is not rendered")
        urls = generators_urls if isinstance(url, str) and "{{" in url else (url,)
        foreign = next((u for u in urls if not self.identity.names(u)), None) if urls else url
        if foreign is not None:
            return NotFollowed(f"source {foreign} of {app.ref} is another repository")
        other = self.identity.other_target_revision(source.get("targetRevision"))
        if other:
            return NotFollowed(f"source {url} of {app.ref} is {other} of this repository, not the checked-out revision")
        return Followed(path)


@dataclass(frozen=True)
class ChartRef:
    """What a Flux HelmRelease's `chartRef` names: its source (`Kind/namespace/name`) and, when the
    hub holds it as an OCIRepository, the chart's URL and the tag or semver range asked for
    (home-ops repositories name that OCIRepository after the app, not the chart)."""

    source: str
    name: str  # the ref's own name
    url: str = ""
    version: str = ""


def chart_ref(release: K8sObject, find: Callable[[str, str, str], K8sObject | None]) -> ChartRef | None:
    """The `chartRef` of `release`, its source looked up with `find(kind, namespace, name)`; None
    when the release has none."""
    ref = release.get("spec", "chartRef")
    if not isinstance(ref, dict):
        return None
    kind, name = str(ref.get("kind") or ""), str(ref.get("name") or "")
    namespace = str(ref.get("namespace") or release.namespace or "default")
    source = f"{kind or 'OCIRepository'}/{namespace}/{name or '?'}"
    found = find(kind, namespace, name)
    url = found.get("spec", "url") if found is not None and found.kind == "OCIRepository" else None
    if found is None or not isinstance(url, str) or not url:
        return ChartRef(source, name)
    return ChartRef(source, name, url, str(found.get("spec", "ref", "tag") or found.get("spec", "ref", "semver") or ""))
