"""The configuration values a workload consumes, each with the place it is written.

Env vars (`value`, `valueFrom` a ConfigMap or Secret key), `envFrom` ConfigMaps and Secrets (with
their prefix), ConfigMaps mounted as volumes (directly or projected) and container args. A value
pulled from a ConfigMap is located in that ConfigMap: that is the line a user must change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from hubguard.model import HubInventory, K8sObject
from hubguard.rules.encoding import base64_text
from hubguard.rules.pii.classification import PiiWorkload
from hubguard.rules.workloads import containers


@dataclass(frozen=True)
class ConsumedValue:
    name: str  # the env var name it becomes, or the ConfigMap key / "args"
    value: str | None  # None when it cannot be read (a Secret or ConfigMap the hub does not receive)
    obj: K8sObject  # where the value is written
    path: tuple  # its path in `obj`
    as_env: bool  # it reaches the process as the env var `name`
    via: str  # how the workload consumes it, for messages


def _config_data(obj: K8sObject) -> Iterator[tuple[str, str, tuple]]:
    """(key, value, path) of a ConfigMap's or Secret's readable entries."""
    for field in ("data", "stringData"):
        data = obj.get(field)
        if not isinstance(data, dict):
            continue
        for key, value in data.items():
            if obj.kind == "Secret" and field == "data":
                value = base64_text(value)
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                yield str(key), str(value), (field, key)


def _lookup(hub: HubInventory, kind: str, namespace: str, name: object, key: object):
    source = hub.find(kind, namespace, str(name)) if name else None
    if source is None:
        return None
    for k, value, path in _config_data(source):
        if k == str(key):
            return source, value, path
    return None


def consumed_values(hub: HubInventory, workload: PiiWorkload) -> Iterator[ConsumedValue]:
    obj, ns = workload.obj, workload.namespace
    for cpath, container in containers(obj, init=True):
        env = container.get("env") if isinstance(container.get("env"), list) else []
        for i, item in enumerate(env):
            if not isinstance(item, dict) or not item.get("name"):
                continue
            name = str(item["name"])
            if "value" in item:
                value = item.get("value")
                text = None if value is None else str(value)
                yield ConsumedValue(name, text, obj, cpath + ("env", i, "value"), True, "env")
                continue
            ref_kind, ref = _value_from(item)
            if ref is None:
                if isinstance(item.get("valueFrom"), dict):  # fieldRef / resourceFieldRef: set, value known at run time
                    yield ConsumedValue(name, None, obj, cpath + ("env", i, "name"), True, "env")
                continue
            found = _lookup(hub, ref_kind, ns, ref.get("name"), ref.get("key"))
            if found is None:
                yield ConsumedValue(name, None, obj, cpath + ("env", i, "name"), True, "env")
            else:
                source, value, path = found
                yield ConsumedValue(name, value, source, path, True, f"env {name} of {obj.ref}")
        env_from = container.get("envFrom") if isinstance(container.get("envFrom"), list) else []
        for item in env_from:
            if not isinstance(item, dict):
                continue
            prefix = str(item.get("prefix") or "")
            for ref_kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                ref = item.get(field)
                source = hub.find(ref_kind, ns, str(ref.get("name"))) if isinstance(ref, dict) else None
                if source is not None:
                    for key, value, path in _config_data(source):
                        yield ConsumedValue(prefix + key, value, source, path, True, f"envFrom of {obj.ref}")
        args = container.get("args") if isinstance(container.get("args"), list) else []
        for i, arg in enumerate(args):
            if isinstance(arg, str):
                yield ConsumedValue("args", arg, obj, cpath + ("args", i), False, "args")
    for name in _mounted_config_maps(workload):
        source = hub.find("ConfigMap", ns, name)
        if source is not None:
            for key, value, path in _config_data(source):
                yield ConsumedValue(key, value, source, path, False, f"volume of {obj.ref}")


def _value_from(item: dict) -> tuple[str, dict | None]:
    value_from = item.get("valueFrom")
    if not isinstance(value_from, dict):
        return "", None
    for kind, field in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
        ref = value_from.get(field)
        if isinstance(ref, dict):
            return kind, ref
    return "", None


def _mounted_config_maps(workload: PiiWorkload) -> list[str]:
    names: list[str] = []
    volumes = workload.template.spec.get("volumes")
    for volume in volumes if isinstance(volumes, list) else []:
        if not isinstance(volume, dict):
            continue
        if isinstance(volume.get("configMap"), dict):
            names.append(str(volume["configMap"].get("name", "")))
        sources = (volume.get("projected") or {}).get("sources") if isinstance(volume.get("projected"), dict) else None
        for source in sources if isinstance(sources, list) else []:
            if isinstance(source, dict) and isinstance(source.get("configMap"), dict):
                names.append(str(source["configMap"].get("name", "")))
    return [n for n in dict.fromkeys(names) if n]
