"""Pod-bearing objects: where their pod template and containers are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from hubguard.model import K8sObject

# Long-running workloads (HA rules); Jobs and CronJobs are batch and excluded there.
SERVING_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
BATCH_KINDS = ("Job", "CronJob")
POD_KINDS = SERVING_KINDS + BATCH_KINDS + ("Pod",)


@dataclass(frozen=True)
class PodTemplate:
    path: tuple  # path of the pod template in the object, e.g. ("spec", "template")
    labels: dict
    spec: dict

    def at(self, *rest) -> tuple:
        return self.path + rest


def pod_template(obj: K8sObject) -> PodTemplate | None:
    if obj.kind == "Pod":
        path: tuple = ()
    elif obj.kind == "CronJob":
        path = ("spec", "jobTemplate", "spec", "template")
    elif obj.kind in POD_KINDS:
        path = ("spec", "template")
    else:
        return None
    template = obj.get(*path) if path else obj.data
    if not isinstance(template, dict):
        return None
    meta = template.get("metadata") if isinstance(template.get("metadata"), dict) else {}
    labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
    spec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
    return PodTemplate(path, labels, spec)


def containers(obj: K8sObject, *, init: bool = False) -> Iterator[tuple[tuple, dict]]:
    """(path, container) for each container of a pod-bearing object; init containers on request."""
    template = pod_template(obj)
    if template is None:
        return
    fields = ("containers", "initContainers") if init else ("containers",)
    for field in fields:
        items = template.spec.get(field)
        if not isinstance(items, list):
            continue
        for index, container in enumerate(items):
            if isinstance(container, dict):
                yield template.at("spec", field, index), container
