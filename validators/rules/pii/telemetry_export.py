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
from hubguard.rules.pii.value_lines import Spot, line_containing, locate_in_text
from hubguard.rules.registry import Rule, RuleContext, Scope

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
    "NEW_RELIC_LICENSE_KEY": "key",
    "SENTRY_DSN": "endpoint",
}

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
    """True when `cv` is a telemetry setting this rule judges (so other rules leave it alone)."""
    extra = (policy.rules.get(RULE_ID) or {}).get("extra_variables") or {}
    if cv.as_env or cv.obj.kind == "ConfigMap":
        if _kind_of(cv.name, {**DEFAULT_VARIABLES, **extra}):
            return True
    return bool(cv.value and not cv.as_env and _CONNECTION_STRING.search(cv.value))


def _problem(cv: ConsumedValue, kind: str | None, classifier) -> tuple[str, str] | None:
    """Why this consumed value exports telemetry off the premises, and the text to point at."""
    known = cv.value is not None and not _PLACEHOLDER.match(cv.value)
    if kind == "key":
        if cv.value is not None and not known:
            return None  # empty or a placeholder: nothing configured here
        return f"{cv.name} is set, which sends telemetry to a cloud service", cv.name
    if kind == "endpoint":
        host = endpoint_host(cv.value) if known else None
        if host and not classifier.is_onprem(host):
            return f"{cv.name} points at {host}, which is not on-prem", host
        return None
    if cv.value and not cv.as_env:  # a mounted config file with an App Insights connection string
        match = _CONNECTION_STRING.search(cv.value)
        if match:
            host = connection_string_host(match.group(0))
            if not classifier.is_onprem(host):
                why = f"{cv.name} holds an Application Insights connection string (ingestion at {host})"
                return why, match.group(0)
    return None


def check(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    variables = {**ctx.options["variables"], **ctx.options["extra_variables"]}
    classifier = host_classifier(hub, ctx.policy)
    seen: set[tuple[str, tuple]] = set()
    for workload in pii_workloads(hub, ctx.policy.pii):
        for cv in consumed_values(hub, workload):
            kind = _kind_of(cv.name, variables) if cv.as_env or cv.obj.kind == "ConfigMap" else None
            found = _problem(cv, kind, classifier)
            if found is None or (cv.obj.ref, cv.path) in seen:
                continue
            problem, needle = found
            seen.add((cv.obj.ref, cv.path))
            via = "" if cv.via == "env" else f" (via {cv.via})"
            yield ctx.finding(
                f"{workload.ref} handles personal data but exports telemetry off the premises: {problem}{via}",
                locate_in_text(ctx, cv.obj, Spot(cv.path, cv.value, line_containing(cv.value, needle))),
                hub=hub.name,
                obj=cv.obj,
                key=f"{cv.obj.ref}:{cv.name}",
            )


RULE = Rule(
    id=RULE_ID,
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A workload that handles personal data exports telemetry to a cloud service.",
    doc="""Looks at the configuration a PII workload consumes — env vars, ConfigMap and Secret keys pulled
in with `valueFrom` or `envFrom` (with their prefix), and ConfigMaps mounted as files — for
telemetry exporters: `APPINSIGHTS_INSTRUMENTATIONKEY`, `APPLICATIONINSIGHTS_CONNECTION_STRING`,
`OTEL_EXPORTER_OTLP_*ENDPOINT`, `DD_API_KEY`/`DD_SITE`, `NEW_RELIC_LICENSE_KEY`, `SENTRY_DSN`, and
Application Insights connection strings in mounted files. Key-style settings (instrumentation
keys, license keys) always mean a SaaS; endpoint-style settings are findings unless their host is
on-prem: in the cluster (`*.svc`, `*.cluster.local`, `svc.namespace`), in `pii.onprem_domains`,
Azure Stack Hub's own endpoints, or an IP in a hub's `onprem_cidrs`. Traces and logs of such a
workload carry personal data. The finding points at the value (in the ConfigMap when it comes
from one).

FAIL:

    env:
    - name: APPLICATIONINSIGHTS_CONNECTION_STRING
      value: InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/

PASS (an OpenTelemetry Collector in the cluster, which may forward non-personal metrics):

    env:
    - name: OTEL_EXPORTER_OTLP_ENDPOINT
      value: http://otel-collector.monitoring.svc:4317
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
