"""What a change does to each hub: objects added, removed and changed (with a unified diff of each
changed object), and the findings it introduces and fixes.

Objects are compared as rendered, keyed by kind, namespace and name. Before comparing, Secret
values are redacted (a reviewer sees that a value changed, never the value) and bookkeeping that
kustomize, Flux and hubguard add is dropped. Findings are compared without their line numbers (and by
object where they have one), so that an edit above a finding, or moving its file, does not count as
fixing it and introducing it again.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, field
from typing import Any

import yaml

from hubguard.findings import Finding
from hubguard.model import HubInventory, K8sObject
from hubguard.report.excerpts import mask_line
from hubguard.report.object_redaction import redacted, secret_values

# Annotation and label prefixes that say how an object was built, not what a hub runs.
NOISE_PREFIXES = ("config.kubernetes.io/", "internal.config.kubernetes.io/", "kustomize.config.k8s.io/",
                  "kustomize.toolkit.fluxcd.io/", "hubguard.io/origin")


@dataclass(frozen=True)
class ObjectChange:
    ref: str  # Kind/namespace/name
    source: str  # path:line of the object on the side that has it (HEAD for changed objects)
    diff: str = ""  # unified diff, for changed objects


@dataclass
class HubChange:
    hub: str
    added: list[ObjectChange] = field(default_factory=list)
    removed: list[ObjectChange] = field(default_factory=list)
    changed: list[ObjectChange] = field(default_factory=list)
    new_findings: list[Finding] = field(default_factory=list)
    fixed_findings: list[Finding] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.new_findings or self.fixed_findings)


@dataclass(frozen=True)
class Side:
    """One side of the comparison: each hub's rendered inventory and the run's findings."""

    label: str  # a commit SHA, "index" or "work tree"
    hubs: dict[str, HubInventory]
    findings: list[Finding]


EVERY_HUB = ""  # the HubChange of findings that hold on every hub or concern a file, not a hub


def compare(base: Side, head: Side, hubs: list[str]) -> list[HubChange]:
    """One HubChange per hub, then one (hub EVERY_HUB) for findings that hold on every hub."""
    changes = []
    for name in hubs:
        change = HubChange(name)
        before = _objects(base.hubs.get(name))
        after = _objects(head.hubs.get(name))
        # a value of a Secret of either side is masked on both, wherever substitution copied it
        secrets = secret_values([*before.values(), *after.values()])
        for key in sorted(after.keys() - before.keys()):
            change.added.append(ObjectChange(_ref(key), _where(after[key])))
        for key in sorted(before.keys() - after.keys()):
            change.removed.append(ObjectChange(_ref(key), _where(before[key])))
        for key in sorted(before.keys() & after.keys()):
            old, new = _shown(before[key], secrets), _shown(after[key], secrets)
            if old != new:
                diff = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                                    f"{base.label}/{_ref(key)}", f"{head.label}/{_ref(key)}"))
                change.changed.append(ObjectChange(_ref(key), _where(after[key]), diff))
        _compare_findings(change, base, head)
        changes.append(change)
    every = HubChange(EVERY_HUB)
    _compare_findings(every, base, head)
    changes.append(every)
    return changes


def _compare_findings(change: HubChange, base: Side, head: Side) -> None:
    old, new = _findings_of(base.findings, change.hub), _findings_of(head.findings, change.hub)
    change.new_findings = [f for key, f in sorted(new.items()) if key not in old]
    change.fixed_findings = [f for key, f in sorted(old.items()) if key not in new]


def _objects(hub: HubInventory | None) -> dict[tuple[str, str, str], K8sObject]:
    if hub is None:
        return {}
    return {(o.kind, o.namespace or "", o.name): o for o in hub.objects}


def _ref(key: tuple[str, str, str]) -> str:
    kind, namespace, name = key
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def _where(obj: K8sObject) -> str:
    return f"{obj.source.path}:{obj.source.line}" if obj.source.line else obj.source.path


def _shown(obj: K8sObject, secrets: list[str]) -> str:
    """The object as a reviewer should read it: YAML with Secret values redacted (also where
    substitution copied them), noise dropped, and every line masked like report excerpts (a token in
    a ConfigMap never appears in full)."""
    data = copy.deepcopy(redacted(obj, secrets))
    metadata = data.get("metadata")
    if isinstance(metadata, dict):
        for key in ("annotations", "labels"):
            values = metadata.get(key)
            if isinstance(values, dict):
                kept = {k: v for k, v in values.items() if not str(k).startswith(NOISE_PREFIXES)}
                if kept:
                    metadata[key] = kept
                else:
                    metadata.pop(key)
    text = yaml.safe_dump(data, sort_keys=True, default_flow_style=False, allow_unicode=True)
    return "".join(mask_line(line, False) + "\n" for line in text.splitlines())


def _findings_of(findings: list[Finding], hub: str) -> dict[tuple, Finding]:
    """The findings reported for `hub` (EVERY_HUB: those with no hub), keyed without line and column,
    and by object rather than file where there is one: a moved file brings no new finding."""
    return {(f.rule, f.object or f.path or "", f.message): f for f in findings if (f.hub or EVERY_HUB) == hub}


def as_json(base: Side, head: Side, changes: list[HubChange]) -> dict[str, Any]:
    def objects(items: list[ObjectChange], with_diff: bool = False) -> list[dict]:
        return [{"object": c.ref, "source": c.source, **({"diff": c.diff} if with_diff else {})} for c in items]

    return {
        "base": base.label,
        "head": head.label,
        "hubs": [
            {
                "hub": c.hub,
                "added": objects(c.added),
                "removed": objects(c.removed),
                "changed": objects(c.changed, True),
                "new_findings": [f.to_dict() for f in c.new_findings],
                "fixed_findings": [f.to_dict() for f in c.fixed_findings],
            }
            for c in changes
        ],
    }
