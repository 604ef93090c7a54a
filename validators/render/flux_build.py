"""What a Flux Kustomization adds to the build of its path, as kustomize-controller does
(fluxcd/pkg `kustomize/kustomize_generator.go`, `ssa/utils/meta.go`).

Flux writes `targetNamespace`, `namePrefix`, `nameSuffix`, `patches`, `images` and `components`
into the kustomization it builds, so kustomize's own transformers apply them (the namespace
transformer also moves RoleBinding subjects and renames Namespace objects). hubguard never writes
into the repository: it builds the path as it is, then builds the result once more through a
throw-away kustomization outside the repository that carries those fields. The result is Flux's,
except where the path's own kustomization sets the same field: Flux replaces the folder's
`namePrefix`/`nameSuffix` and merges `images` entries, hubguard applies its own on top; and Flux's
`patches` see names before the folder's own prefix. `commonMetadata` is applied to every object
after substitution, as Flux does when it applies them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hubguard.model import K8sObject

INDEX_ANNOTATION = "hubguard.io/render-index"
_FIELDS = (("targetNamespace", "namespace"), ("namePrefix", "namePrefix"), ("nameSuffix", "nameSuffix"))


@dataclass(frozen=True)
class FluxBuild:
    """The kustomization fields one Flux Kustomization adds (`fields`, canonical JSON so that it is
    a cache key), and its components (relative to the Kustomization's path)."""

    fields: str
    components: tuple[str, ...]
    ignore_missing_components: bool = False

    def kustomization(self) -> dict[str, Any]:
        return json.loads(self.fields)

    @classmethod
    def of(cls, kustomization: K8sObject) -> "FluxBuild | None":
        spec = kustomization.get("spec")
        if not isinstance(spec, dict):
            return None
        fields: dict[str, Any] = {}
        for flux_key, kustomize_key in _FIELDS:
            if isinstance(spec.get(flux_key), str) and spec[flux_key]:
                fields[kustomize_key] = spec[flux_key]
        patches = [{k: p[k] for k in ("patch", "target") if k in p} for p in spec.get("patches") or [] if isinstance(p, dict) and isinstance(p.get("patch"), str)]
        if patches:
            fields["patches"] = patches
        images = [i for i in spec.get("images") or [] if isinstance(i, dict) and isinstance(i.get("name"), str)]
        if images:
            fields["images"] = images
        components = tuple(c for c in spec.get("components") or [] if isinstance(c, str))
        if not fields and not components:
            return None
        return cls(json.dumps(fields, sort_keys=True), components, spec.get("ignoreMissingComponents") is True)


@dataclass(frozen=True)
class CommonMetadata:
    labels: tuple[tuple[str, str], ...]
    annotations: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, kustomization: K8sObject) -> "CommonMetadata | None":
        meta = kustomization.get("spec", "commonMetadata")
        if not isinstance(meta, dict):
            return None
        pairs = [tuple(sorted((str(k), str(v)) for k, v in (meta.get(key) or {}).items())) if isinstance(meta.get(key), dict) else ()
                 for key in ("labels", "annotations")]
        return cls(pairs[0], pairs[1]) if pairs[0] or pairs[1] else None

    def apply(self, obj: K8sObject) -> K8sObject:
        metadata = dict(obj.metadata)
        for key, pairs in (("labels", self.labels), ("annotations", self.annotations)):
            if pairs:
                current = metadata.get(key) if isinstance(metadata.get(key), dict) else {}
                metadata[key] = {**current, **dict(pairs)}
        return K8sObject({**obj.data, "metadata": metadata}, obj.source, obj.document, obj.overrides, obj.generated)
