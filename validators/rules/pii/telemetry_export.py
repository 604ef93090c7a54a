"""pii/telemetry-export: PII workloads do not export telemetry to cloud services.

Traces, logs and exceptions of a workload that handles personal data carry personal data
(request paths, user ids, payloads in exception messages). Exporting them to Application
Insights, Datadog, New Relic, Sentry's SaaS or any OTLP endpoint off the premises breaks the
seed's constraint even when the application itself stays on premises.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory
from hubguard.rules.pii.classification import host_classifier, pii_workloads
from hubguard.rules.pii.consumed_values import ConsumedValue, consumed_values
from hubguard.rules.pii.hosts import connection_string_host, endpoint_host
from hubguard.rules.pii.otel_collector import (
    collectors_behind,
    off_prem_exporters,
    parse_collector_config,
)
from hubguard.rules.pii.value_lines import Spot, line_containing, locate_in_text
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.workloads import containers

# "key": setting it at all exports to a SaaS (the service has no on-prem edition).
# "endpoint": exports where its host points; a finding unless that host is on-prem.
DEFAULT_VARIABLES = {
    "APPINSIGHTS_INSTRUMENTATIONKEY": "key",
    "APPLICATIONINSIGHTS_CONNECTION_STRING": "endpoint",
    "APPLICATIONINSIGHTS__CONNECTIONSTRING": "endpoint",  # .NET configuration binding
    "OTEL_EXPORTER_OTLP_*ENDPOINT": "endpoint",
    "OTEL_EXPORTER_ZIPKIN_ENDPOINT": "endpoint",
    "DD_API_KEY": "key",
    "DD_SITE": "endpoint",
    "DD_URL": "endpoint",
    "DD_AGENT_HOST": "key",  # a Datadog agent: it forwards to Datadog's cloud
    "DD_TRACE_AGENT_URL": "key",
    "NEW_RELIC_LICENSE_KEY": "key",
    "NEW_RELIC_HOST": "endpoint",
    "HONEYCOMB_API_KEY": "key",
    "HONEYCOMB_WRITEKEY": "key",
    "HONEYCOMB_API_ENDPOINT": "endpoint",
    "SENTRY_DSN": "endpoint",
}
# Agents of telemetry SaaS run as a container of the workload (a sidecar): their image says it.
SAAS_AGENT_IMAGES = re.compile(
    r"(^|/)(datadog(hq)?/(agent|dogstatsd|cluster-agent)|newrelic/(infrastructure|nri-|newrelic-|k8s-)|"
    r"honeycombio/)[^:@]*", re.IGNORECASE)

RULE_ID = "pii/telemetry-export"
_PLACEHOLDER = re.compile(r"^\s*(\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|<[^>]*>)?\s*$", re.DOTALL)
_CONNECTION_STRING = re.compile(r"InstrumentationKey=[^\"'\s]+", re.IGNORECASE)


def _kind_of(name: str, variables: dict[str, str]) -> str | None:
    upper = name.upper()
    for pattern, kind in variables.items():
        if fnmatch.fnmatchcase(upper, pattern.upper()):
            return kind
    return None


def telemetry_setting(cv: ConsumedValue, policy) -> bool:
    """True when `cv` is a telemetry setting this rule judges, in any form (so other rules leave
    it alone): an exporter variable, an Application Insights connection string or a collector
    configuration in a mounted file."""
    extra = (policy.rules.get(RULE_ID) or {}).get("extra_variables") or {}
    if cv.as_env or cv.obj.kind == "ConfigMap":
        if _kind_of(cv.name, {**DEFAULT_VARIABLES, **extra}):
            return True
    if not cv.value or cv.as_env:
        return False
    return bool(_CONNECTION_STRING.search(cv.value)) or parse_collector_config(cv.value) is not None


def _problems(hub: HubInventory, workload, cv: ConsumedValue, kind: str | None, classifier) -> Iterator[tuple[str, str]]:
    """Why this consumed value exports telemetry off the premises, each with the text to point at."""
    known = cv.value is not None and not _PLACEHOLDER.match(cv.value)
    if kind == "key":
        if cv.value is None or known:  # empty or a placeholder: nothing configured here
            yield f"{cv.name} is set, which sends telemetry to a cloud service", cv.name
        return
    if kind == "endpoint":
        host = endpoint_host(cv.value) if known else None
        if host and not classifier.is_onprem(host):
            yield f"{cv.name} points at {host}, which is not on-prem", host
        elif host:  # an on-prem collector may forward it: its exporters decide
            for obj, _, config in collectors_behind(hub, host, workload.namespace):
                for exporter, why in off_prem_exporters(config, classifier.is_onprem):
                    yield f"{cv.name} points at collector {host}, whose {why} ({obj.ref})", host
        return
    if not cv.value or cv.as_env:
        return
    config = parse_collector_config(cv.value)
    if config is not None:  # a collector running in the workload (a sidecar's configuration)
        for exporter, why in off_prem_exporters(config, classifier.is_onprem):
            yield f"{cv.name} configures an OpenTelemetry Collector whose {why}", f"{exporter.name}:"
        return
    match = _CONNECTION_STRING.search(cv.value)  # a mounted config file with an App Insights connection string
    if match:
        host = connection_string_host(match.group(0))
        if not classifier.is_onprem(host):
            yield f"{cv.name} holds an Application Insights connection string (ingestion at {host})", match.group(0)


def _agent_containers(workload) -> Iterator[tuple[tuple, str]]:
    """(path of the image, image) of each container that is a telemetry SaaS agent."""
    for path, container in containers(workload.obj, init=True):
        image = str(container.get("image") or "")
        if SAAS_AGENT_IMAGES.search(image):
            yield (*path, "image"), image


def check(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    variables = {**ctx.options["variables"], **ctx.options["extra_variables"]}
    classifier = host_classifier(hub, ctx.policy)
    seen: set[tuple] = set()
    for workload in pii_workloads(hub, ctx.policy.pii):
        for cv in consumed_values(hub, workload):
            kind = _kind_of(cv.name, variables) if cv.as_env or cv.obj.kind == "ConfigMap" else None
            for problem, needle in _problems(hub, workload, cv, kind, classifier):
                spot = Spot(cv.path, cv.value, line_containing(cv.value, needle))
                if (cv.obj.ref, cv.path, spot.line) in seen:
                    continue
                seen.add((cv.obj.ref, cv.path, spot.line))
                via = "" if cv.via == "env" else f" (via {cv.via})"
                yield ctx.finding(
                    f"{workload.ref} handles personal data but exports telemetry off the premises: {problem}{via}",
                    locate_in_text(ctx, cv.obj, spot),
                    hub=hub.name,
                    obj=cv.obj,
                    key=f"{cv.obj.ref}:{cv.name}:{needle}",
                )
        for path, image in _agent_containers(workload):
            yield ctx.finding(
                f"{workload.ref} handles personal data but exports telemetry off the premises: it runs {image}, "
                "an agent that ships to its vendor's cloud", workload.obj.locate(*path), hub=hub.name, obj=workload.obj,
                key=f"{workload.ref}:{image}")


RULE = Rule(
    id=RULE_ID,
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A workload that handles personal data exports telemetry to a cloud service.",
    doc="""One rule for every form of telemetry export from a workload that handles personal data. It
looks at the configuration a PII workload consumes — env vars, ConfigMap and Secret keys pulled in
with `valueFrom` or `envFrom` (with their prefix), and ConfigMaps mounted as files — for:
- SDK and agent variables: `APPINSIGHTS_INSTRUMENTATIONKEY`, `APPLICATIONINSIGHTS_CONNECTION_STRING`,
  `OTEL_EXPORTER_OTLP_*ENDPOINT`, `DD_API_KEY`/`DD_SITE`/`DD_AGENT_HOST`, `NEW_RELIC_LICENSE_KEY`,
  `HONEYCOMB_API_KEY`, `SENTRY_DSN`. Key-style settings always mean a SaaS; endpoint-style
  settings are findings unless their host is on-prem: in the cluster (`*.svc`, `*.cluster.local`,
  `svc.namespace`), in `pii.onprem_domains`, Azure Stack Hub's own endpoints, or an IP in a hub's
  `onprem_cidrs`;
- Application Insights connection strings in mounted files;
- OpenTelemetry Collector configurations: a collector mounted in the workload (a sidecar), or the
  in-cluster collector its OTLP endpoint points at (an `OpenTelemetryCollector`, or the ConfigMaps
  of the workloads behind the Service) — every exporter a pipeline uses must stay on-prem (cloud
  exporters such as `azuremonitor` or `datadog` never do);
- Datadog, New Relic and Honeycomb agents running as a container of the workload.
Traces and logs of such a workload carry personal data. The finding points at the value (in the
ConfigMap when it comes from one), the exporter, or the agent's image.

FAIL:

    env:
    - name: APPLICATIONINSIGHTS_CONNECTION_STRING
      value: InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/

FAIL (the collector the workload sends to exports to Azure Monitor):

    env:
    - name: OTEL_EXPORTER_OTLP_ENDPOINT
      value: http://otel-collector.monitoring.svc:4317
    # ConfigMap monitoring/otel-collector-config, mounted by the collector behind that Service:
    exporters:
      azuremonitor:
        connection_string: ${env:APPLICATIONINSIGHTS_CONNECTION_STRING}
    service:
      pipelines:
        traces: {receivers: [otlp], exporters: [azuremonitor]}

PASS (the in-cluster collector keeps everything on-prem):

    exporters:
      otlp:
        endpoint: tempo.monitoring.svc:4317
    service:
      pipelines:
        traces: {receivers: [otlp], exporters: [otlp]}
""",
    remediation="""Send the workload's telemetry to an on-prem collector (an OpenTelemetry Collector, Prometheus,
Loki or Elasticsearch running in the cluster or on-prem) and remove cloud keys from PII
workloads; Application Insights may be used by workloads in a non-PII namespace (monitoring).

    env:
    - name: OTEL_EXPORTER_OTLP_ENDPOINT
      value: http://otel-collector.monitoring.svc:4317

Add your own exporter settings with
`rules: {pii/telemetry-export: {extra_variables: {MYAPM_SERVER_URL: endpoint, MYAPM_TOKEN: key}}}`
(patterns use `*`; `key` = any value is a finding, `endpoint` = a finding unless the host is
on-prem). Declare on-prem domains in `pii.onprem_domains`. To accept a finding, put
`# hubguard: ignore[pii/telemetry-export] reason` on or above the line (a reason is required).""",
    check=check,
    options={
        "variables": {
            "type": "object",
            "additionalProperties": {"enum": ["key", "endpoint"]},
            "default": DEFAULT_VARIABLES,
            "description": "Env var / ConfigMap key patterns that configure telemetry export.",
        },
        "extra_variables": {
            "type": "object",
            "additionalProperties": {"enum": ["key", "endpoint"]},
            "default": {},
            "description": "More patterns, added to `variables`.",
        },
    },
)

RULES = [RULE]
