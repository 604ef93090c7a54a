"""Flux 2.7 ArtifactGenerators (`source.extensions.fluxcd.io`): which folder of this repository an
ExternalArtifact is.

An ArtifactGenerator copies files of its sources into named artifacts; Kustomizations with
`sourceRef.kind: ExternalArtifact` then apply paths inside them. hubguard follows an artifact when
its copy rules take whole folders of sources that are this repository and keep their layout
relative to one folder: `@src/apps/base/**` to `@artifact/base/` and `@src/apps/production/**` to
`@artifact/production/` make the artifact the repository's `apps/` folder, so `./production` is
`apps/production` and its `../base` is `apps/base`, as in the artifact. Other rules (file globs,
`exclude`, merge and extract strategies, a `pathPattern`, sources of other repositories, folders
moved apart) are not reproduced: the artifact is not followed, and a note says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from hubguard.model import K8sObject

if TYPE_CHECKING:
    from hubguard.render.gitops_sources import Resolution, SourceResolver

GROUP = "source.extensions.fluxcd.io"
_FROM = re.compile(r"^@([a-z0-9](?:[a-z0-9_-]*[a-z0-9])?)/(.*)$")
_TO = re.compile(r"^@artifact/(.*)$")
_GLOB = re.compile(r"[*?\[{]")


@dataclass(frozen=True)
class Artifact:
    generator: K8sObject
    index: int  # in spec.artifacts

    @property
    def spec(self) -> dict:
        return self.generator.get("spec", "artifacts", self.index)

    @property
    def label(self) -> str:
        return f"artifact {self.spec.get('name')!r} of {self.generator.ref}"


class ArtifactIndex:
    """The artifacts the hub's ArtifactGenerators declare, by (namespace, name)."""

    def __init__(self) -> None:
        self._artifacts: dict[tuple[str | None, str], Artifact] = {}

    def add(self, objects: Iterable[K8sObject]) -> None:
        for obj in objects:
            if obj.kind != "ArtifactGenerator" or obj.group != GROUP:
                continue
            for index, spec in enumerate(obj.get("spec", "artifacts", default=[]) or []):
                if isinstance(spec, dict) and isinstance(spec.get("name"), str):
                    self._artifacts.setdefault((obj.namespace, spec["name"]), Artifact(obj, index))

    def resolve(self, namespace: str | None, name: str, sources: "SourceResolver") -> "Resolution":
        from hubguard.render.gitops_sources import Followed, NotFollowed, Unknown

        artifact = self._artifacts.get((namespace, name))
        if artifact is None:
            return Unknown(f"ExternalArtifact/{namespace}/{name}" if namespace else f"ExternalArtifact/{name}")
        generator = artifact.generator
        if generator.get("spec", "pathPattern"):
            return NotFollowed(f"{artifact.label} uses spec.pathPattern, which hubguard does not reproduce")
        aliases = {}
        for source in generator.get("spec", "sources", default=[]) or []:
            if isinstance(source, dict) and isinstance(source.get("alias"), str):
                aliases[source["alias"]] = source
        offsets: set[str] = set()
        for number, rule in enumerate(artifact.spec.get("copy") or [], start=1):
            why, offset, alias = _rule_offset(rule)
            if why is not None:
                return NotFollowed(f"{artifact.label}: copy rule {number} {why}; hubguard does not reproduce it")
            source = aliases.get(alias)
            if source is None:
                return NotFollowed(f"{artifact.label}: copy rule {number} names no declared source @{alias}")
            kind = source.get("kind")
            if kind != "GitRepository":
                return NotFollowed(f"{artifact.label}: source @{alias} is a {kind}, another repository")
            found = sources.git_repository(str(source.get("namespace") or "") or generator.namespace, str(source.get("name")))
            if not isinstance(found, Followed):
                return found
            offsets.add(offset)
        if len(offsets) != 1:
            return NotFollowed(f"{artifact.label}: its copy rules move folders apart from each other; hubguard does not reproduce that layout")
        return Followed(offsets.pop())


def _rule_offset(rule: object) -> tuple[str | None, str, str]:
    """(why not, repository folder that is the artifact root, source alias) of one copy rule."""
    if not isinstance(rule, dict):
        return "is not a mapping", "", ""
    if rule.get("exclude") or rule.get("strategy") not in (None, "Overwrite"):
        return "uses exclude or a strategy other than Overwrite", "", ""
    source, target = _FROM.match(str(rule.get("from") or "")), _TO.match(str(rule.get("to") or ""))
    if source is None or target is None:
        return "has a from/to this version does not read", "", ""
    pattern, into = source.group(2).strip("/"), target.group(1)
    if not (pattern == "**" or pattern.endswith("/**")) or _GLOB.search(pattern[:-2]) or (into and not into.endswith("/")):
        return f"copies {source.group(0)!r} (only whole folders, `@source/folder/**` to `@artifact/folder/`, are followed)", "", ""
    folder, into = pattern[:-2].strip("/"), into.strip("/")
    if into and not (folder == into or folder.endswith("/" + into)):
        return f"moves {folder or '.'!r} to {into!r}", "", ""
    offset = folder[: len(folder) - len(into)].strip("/") if into else folder
    return None, offset or ".", source.group(1)
