"""OpenTelemetry Collector configurations: which exporters the pipelines use and where they send.

Shared by pii/telemetry-export (a collector's `exporters` are a telemetry export) and the log
routes of pii/log-collection (`filelog` receivers). Only exporters named in a pipeline of
`service.pipelines` export anything. No rule logic here.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

# Exporters that always deliver to a cloud service, whatever their settings.
CLOUD_EXPORTERS = (
    "azuremonitor", "azuredataexplorer", "azureblob", "datadog", "googlecloud", "googlemanagedprometheus",
    "googlecloudpubsub", "awsxray", "awsemf", "awscloudwatchlogs", "awss3", "awskinesis", "logzio", "sapm", "signalfx",
    "sumologic", "coralogix", "dynatrace", "honeycombmarker", "alibabacloud_logservice", "tencentcloud_logservice",
    "sentry", "instana", "logicmonitor", "mezmo", "newrelic",
)


@dataclass(frozen=True)
class Exporter:
    name: str  # as configured, e.g. "otlphttp/cloud"
    settings: dict
    signals: tuple[str, ...]  # pipelines that use it: "traces", "metrics/app", "logs"

    @property
    def type(self) -> str:
        return self.name.split("/", 1)[0].strip().lower().replace("-", "_")


def is_collector_config(config: object) -> bool:
    return isinstance(config, dict) and isinstance(config.get("exporters"), dict) and isinstance(config.get("service"), dict)


def parse_collector_config(text: object) -> dict | None:
    """A collector configuration written as YAML text (a ConfigMap key, a CR's `config` string)."""
    if isinstance(text, dict):
        return text if is_collector_config(text) else None
    if not isinstance(text, str) or "exporters" not in text:
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return data if is_collector_config(data) else None


def pipelines(config: dict) -> dict[str, dict]:
    found = (config.get("service") or {}).get("pipelines") if isinstance(config.get("service"), dict) else None
    return {str(k): v for k, v in found.items() if isinstance(v, dict)} if isinstance(found, dict) else {}


def names(value: object) -> list[str]:
    return [str(v) for v in value if isinstance(v, (str, int))] if isinstance(value, list) else []


def used_exporters(config: dict) -> list[Exporter]:
    """Every exporter some pipeline uses, with its settings and the pipelines that use it."""
    declared = config.get("exporters") if isinstance(config.get("exporters"), dict) else {}
    signals: dict[str, list[str]] = {}
    for pipeline, spec in pipelines(config).items():
        for name in names(spec.get("exporters")):
            signals.setdefault(name, []).append(pipeline)
    return [Exporter(name, declared.get(name) if isinstance(declared.get(name), dict) else {}, tuple(used))
            for name, used in signals.items()]


def off_prem_exporters(config: dict, is_onprem) -> list[tuple[Exporter, str]]:
    """The used exporters that send off the premises, each with why (`is_onprem(host)` decides
    for exporters with an endpoint; cloud exporter types always do)."""
    from hubguard.rules.pii.hosts import endpoint_host
    from hubguard.rules.pii.log_routes import hosts_of

    found = []
    for exporter in used_exporters(config):
        if exporter.type in CLOUD_EXPORTERS:
            found.append((exporter, f"exporter {exporter.name} is a cloud service"))
            continue
        for value in hosts_of(exporter.settings):
            host = endpoint_host(value)
            if host and not is_onprem(host):
                found.append((exporter, f"exporter {exporter.name} sends to {host}, which is not on-prem"))
                break
    return found


def collectors_behind(hub, host: str, namespace: str) -> list[tuple[object, tuple, dict]]:
    """Collector configurations serving an in-cluster host (`svc`, `svc.ns`, `svc.ns.svc[.cluster.local]`):
    the OpenTelemetryCollector whose Service it is (`<name>-collector`), or the ConfigMaps mounted
    by the workloads the Service selects. (object, path of the config, config)."""
    from hubguard.rules.selectors import selector_matches
    from hubguard.rules.workloads import POD_KINDS, pod_template

    labels = host.lower().split(".")
    tail = ".".join(labels[2:])
    if len(labels) > 2 and tail not in ("svc", "svc.cluster.local"):
        return []
    name, ns = labels[0], labels[1] if len(labels) > 1 else namespace
    found: list[tuple[object, tuple, dict]] = []
    custom = hub.find("OpenTelemetryCollector", ns, name.removesuffix("-collector"))
    if custom is not None and name.endswith("-collector"):
        config = parse_collector_config(custom.get("spec", "config"))
        if config is not None:
            found.append((custom, ("spec", "config"), config))
    service = hub.find("Service", ns, name)
    selector = service.get("spec", "selector") if service is not None else None
    if not isinstance(selector, dict) or not selector:
        return found
    for workload in hub.in_namespace(ns, *POD_KINDS):
        template = pod_template(workload)
        if template is None or not selector_matches({"matchLabels": selector}, template.labels):
            continue
        volumes = template.spec.get("volumes") if isinstance(template.spec.get("volumes"), list) else []
        for volume in volumes:
            ref = volume.get("configMap") if isinstance(volume, dict) else None
            config_map = hub.find("ConfigMap", ns, str(ref.get("name"))) if isinstance(ref, dict) else None
            data = config_map.get("data") if config_map is not None else None
            for key, text in (data.items() if isinstance(data, dict) else []):
                config = parse_collector_config(text)
                if config is not None:
                    found.append((config_map, ("data", key), config))
    return found
