"""pii/log-collection: container logs of PII namespaces are not shipped off the premises."""

from __future__ import annotations

import re
import tomllib
from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory
from hubguard.rules.pii.classification import host_classifier, pii_namespaces
from hubguard.rules.pii.hosts import endpoint_host
from hubguard.rules.pii.log_routes import Route, namespace_covered
from hubguard.rules.pii.log_sources import log_routes
from hubguard.rules.pii.value_lines import Spot, locate_in_text
from hubguard.rules.pii.vector_config import CLOUD_SINKS
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
    # fluent-operator plugin keys, normalised
    "azureloganalytics", "azureblob", "cloudwatch", "firehose", "kinesis", "stackdriver",
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
    cloud = set(CLOUD_OUTPUTS) | set(CLOUD_SINKS) | {o.lower().replace("-", "_") for o in ctx.options["extra_cloud_outputs"]}
    seen: set[tuple] = set()
    for obj, route in log_routes(hub):
        covered = sorted(ns for ns in pii if namespace_covered(route, ns, hub.namespace_labels(ns)))
        why = _off_prem(route, classifier, cloud) if covered else None
        place = (obj.ref, route.spot.path, route.spot.line)
        if why is None or place in seen:
            continue
        seen.add(place)
        yield ctx.finding(
            f"{route.tool} config ships container logs of PII namespace(s) {', '.join(covered)} "
            f"off the premises: {why}",
            locate_in_text(ctx, obj, route.spot),
            hub=hub.name, obj=obj, key=f"{obj.ref}:{route.output}:{'.'.join(map(str, route.spot.path))}",
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
- the log agents teams deploy, wherever their configuration is written: ConfigMaps and Secrets,
  `OpenTelemetryCollector` resources, fluent-operator resources (Fluent Bit `ClusterInput`/
  `ClusterFilter`/`ClusterOutput`/`Output`, Fluentd `ClusterOutput`/`Output` with the
  `ClusterFluentdConfig`/`FluentdConfig` that select them), and the Helm values of their charts in a
  Flux `HelmRelease` (`values`, `valuesFrom` ConfigMaps) or an Argo CD Helm source (`helm.values`,
  `valuesObject`) — the values are in the repository even when the chart is not. Agents: Fluent Bit
  (classic or YAML), Fluentd, Vector (`kubernetes_logs` sources through `filter`/`route`
  transforms to sinks), the OpenTelemetry Collector (`filelog` receivers, the chart's
  `presets.logsCollection`), Promtail, Grafana Alloy and the Datadog agent (`containerCollectAll`).
  A route is a finding when it reads a PII namespace's container logs and its output is a cloud
  service (Azure Log Analytics, CloudWatch, S3, Datadog, Grafana Cloud's Loki, …) or a host that is
  not on-prem.

Exclusions written in the agent's own configuration count: exclude paths and globs, Fluent Bit and
Fluentd `grep` filters on the namespace, Vector's `extra_field_selector`,
`extra_namespace_label_selector` and namespace conditions, Promtail/Alloy relabel rules that
`drop`/`keep` on `__meta_kubernetes_namespace` and `drop` stages, discovery `namespaces`, Fluentd
`watchedNamespaces`, Datadog's `containerExcludeLogs: kube_namespace:…`. When in doubt (a
condition hubguard cannot read), logs are collected.

Namespaces are PII when labelled, listed in `pii.namespaces`, or running a PII workload.

FAIL (namespace ratings is PII):

    [log_collection_settings.stdout]
       enabled = true
       exclude_namespaces = ["kube-system"]

FAIL (a Vector agent's configuration):

    sources:
      k8s: {type: kubernetes_logs}
    sinks:
      grafana_cloud:
        type: loki
        inputs: [k8s]
        endpoint: https://logs-prod-eu-west-0.grafana.net

PASS:

    [log_collection_settings.stdout]
       enabled = true
       exclude_namespaces = ["kube-system", "ratings"]

PASS (the agent excludes the PII namespace itself):

    sources:
      k8s:
        type: kubernetes_logs
        extra_field_selector: metadata.namespace!=ratings
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

For Fluent Bit, add `Exclude_Path /var/log/containers/*_ratings_*.log` to the tail input (or a
`grep` filter `Exclude $kubernetes['namespace_name'] ^ratings$`), or route it to an on-prem output.
For Vector, `extra_field_selector: metadata.namespace!=ratings`; for Promtail and Alloy, a relabel
rule `{source_labels: [__meta_kubernetes_namespace], regex: ratings, action: drop}`; for Datadog,
`datadog.containerExcludeLogs: kube_namespace:ratings`. Declare more cloud output plugins with
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
