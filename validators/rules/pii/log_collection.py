"""pii/log-collection: container logs of PII namespaces are not shipped off the premises."""

from __future__ import annotations

import re
import tomllib
from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory
from hubguard.rules.pii.classification import host_classifier, pii_namespaces
from hubguard.rules.pii.hosts import endpoint_host
from hubguard.rules.pii.log_shipper_configs import Route, namespace_covered, routes_of
from hubguard.rules.pii.value_lines import Spot, locate_in_text
from hubguard.rules.registry import Rule, RuleContext, Scope

AGENT_CONFIGMAP = ("kube-system", "container-azm-ms-agentconfig")
AGENT_DAEMONSETS = ("omsagent", "ama-logs")  # Container Insights agents (legacy and current names)
STREAMS = ("stdout", "stderr")

# Output plugins / exporters that always deliver to a cloud service.
CLOUD_OUTPUTS = (
    "azure", "azure_blob", "azure_logs_ingestion", "azure_kusto", "azure_loganalytics", "azurestorage",
    "azure_storage_append_blob", "azuremonitor", "azuredataexplorer", "azureblob",
    "cloudwatch_logs", "kinesis_firehose", "kinesis_streams", "s3", "awscloudwatchlogs", "awss3", "awskinesis",
    "stackdriver", "google_cloud", "googlecloud", "googlecloudpubsub", "bigquery",
    "datadog", "newrelic", "logdna", "logzio", "logzio_buffered", "sumologic", "sentry",
)


def _toml_line(text: str, section: str, key: str | None) -> int | None:
    """0-based line of `[section]` (or of `key` inside it) in TOML text."""
    header = re.compile(r"^\s*\[\s*" + re.escape(section) + r"\s*\]")
    start = None
    for index, line in enumerate(text.splitlines()):
        if start is None:
            if header.match(line):
                start = index
                if key is None:
                    return index
        elif re.match(r"^\s*\[", line):
            break
        elif re.match(r"^\s*" + re.escape(key or "") + r"\s*=", line):
            return index
    return start


def check_agent_config(hub: HubInventory, ctx: RuleContext, pii: set[str]) -> Iterator[Finding]:
    config = hub.find("ConfigMap", *AGENT_CONFIGMAP)
    if config is None:
        for agent in hub.of_kind("DaemonSet"):
            if agent.name in AGENT_DAEMONSETS and agent.namespace == AGENT_CONFIGMAP[0]:
                yield ctx.finding(
                    f"Container Insights agent {agent.name} runs without a {AGENT_CONFIGMAP[1]} ConfigMap, so it "
                    "ships stdout and stderr of every namespace to Azure, "
                    f"PII namespace(s) {', '.join(sorted(pii))} included",
                    agent.locate("metadata", "name"), hub=hub.name, obj=agent)
        return
    data = config.get("data") if isinstance(config.get("data"), dict) else {}
    key = next((k for k, v in data.items() if isinstance(v, str) and "log_collection_settings" in v), None)
    if key is None:  # without log settings the agent's defaults collect every namespace but kube-system
        yield ctx.finding(
            f"{AGENT_CONFIGMAP[1]} has no log_collection_settings, so Container Insights ships stdout and stderr "
            f"of PII namespace(s) {', '.join(sorted(pii))} to Azure",
            config.locate("data") if data else config.locate("metadata", "name"), hub=hub.name, obj=config)
        return
    text = data[key]
    try:
        settings = tomllib.loads(text).get("log_collection_settings")
    except tomllib.TOMLDecodeError as exc:
        yield ctx.finding(f"{key} is not valid TOML ({exc}); the agent then falls back to collecting every namespace",
                          config.locate("data", key), hub=hub.name, obj=config)
        return
    settings = settings if isinstance(settings, dict) else {}
    for stream in STREAMS:
        section = settings.get(stream) if isinstance(settings.get(stream), dict) else {}
        if section.get("enabled", True) is False:
            continue
        listed = section.get("exclude_namespaces")
        excluded = {str(n) for n in listed} if isinstance(listed, list) else set()
        missing = sorted(pii - excluded)
        if not missing:
            continue
        name = f"log_collection_settings.{stream}"
        line = _toml_line(text, name, "exclude_namespaces" if "exclude_namespaces" in section else "enabled")
        yield ctx.finding(
            f"Container Insights collects {stream} of PII namespace(s) {', '.join(missing)} and ships it to Azure: "
            f"add them to [{name}] exclude_namespaces or set enabled = false",
            locate_in_text(ctx, config, Spot(("data", key), text, line)),
            hub=hub.name, obj=config, key=f"{config.ref}:{stream}",
        )


def _off_prem(route: Route, classifier, cloud_outputs: set[str]) -> str | None:
    if route.output in cloud_outputs:
        return f"output {route.output} is a cloud service"
    for value in route.hosts:
        host = endpoint_host(value)
        if host and not classifier.is_onprem(host):
            return f"output {route.output} sends to {host}, which is not on-prem"
    return None


def check(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    pii = pii_namespaces(hub, ctx.policy.pii)
    if not pii:
        return
    yield from check_agent_config(hub, ctx, pii)
    classifier = host_classifier(hub, ctx.policy)
    cloud = set(CLOUD_OUTPUTS) | {o.lower().replace("-", "_") for o in ctx.options["extra_cloud_outputs"]}
    for obj in hub.of_kind("ConfigMap", "OpenTelemetryCollector"):
        seen: set[tuple] = set()
        for route in routes_of(obj):
            covered = sorted(ns for ns in pii if namespace_covered(route, ns))
            why = _off_prem(route, classifier, cloud) if covered else None
            if why is None or (route.spot.path, route.spot.line) in seen:
                continue
            seen.add((route.spot.path, route.spot.line))
            yield ctx.finding(
                f"{route.tool} config ships container logs of PII namespace(s) {', '.join(covered)} "
                f"off the premises: {why}",
                locate_in_text(ctx, obj, route.spot),
                hub=hub.name, obj=obj, key=f"{obj.ref}:{route.output}",
            )


RULE = Rule(
    id="pii/log-collection",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A log agent collects container logs of a PII namespace and ships them off the premises.",
    doc="""Container logs of workloads that handle personal data contain personal data. Per hub, checks:

- the Container Insights agent ConfigMap (`container-azm-ms-agentconfig` in `kube-system`, TOML in
  its `log-data-collection-settings` key): both `[log_collection_settings.stdout]` and
  `[log_collection_settings.stderr]` must list every PII namespace in `exclude_namespaces`, or be
  `enabled = false`. An agent DaemonSet (`ama-logs`, `omsagent`) without that ConfigMap collects
  everything;
- Fluent Bit (classic or YAML), Fluentd and OpenTelemetry Collector configurations (ConfigMaps,
  `OpenTelemetryCollector` resources) whose `tail`/`filelog` inputs read a PII namespace's files
  under `/var/log/containers` or `/var/log/pods` and route them to a cloud output (Azure Log
  Analytics, CloudWatch, S3, Datadog, …) or a host that is not on-prem.

Namespaces are PII when labelled, listed in `pii.namespaces`, or running a PII workload.

FAIL (namespace ratings is PII):

    [log_collection_settings.stdout]
       enabled = true
       exclude_namespaces = ["kube-system"]

PASS:

    [log_collection_settings.stdout]
       enabled = true
       exclude_namespaces = ["kube-system", "ratings"]
""",
    remediation="""Exclude the PII namespaces from collection, or send their logs to an on-prem store.

    apiVersion: v1
    kind: ConfigMap
    metadata: {name: container-azm-ms-agentconfig, namespace: kube-system}
    data:
      schema-version: v1
      log-data-collection-settings: |-
        [log_collection_settings]
           [log_collection_settings.stdout]
              enabled = true
              exclude_namespaces = ["kube-system", "ratings"]
           [log_collection_settings.stderr]
              enabled = true
              exclude_namespaces = ["kube-system", "ratings"]

For Fluent Bit, add `Exclude_Path /var/log/containers/*_ratings_*.log` to the tail input, or route
it to an on-prem output. Declare more cloud output plugins with
`rules: {pii/log-collection: {extra_cloud_outputs: [my_saas]}}`. To accept a finding, put
`# hubguard: ignore[pii/log-collection] reason` on or above the line (a reason is required).""",
    check=check,
    options={
        "extra_cloud_outputs": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "More output plugin / exporter types that deliver to a cloud service.",
        }
    },
)

RULES = [RULE]
