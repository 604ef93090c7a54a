"""Helm values, where the repository holds them even when it does not hold the chart: Flux
`HelmRelease` (`spec.values`, `valuesFrom` ConfigMaps of the hub) and Argo CD `Application` Helm
sources (`helm.values` text, `helm.valuesObject`).

The chart is recognised by its name (`spec.chart.spec.chart`; for a `chartRef`, the last segment of
the URL of the OCIRepository it names when the hub holds it — home-ops repositories name the
OCIRepository after the app, not the chart — else the ref's name; Argo `chart` or path);
log agents' values are read the way each chart turns them into a configuration (`log_sources`),
Ingress values the way common charts template them (`chart_ingress`). No rule logic here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import yaml
from hubguard.model import HubInventory, K8sObject
from hubguard.render.gitops_sources import chart_ref
from hubguard.rules.pii.classification import namespace_of
from hubguard.rules.pii.value_lines import Spot


@dataclass(frozen=True)
class HelmValues:
    obj: K8sObject  # where the values are written (the HelmRelease, Application or a ConfigMap)
    release: K8sObject  # the HelmRelease or Application that installs the chart with them
    chart: str  # the chart's name, lower case
    values: dict
    path: tuple  # path of the values in `obj`
    text: str | None  # the values as text, when they are a string (Argo CD `helm.values`, a ConfigMap key)
    version: str = ""  # the chart version or range asked for, as written ("" when unknown)

    def spot(self, *inner: object, needle: str | None = None, inner_text: str | None = None) -> Spot:
        """Where a part of the values is written: a path inside them, or — when the values are
        text — the line holding `needle` (found in `inner_text`, a string value, else the path)."""
        if self.text is None:
            path = self.path + tuple(inner)
            line = _line_index(inner_text, needle) if inner_text is not None and needle else None
            return Spot(path, inner_text, line)
        return Spot(self.path, self.text, _line_index(self.text, needle) if needle else None)


def _line_index(text: str | None, needle: str | None) -> int | None:
    if not text or not needle:
        return None
    for index, line in enumerate(text.splitlines()):
        if needle.strip() and needle.strip() in line:
            return index
    return None


def helm_values(hub: HubInventory) -> Iterator[HelmValues]:
    for release in hub.of_kind("HelmRelease"):
        chart, version = _flux_chart(hub, release)
        values = release.get("spec", "values")
        if isinstance(values, dict):
            yield HelmValues(release, release, _chart_name(chart), values, ("spec", "values"), None, version)
        sources = release.get("spec", "valuesFrom")
        for ref in sources if isinstance(sources, list) else []:
            if not isinstance(ref, dict) or ref.get("kind") != "ConfigMap":
                continue
            config = hub.find("ConfigMap", namespace_of(release), str(ref.get("name")))
            key = str(ref.get("valuesKey") or "values.yaml")
            text = config.get("data", key) if config is not None else None
            parsed = _yaml(text)
            if parsed is not None and config is not None:
                yield HelmValues(config, release, _chart_name(chart), parsed, ("data", key), str(text), version)
    for app in hub.of_kind("Application"):
        if not app.api_version.startswith("argoproj.io/"):
            continue
        single = app.get("spec", "source")
        multiple = app.get("spec", "sources")
        listed = [(("spec", "source"), single)] if isinstance(single, dict) else []
        listed += [(("spec", "sources", i), s) for i, s in enumerate(multiple or []) if isinstance(s, dict)]
        for path, source in listed:
            chart = str(source.get("chart") or str(source.get("path") or "").rstrip("/").rsplit("/", 1)[-1])
            helm = source.get("helm") if isinstance(source.get("helm"), dict) else {}
            version = str(source.get("targetRevision") or "")
            if isinstance(helm.get("valuesObject"), dict):
                yield HelmValues(app, app, _chart_name(chart), helm["valuesObject"], path + ("helm", "valuesObject"), None,
                                 version)
            parsed = _yaml(helm.get("values"))
            if parsed is not None:
                yield HelmValues(app, app, _chart_name(chart), parsed, path + ("helm", "values"), str(helm["values"]),
                                 version)


def _flux_chart(hub: HubInventory, release: K8sObject) -> tuple[str, str]:
    """(chart name, version) of a HelmRelease: its chart template, or the source its `chartRef` names."""
    chart = release.get("spec", "chart", "spec", "chart")
    if chart:
        return str(chart), str(release.get("spec", "chart", "spec", "version") or "")
    ref = chart_ref(release, hub.find)
    if ref is None:
        return "", ""
    return (ref.url.rstrip("/"), ref.version) if ref.url else (ref.name, "")


def _chart_name(chart: str) -> str:
    return chart.strip().lower().rsplit("/", 1)[-1]


def _yaml(text: object) -> dict | None:
    if not isinstance(text, str):
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def dig(values: Any, *path: str | int) -> Any:
    """The value at `path` (mapping keys and list indices), or None when any step is missing."""
    for key in path:
        if isinstance(key, int):
            values = values[key] if isinstance(values, list) and 0 <= key < len(values) else None
        elif isinstance(values, dict):
            values = values.get(key)
        else:
            return None
    return values
