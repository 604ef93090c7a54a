"""Where a hub's log agents are configured, as routes (object, route): agent configurations in
ConfigMaps and Secrets, `OpenTelemetryCollector` resources, fluent-operator resources, and the
Helm values of agent charts (read the way each chart builds its configuration). No rule logic.
"""

from __future__ import annotations

import base64
import binascii
import re
import tomllib
from typing import Iterator

import yaml
from hubguard.model import HubInventory, K8sObject
from hubguard.rules.pii.fluent_operator import operator_routes
from hubguard.rules.pii.helm_values import HelmValues, dig, helm_values
from hubguard.rules.pii.log_routes import ALL_POD_LOGS, NamespaceFilter, Route
from hubguard.rules.pii.log_shipper_configs import (
    PRESET_FILELOG,
    fluent_bit_routes,
    fluent_bit_yaml_routes,
    fluentd_routes,
    otel_routes,
)
from hubguard.rules.pii.loki_agents import (
    alloy_routes,
    is_alloy_config,
    is_promtail_config,
    promtail_filters,
    promtail_routes,
    relabel_filters,
)
from hubguard.rules.pii.vector_config import is_vector_config, vector_routes

# Words without which a text is no agent configuration (spares parsing every ConfigMap value).
_AGENT_MARKERS = re.compile(r"^\s*(pipeline|sinks|scrape_configs|receivers|exporters):", re.MULTILINE)
# The Fluent Bit chart's inputs when its values set none: every container log file.
FLUENT_BIT_CHART_INPUTS = "[INPUT]\n    Name tail\n    Path /var/log/containers/*.log\n    Tag kube.*\n"


def log_routes(hub: HubInventory) -> Iterator[tuple[K8sObject, Route]]:
    for obj in hub.of_kind("ConfigMap", "Secret", "OpenTelemetryCollector"):
        for route in routes_of(obj):
            yield obj, route
    yield from operator_routes(hub)
    for values in helm_values(hub):
        for route in chart_routes(values):
            yield values.obj, route


def routes_of(obj: K8sObject) -> list[Route]:
    """Every log route an object configures (a ConfigMap or Secret of one of the agents, an OTel CR)."""
    if obj.kind == "OpenTelemetryCollector":
        config = obj.get("spec", "config")
        if isinstance(config, dict):
            return otel_routes(("spec", "config"), config, None)
        parsed = _parse(config)
        return otel_routes(("spec", "config"), parsed, str(config)) if parsed else []
    texts = _texts(obj)
    routes: list[Route] = []
    for key, (path, text) in texts.items():
        others = [t for k, (_, t) in texts.items() if k != key]
        if re.search(r"^\s*\[OUTPUT\]", text, re.MULTILINE | re.IGNORECASE):
            routes += fluent_bit_routes(path, text, others)
        elif re.search(r"^\s*<match\b", text, re.MULTILINE):
            routes += fluentd_routes(path, text)
        elif key.endswith((".alloy", ".river")) or is_alloy_config(text) and not key.endswith((".yaml", ".yml", ".toml")):
            routes += alloy_routes(path, text)
        elif key.endswith((".yaml", ".yml", ".json", ".toml")) or _AGENT_MARKERS.search(text):
            routes += _structured_routes(path, text, _parse(text, toml=key.endswith(".toml")))
    return routes


def _structured_routes(path: tuple, text: str, config: dict | None) -> list[Route]:
    if not config:
        return []
    if isinstance(config.get("pipeline"), dict):
        return fluent_bit_yaml_routes(path, text, config)
    if is_vector_config(config):
        return vector_routes(path, config, text)
    if is_promtail_config(config):
        return promtail_routes(path, config, text)
    if "exporters" in config:
        return otel_routes(path, config, text)
    return []


def _texts(obj: K8sObject) -> dict[str, tuple[tuple, str]]:
    """key -> (path, text) of a ConfigMap's or Secret's text values (Secret `data` decoded)."""
    if obj.kind not in ("ConfigMap", "Secret"):
        return {}
    found: dict[str, tuple[tuple, str]] = {}
    for field in ("data", "stringData"):
        data = obj.get(field)
        for key, value in (data.items() if isinstance(data, dict) else []):
            if obj.kind == "Secret" and field == "data":
                try:
                    value = base64.b64decode(str(value), validate=True).decode("utf-8")
                except (binascii.Error, UnicodeDecodeError, ValueError):
                    continue
            if isinstance(value, str):
                found[str(key)] = ((field, key), value)
    return found


def _parse(text: object, toml: bool = False) -> dict | None:
    try:
        data = tomllib.loads(str(text)) if toml else yaml.safe_load(str(text or ""))
    except (yaml.YAMLError, tomllib.TOMLDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# ---- Helm values of agent charts ----------------------------------------------------------------


def chart_routes(values: HelmValues) -> list[Route]:
    chart = values.chart
    if "fluent-bit" in chart or "fluentbit" in chart:
        return _fluent_bit_chart(values)
    if "fluentd" in chart:
        texts = dig(values.values, "fileConfigs")
        text = "\n".join(str(t) for t in texts.values()) if isinstance(texts, dict) else ""
        return _relocated(values, fluentd_routes(values.path + ("fileConfigs",), text))
    if "vector" in chart:
        config = dig(values.values, "customConfig")
        return vector_routes(values.path + ("customConfig",), config, None) if isinstance(config, dict) else []
    if "promtail" in chart:
        return _promtail_chart(values)
    if "alloy" in chart:
        text = dig(values.values, "alloy", "configMap", "content")
        return _relocated(values, alloy_routes(values.path + ("alloy", "configMap", "content"), text)) if isinstance(text, str) else []
    if "opentelemetry-collector" in chart or "otel-collector" in chart:
        return _otel_chart(values)
    if "datadog" in chart:
        return _datadog_chart(values)
    return []


def _relocated(values: HelmValues, routes: list[Route]) -> list[Route]:
    """Routes whose spots point into a string inside the values, moved to the values' own text
    when the values are text (an Argo CD `helm.values` block, a ConfigMap key)."""
    if values.text is None:
        return routes
    for route in routes:
        lines = (route.spot.text or "").splitlines()
        needle = lines[route.spot.line].strip() if route.spot.line is not None and route.spot.line < len(lines) else None
        route.spot = values.spot(needle=needle)
    return routes


def _fluent_bit_chart(values: HelmValues) -> list[Route]:
    config = dig(values.values, "config") if isinstance(dig(values.values, "config"), dict) else {}
    outputs = config.get("outputs")
    if not isinstance(outputs, str):
        return []  # the chart's default output is the in-cluster Elasticsearch
    inputs = config.get("inputs") if isinstance(config.get("inputs"), str) else FLUENT_BIT_CHART_INPUTS
    filters = config.get("filters") if isinstance(config.get("filters"), str) else ""
    return _relocated(values, fluent_bit_routes(values.path + ("config", "outputs"), outputs, [inputs, filters]))


def _promtail_chart(values: HelmValues) -> list[Route]:
    """The chart scrapes every pod; its snippets add relabel rules and pipeline stages."""
    clients = dig(values.values, "config", "clients")
    snippets = dig(values.values, "config", "snippets") if isinstance(dig(values.values, "config", "snippets"), dict) else {}
    filters = tuple(relabel_filters(snippets.get("extraRelabelConfigs"))) + promtail_filters(
        {"pipeline_stages": snippets.get("pipelineStages")})
    routes = []
    for index, client in enumerate(clients if isinstance(clients, list) else []):
        if isinstance(client, dict) and client.get("url"):
            spot = values.spot("config", "clients", index, "url", needle=f"url: {client['url']}")
            routes.append(Route("Promtail", [ALL_POD_LOGS], [], "loki", [str(client["url"])], spot, filters))
    return routes


def _otel_chart(values: HelmValues) -> list[Route]:
    config = dig(values.values, "config") if isinstance(dig(values.values, "config"), dict) else {}
    if dig(values.values, "presets", "logsCollection", "enabled") is True:
        receivers = dict(config.get("receivers") or {}, filelog=PRESET_FILELOG)
        service = dict(config.get("service") or {})
        pipelines = dict(service.get("pipelines") or {})
        logs = dict(pipelines.get("logs") or {})
        logs["receivers"] = list(dict.fromkeys([*(logs.get("receivers") or []), "filelog"]))
        config = {**config, "receivers": receivers, "service": {**service, "pipelines": {**pipelines, "logs": logs}}}
    if values.text is not None:
        return otel_routes(values.path, config, values.text)
    return otel_routes(values.path + ("config",), config, None)


def _datadog_chart(values: HelmValues) -> list[Route]:
    """The Datadog agent ships container logs to Datadog when logs and containerCollectAll are on;
    `containerExcludeLogs` (`kube_namespace:<regex> ...`) excludes namespaces."""
    logs = dig(values.values, "datadog", "logs")
    if not isinstance(logs, dict) or logs.get("enabled") is not True or logs.get("containerCollectAll") is not True:
        return []
    excluded = " ".join(str(dig(values.values, "datadog", key) or "") for key in ("containerExcludeLogs", "containerExclude"))
    filters = tuple(NamespaceFilter(keep=False, regex=pattern, anchored=False) for pattern in re.findall(r"kube_namespace:(\S+)", excluded))
    site = str(dig(values.values, "datadog", "site") or "datadoghq.com")
    spot = values.spot("datadog", "logs", "containerCollectAll", needle="containerCollectAll")
    return [Route("Datadog Agent", [ALL_POD_LOGS], [], "datadog", [site], spot, filters)]


