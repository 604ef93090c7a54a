"""Where a host is: inside the cluster, on the premises, or at a public cloud provider.

Three answers matter to the pii/* rules and they are not complements of each other:
- on-prem: in-cluster names (`*.svc`, `*.cluster.local`, single-label names, `name.<namespace>`),
  the policy's `pii.onprem_domains`, Azure Stack Hub's own endpoints, and IPs in on-prem CIDRs;
- public cloud: a host whose suffix is a known public cloud or SaaS domain (pii/public-endpoint);
- anything else is "not known to be on-prem" — off-prem for telemetry and log shipping, where the
  rule must prove the destination stays on the premises, but not worth a public-endpoint finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator
from urllib.parse import urlsplit

from hubguard.rules.addresses import cidr_within, parse_network

# Public cloud and SaaS domains. Matching is by whole labels: `x.blob.core.windows.net` ends with
# `windows.net`; `mywindows.net` does not.
PUBLIC_CLOUD_SUFFIXES: tuple[str, ...] = (
    # Azure
    "azure.com", "azure.net", "windows.net", "azurewebsites.net", "cloudapp.net", "azurecr.io",
    "azure-api.net", "azureedge.net", "azurefd.net", "azure-devices.net", "servicebus.windows.net",
    "applicationinsights.io", "loganalytics.io", "visualstudio.com", "azurestaticapps.net",
    # AWS
    "amazonaws.com", "cloudfront.net", "awsapps.com",
    # Google
    "googleapis.com", "appspot.com", "cloudfunctions.net", "run.app", "firebaseio.com",
    # Telemetry and logging SaaS
    "datadoghq.com", "datadoghq.eu", "ddog-gov.com", "newrelic.com", "nr-data.net", "sentry.io",
    "splunkcloud.com", "grafana.net", "honeycomb.io", "logz.io", "elastic-cloud.com", "cloud.es.io",
)

# Azure Stack Hub's own endpoints (portal, ARM, storage, Key Vault of the stamp) stay on the stamp.
AZURE_STACK_SUFFIXES: tuple[str, ...] = ("local.azurestack.external",)

CLUSTER_SUFFIXES: tuple[str, ...] = ("svc", "cluster.local")

_HOST = re.compile(
    r"(?<![\w.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}[a-z0-9])(?![\w-])",
    re.IGNORECASE,
)


def has_suffix(host: str, suffix: str) -> bool:
    """True when `host` is `suffix` or a subdomain of it (label-wise, case-insensitive)."""
    host = host.lower().rstrip(".")
    suffix = suffix.lower().strip(".").removeprefix("*.")
    return host == suffix or host.endswith("." + suffix)


@dataclass(frozen=True)
class HostClassifier:
    """On-prem knowledge of one hub: the policy's domains and the CIDRs of every hub."""

    onprem_domains: tuple[str, ...] = ()
    onprem_cidrs: tuple[str, ...] = ()
    cluster_namespaces: frozenset[str] = field(default_factory=frozenset)
    azure_stack_suffixes: tuple[str, ...] = AZURE_STACK_SUFFIXES

    def is_ip(self, host: str) -> bool:
        return parse_network(host.strip("[]")) is not None and "/" not in host

    def is_onprem(self, host: str) -> bool:
        host = host.strip().strip("[]").lower().rstrip(".")
        if not host:
            return False
        if self.is_ip(host):
            return cidr_within(host, self.onprem_cidrs) or _is_loopback(host)
        labels = host.split(".")
        if len(labels) == 1:  # resolved through the pod's search domains: a Service
            return True
        if len(labels) == 2 and labels[1] in self.cluster_namespaces:  # `service.namespace`
            return True
        suffixes = CLUSTER_SUFFIXES + tuple(self.onprem_domains) + tuple(self.azure_stack_suffixes)
        return any(has_suffix(host, s) for s in suffixes)

    def is_internet_address(self, address: str) -> bool:
        """An address (or a CIDR: some of its addresses) the internet can reach: globally routable and
        not within the hubs' on-prem CIDRs. Private (RFC 1918, ULA), shared (CGNAT), link-local and
        documentation ranges never are."""
        network = parse_network(address.strip("[]"))
        return network is not None and network.is_global and not cidr_within(str(network), self.onprem_cidrs)

    def is_public_cloud(self, host: str, public_suffixes: Iterable[str]) -> bool:
        if self.is_onprem(host):
            return False
        return any(has_suffix(host, s) for s in public_suffixes)


def _is_loopback(host: str) -> bool:
    net = parse_network(host)
    return net is not None and net.is_loopback


def hosts_in(text: str) -> Iterator[str]:
    """Domain names appearing anywhere in a free-form value (URLs, connection strings, JSON, args)."""
    for match in _HOST.finditer(text or ""):
        yield match.group(1).lower()


def endpoint_host(value: str) -> str | None:
    """The host an endpoint-like value points at: a URL, `host:port`, a bare host, or an
    Application Insights connection string (its IngestionEndpoint)."""
    value = (value or "").strip().strip("\"'")
    if not value:
        return None
    if "=" in value and ";" in value or value.lower().startswith(("instrumentationkey=", "ingestionendpoint=")):
        return connection_string_host(value)
    if "://" not in value:
        value = "//" + value
    try:
        host = urlsplit(value).hostname
    except ValueError:
        return None
    return host.lower() if host else None


# Where Application Insights sends data when a connection string names no IngestionEndpoint.
APP_INSIGHTS_DEFAULT_HOST = "dc.services.visualstudio.com"


def connection_string_host(value: str) -> str:
    fields = {}
    for part in value.split(";"):
        name, _, val = part.partition("=")
        fields[name.strip().lower()] = val.strip()
    endpoint = fields.get("ingestionendpoint")
    if endpoint:
        return endpoint_host(endpoint) or endpoint
    return APP_INSIGHTS_DEFAULT_HOST
