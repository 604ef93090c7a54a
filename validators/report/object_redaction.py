"""Rendered objects as people are shown them (render, diff): a Secret's values as their first
characters and length only, and the same values masked wherever Flux substitution copied them into
other objects (SPEC: no output shows a secret in full)."""

from __future__ import annotations

from typing import Any

from hubguard.model import K8sObject
from hubguard.redact import redact
from hubguard.render.flux_postbuild import secret_data


MIN_MASKED_LENGTH = 6  # shorter values are too common in other text to mask safely


def secret_values(objects: list[K8sObject]) -> list[str]:
    """The values of every Secret the hub receives (data decoded, stringData), longest first: Flux
    substitution may have copied them into other objects, where they are masked too."""
    values = {value for obj in objects if obj.kind == "Secret" for value in secret_data(obj)[0].values()}
    return sorted((v for v in values if len(v) >= MIN_MASKED_LENGTH and not v.startswith("<sops-encrypted:")), key=len, reverse=True)


def redacted(obj: K8sObject, secrets: list[str]) -> dict[str, Any]:
    """The object as printed: a Secret's values, and those values anywhere else, shown as their
    first characters and length only."""
    if obj.kind != "Secret":
        return _masked(obj.data, secrets) if secrets else obj.data
    data = dict(obj.data)
    for key in ("data", "stringData"):
        if isinstance(data.get(key), dict):
            data[key] = {k: redact(str(v)) if v not in (None, "") else v for k, v in data[key].items()}
    return data


def _masked(node: Any, secrets: list[str]) -> Any:
    if isinstance(node, dict):
        return {k: _masked(v, secrets) for k, v in node.items()}
    if isinstance(node, list):
        return [_masked(v, secrets) for v in node]
    if isinstance(node, str):
        for secret in secrets:
            if secret in node:
                node = node.replace(secret, redact(secret))
    return node
