"""Host names a chart's Ingress values publish, read from a HelmRelease or Argo CD Helm source.

hubguard does not run Helm, so the Ingress a chart templates never becomes an object; its values
say what it will be. The shapes read are those of widely used charts, all of them off unless the
values turn them on (`enabled: false` is every one of these charts' default):

- `helm create` charts (Helm 3, helm/helm `pkg/chartutil/create.go`): `ingress.hosts[].host` and
  `ingress.tls[].hosts[]`; Helm 2's starter and the grafana chart (grafana/helm-charts
  `charts/grafana/values.yaml`): `ingress.hosts[]` as plain strings;
- Bitnami charts (bitnami/charts `bitnami/wordpress/values.yaml`, and the argo-cd chart's
  `server.ingress`, argoproj/argo-helm `charts/argo-cd/values.yaml`): `ingress.hostname`,
  `ingress.extraHosts[].name`, `ingress.extraTls[].hosts[]` (their `ingress.tls` is a boolean).

An `ingress` mapping is read at the top of the values and under a component or subchart key
(`server.ingress`, `argo-cd.server.ingress`). Values are merged as Helm and the controllers merge
them — Flux: `valuesFrom` in order, then `spec.values`; Argo CD: `helm.values`, then
`helm.valuesObject` — and each host is located in the source that sets it. No rule logic here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from hubguard.model import HubInventory
from hubguard.policy import PiiPolicy
from hubguard.rules.pii.classification import has_pii_label, namespace_of, namespace_reason
from hubguard.rules.pii.helm_values import HelmValues, dig, helm_values

# How deep an `ingress` mapping may sit: `ingress`, `server.ingress`, `argo-cd.server.ingress`.
MAX_DEPTH = 3
_HOST_NAME = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}[a-z0-9]$")


@dataclass(frozen=True)
class ChartHost:
    """A host name under which the chart of `values.release` publishes its pods."""

    values: HelmValues  # the values source that sets the host
    path: tuple  # where the host is, inside those values
    host: str
    reason: str  # why the chart's pods handle personal data, for messages


def chart_hosts(hub: HubInventory, pii: PiiPolicy) -> Iterator[ChartHost]:
    releases: dict[tuple[str, str], list[HelmValues]] = {}
    for values in helm_values(hub):
        releases.setdefault((values.release.ref, values.chart), []).append(values)
    for sources in releases.values():
        # Lowest precedence first: ConfigMaps (Flux valuesFrom), then text, then the inline object.
        sources.sort(key=lambda v: (v.obj is v.release, v.text is None))
        merged: dict = {}
        for source in sources:
            merged = _coalesce(merged, source.values)
        for prefix in _ingress_paths(merged):
            if not _go_truthy(dig(merged, *prefix, "enabled")):
                continue
            reason = _pii_reason(hub, sources[0], merged, prefix, pii)
            if reason is None:
                continue
            seen: set[str] = set()
            for inner, host in _hosts(dig(merged, *prefix)):
                path = prefix + inner
                if host in seen:
                    continue
                seen.add(host)
                owner = next((s for s in reversed(sources) if dig(s.values, *path) is not None), sources[-1])
                yield ChartHost(owner, path, host, reason)


def release_namespace(values: HelmValues) -> str | None:
    """Where the chart's pods run: Flux `targetNamespace` (default: the HelmRelease's own), Argo CD
    `destination.namespace` (None when unset: the chart's templates decide)."""
    release = values.release
    if release.kind == "HelmRelease":
        return str(release.get("spec", "targetNamespace") or namespace_of(release))
    target = release.get("spec", "destination", "namespace")
    return str(target) if target else None


def _pii_reason(hub: HubInventory, values: HelmValues, merged: dict, prefix: tuple, pii: PiiPolicy) -> str | None:
    namespace = release_namespace(values)
    reason = namespace_reason(hub, namespace, pii) if namespace else None
    if reason:
        return reason
    # `podLabels` (helm create, Bitnami) and Bitnami's `commonLabels` label the pod templates,
    # at the top of the values or beside the component's `ingress`.
    for owner in dict.fromkeys([(), prefix[:-1]]):
        for key in ("podLabels", "commonLabels"):
            labels = dig(merged, *owner, key)
            if isinstance(labels, dict) and has_pii_label(labels, pii):
                where = ".".join(map(str, owner + (key,)))
                return f"its values label the pods {pii.label}={labels[pii.label]} in {where}"
    return None


def _ingress_paths(values: dict, prefix: tuple = ()) -> Iterator[tuple]:
    for key, value in values.items():
        if not isinstance(value, dict):
            continue
        if key == "ingress":
            yield prefix + (key,)
        elif len(prefix) + 1 < MAX_DEPTH:
            yield from _ingress_paths(value, prefix + (key,))


def _hosts(ingress: dict) -> Iterator[tuple[tuple, str]]:
    """(path inside the `ingress` mapping, host) of every literal host name it names."""
    candidates: list[tuple[tuple, Any]] = [(("hostname",), ingress.get("hostname"))]
    for field, name_key in (("hosts", "host"), ("extraHosts", "name")):
        items = ingress.get(field)
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                candidates.append(((field, index, name_key), item.get(name_key)))
            else:
                candidates.append(((field, index), item))
    for field in ("tls", "extraTls"):
        entries = ingress.get(field)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            hosts = entry.get("hosts") if isinstance(entry, dict) else None
            for number, host in enumerate(hosts if isinstance(hosts, list) else []):
                candidates.append(((field, index, "hosts", number), host))
    for path, value in candidates:
        host = str(value).strip().lower().removeprefix("*.") if isinstance(value, str) else ""
        if _HOST_NAME.match(host):  # a template (`{{ .Values.domain }}`) or placeholder is no name yet
            yield path, host


def _coalesce(base: dict, override: dict) -> dict:
    """Helm's merge of values files: mappings merge key by key, anything else replaces, null deletes."""
    merged = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _coalesce(merged[key], value)
        else:
            merged[key] = value
    return merged


def _go_truthy(value: Any) -> bool:
    """`{{ if .Values.ingress.enabled }}` as Go templates decide: false, 0, nil and empty values
    are false; any non-empty string is true, a quoted "false" too (as Helm renders it)."""
    if isinstance(value, str):
        return value != ""
    return bool(value)
