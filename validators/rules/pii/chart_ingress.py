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

- Gateway API routes of charts that template one (stefanprodan/podinfo `charts/podinfo/values.yaml`):
  `httpRoute.hostnames[]` and `grpcRoute.hostnames[]`, off unless `enabled`;
- bjw-s `app-template` (bjw-s-labs/helm-charts `charts/library/common`): named blocks
  `ingress.<name>` (`hosts[].host`, `tls[].hosts[]`) and `route.<name>` (`hostnames[]`), each ON
  unless it sets `enabled` (`templates/lib/ingress/_enabled_ingresses.tpl`,
  `templates/lib/routes/_enabled_routes.tpl`, `schemas/ingress.json`/`route.json`: default true).
  Before v3 the chart's own values turn `ingress.main` and `route.main` off
  (`values.yaml` of common 2.x). The chart runs its host names through `tpl`, so
  `{{ .Release.Name }}` and `{{ .Release.Namespace }}` are resolved as Flux and Argo CD name the
  release; any other template leaves the name unknown.

An `ingress` (or route) mapping is read at the top of the values and under a component or subchart key
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


# Keys of a route block naming host names, in charts that template one Gateway API route, and its kind.
ROUTE_KEYS = {"httpRoute": "HTTPRoute", "grpcRoute": "GRPCRoute"}
APP_TEMPLATE = "app-template"
_RELEASE_FIELD = re.compile(r"\{\{-?\s*\.Release\.(Name|Namespace)\s*-?\}\}")


@dataclass(frozen=True)
class ChartHost:
    """A host name under which the chart of `values.release` publishes its pods."""

    values: HelmValues  # the values source that sets the host
    path: tuple  # where the host is, inside those values
    host: str
    reason: str  # why the chart's pods handle personal data, for messages
    what: str = "Ingress"  # what publishes it, for messages: "Ingress", "HTTPRoute", "route app"
    written: str = ""  # the host as the values write it (a template before it is resolved)


def merged_releases(hub: HubInventory) -> Iterator[tuple[list[HelmValues], dict]]:
    """Each release's values sources, lowest precedence first, and the values they merge into."""
    releases: dict[tuple[str, str], list[HelmValues]] = {}
    for values in helm_values(hub):
        releases.setdefault((values.release.ref, values.chart), []).append(values)
    for sources in releases.values():
        # Lowest precedence first: ConfigMaps (Flux valuesFrom), then text, then the inline object.
        sources.sort(key=lambda v: (v.obj is v.release, v.text is None))
        merged: dict = {}
        for source in sources:
            merged = _coalesce(merged, source.values)
        yield sources, merged


def source_setting(sources: list[HelmValues], path: tuple) -> HelmValues:
    """The values source whose value at `path` the merge keeps."""
    return next((s for s in reversed(sources) if dig(s.values, *path) is not None), sources[-1])


def chart_hosts(hub: HubInventory, pii: PiiPolicy) -> Iterator[ChartHost]:
    for sources, merged in merged_releases(hub):
        if sources[0].chart == APP_TEMPLATE:
            blocks = _app_template_blocks(_coalesce(_app_template_defaults(sources[0].version), merged))
            resolve = _release_fields(sources[0])
        else:
            blocks = _switched_blocks(merged)
            resolve = {}
        for prefix, what, hosts in blocks:
            reason = chart_pii_reason(hub, sources[0], merged, prefix, pii)
            if reason is None:
                continue
            seen: set[str] = set()
            for inner, written in hosts:
                host = _host_name(_RELEASE_FIELD.sub(lambda m: resolve.get(m.group(1), m.group(0)), written))
                path = prefix + inner
                if host is None or host in seen:
                    continue
                seen.add(host)
                yield ChartHost(source_setting(sources, path), path, host, reason, what, written)


Block = tuple[tuple, str, list[tuple[tuple, str]]]  # (path of the block, what it is, its (path, host) pairs)


def _switched_blocks(values: dict) -> Iterator[Block]:
    """Ingress and route blocks of charts that keep them off unless `enabled`."""
    for prefix in _block_paths(values, ("ingress", *ROUTE_KEYS)):
        block = dig(values, *prefix)
        if not _go_truthy(block.get("enabled")):
            continue
        if prefix[-1] == "ingress":
            yield prefix, "Ingress", list(_ingress_hosts(block))
        else:
            yield prefix, ROUTE_KEYS[prefix[-1]], list(_listed(block, "hostnames"))


def _app_template_blocks(values: dict) -> Iterator[Block]:
    """app-template's named Ingresses and routes, each on unless it sets `enabled` to a false value."""
    for key, what in (("ingress", "Ingress"), ("route", "route")):
        named = values.get(key)
        for name, block in (named.items() if isinstance(named, dict) else []):
            if not app_template_enabled(block):
                continue
            hosts = list(_ingress_hosts(block)) if key == "ingress" else list(_listed(block, "hostnames"))
            if key == "route" and str(block.get("kind") or "HTTPRoute") in ("TCPRoute", "UDPRoute"):
                continue  # the chart writes no hostnames for these kinds
            yield (key, name), f"{what} {name}", hosts


def app_template_enabled(block: object) -> bool:
    """An app-template block (`ingress.<name>`, `route.<name>`, `service.<name>`) is rendered unless
    it sets `enabled`: the chart tests `hasKey`, then the value."""
    return isinstance(block, dict) and ("enabled" not in block or _go_truthy(block["enabled"]))


def _app_template_defaults(version: str) -> dict:
    """The chart's own values that matter here: before v3, `main` Ingress and route are off."""
    major = re.match(r"^\D*(\d+)", version)
    if major and int(major.group(1)) < 3:
        return {"ingress": {"main": {"enabled": False}}, "route": {"main": {"enabled": False}}}
    return {}


def _release_fields(values: HelmValues) -> dict[str, str]:
    """`.Release.Name` and `.Release.Namespace` as the controller installs the release. Flux names
    it `spec.releaseName`, else `[<targetNamespace>-]<name>` (shortened with a hash past 53
    characters, left unresolved here); Argo CD `helm.releaseName`, else the Application's name."""
    release = values.release
    fields = {}
    namespace = release_namespace(values)
    if namespace:
        fields["Namespace"] = namespace
    if release.kind == "HelmRelease":
        target = release.get("spec", "targetNamespace")
        name = str(release.get("spec", "releaseName") or (f"{target}-{release.name}" if target else release.name))
    else:
        source = release.get(*values.path[:-2])  # the Application source the values belong to
        name = str(dig(source, "helm", "releaseName") or release.name)
    if len(name) <= 53:
        fields["Name"] = name
    return fields


def release_namespace(values: HelmValues) -> str | None:
    """Where the chart's pods run: Flux `targetNamespace` (default: the HelmRelease's own), Argo CD
    `destination.namespace` (None when unset: the chart's templates decide)."""
    release = values.release
    if release.kind == "HelmRelease":
        return str(release.get("spec", "targetNamespace") or namespace_of(release))
    target = release.get("spec", "destination", "namespace")
    return str(target) if target else None


def chart_pii_reason(hub: HubInventory, values: HelmValues, merged: dict, prefix: tuple, pii: PiiPolicy) -> str | None:
    """Why the chart's pods handle personal data, or None: its release namespace, or pod labels in
    its values (at the top, or beside the block at `prefix`)."""
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


def _block_paths(values: dict, keys: tuple[str, ...], prefix: tuple = ()) -> Iterator[tuple]:
    for key, value in values.items():
        if not isinstance(value, dict):
            continue
        if key in keys:
            yield prefix + (key,)
        elif len(prefix) + 1 < MAX_DEPTH:
            yield from _block_paths(value, keys, prefix + (key,))


def _ingress_hosts(ingress: dict) -> Iterator[tuple[tuple, str]]:
    """(path inside the `ingress` mapping, host as written) of every host string it names."""
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
            if isinstance(entry, dict):
                candidates += [((field, index) + inner, host) for inner, host in _listed(entry, "hosts")]
    yield from ((path, value) for path, value in candidates if isinstance(value, str))


def _listed(block: dict, key: str) -> Iterator[tuple[tuple, str]]:
    items = block.get(key)
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, str):
            yield (key, index), item


def _host_name(written: str) -> str | None:
    host = written.strip().lower().removeprefix("*.")
    # A template (`{{ .Values.domain }}`, `${SECRET_DOMAIN}`) or placeholder is no name yet.
    return host if _HOST_NAME.match(host) else None


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
