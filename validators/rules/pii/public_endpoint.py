"""pii/public-endpoint: PII workloads are not configured to talk to public cloud hosts."""

from __future__ import annotations

from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory, K8sObject
from hubguard.policy import PiiPolicy
from hubguard.rules.pii.classification import (
    host_classifier,
    namespace_of,
    namespace_reason,
    pii_workloads,
)
from hubguard.rules.pii.chart_ingress import chart_hosts
from hubguard.rules.pii.chart_load_balancers import chart_addresses
from hubguard.rules.pii.consumed_values import consumed_values
from hubguard.rules.pii.helm_values import HelmValues
from hubguard.rules.pii.hosts import PUBLIC_CLOUD_SUFFIXES, HostClassifier, hosts_in
from hubguard.rules.pii.inbound_exposure import publications
from hubguard.rules.pii.telemetry_export import telemetry_setting
from hubguard.rules.pii.value_lines import Spot, line_containing, locate_in_text
from hubguard.rules.registry import Rule, RuleContext, Scope


def _external_name_target(hub: HubInventory, host: str, pii: PiiPolicy) -> tuple[K8sObject, str] | None:
    """The ExternalName Service an in-cluster name (`svc.ns`, `svc.ns.svc[.cluster.local]`) resolves to."""
    labels = host.split(".")
    if len(labels) < 2:
        return None
    tail = ".".join(labels[2:])
    if tail not in ("", "svc", "svc.cluster.local"):
        return None
    service = hub.find("Service", labels[1], labels[0])
    if service is None or service.get("spec", "type") != "ExternalName":
        return None
    if namespace_reason(hub, labels[1], pii):
        return None  # a Service in a PII namespace is reported where it is declared
    target = service.get("spec", "externalName")
    return (service, str(target)) if isinstance(target, str) and target else None


def check(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    suffixes = tuple(ctx.options["public_suffixes"]) + tuple(ctx.options["extra_public_suffixes"])
    classifier: HostClassifier = host_classifier(hub, ctx.policy)
    seen: set[tuple[str, tuple, str]] = set()
    workloads = pii_workloads(hub, ctx.policy.pii)
    yield from _published(hub, ctx, workloads, classifier)
    yield from _chart_published(hub, ctx, classifier)
    yield from _chart_addressed(hub, ctx, classifier)
    for workload in workloads:
        for cv in consumed_values(hub, workload):
            if telemetry_setting(cv, ctx.policy):
                continue  # pii/telemetry-export reports it, with a telemetry-specific message
            for host in dict.fromkeys(hosts_in(cv.value or "")):
                problem = None
                if classifier.is_public_cloud(host, suffixes):
                    problem = f"{host} is a public cloud host"
                else:
                    resolved = _external_name_target(hub, host, ctx.policy.pii)
                    if resolved and classifier.is_public_cloud(resolved[1], suffixes):
                        problem = f"{host} is ExternalName Service {resolved[0].ref} pointing at {resolved[1]}"
                if problem is None or (cv.obj.ref, cv.path, host) in seen:
                    continue
                seen.add((cv.obj.ref, cv.path, host))
                via = "" if cv.via in ("env", "args") else f" (via {cv.via})"
                yield ctx.finding(
                    f"{workload.ref} handles personal data but its configuration {cv.name} points off the "
                    f"premises: {problem}{via}",
                    locate_in_text(ctx, cv.obj, Spot(cv.path, cv.value, line_containing(cv.value, host))),
                    hub=hub.name,
                    obj=cv.obj,
                    key=f"{cv.obj.ref}:{cv.name}:{host}",
                )
    for service in hub.of_kind("Service"):
        target = service.get("spec", "externalName")
        if service.get("spec", "type") != "ExternalName" or not isinstance(target, str):
            continue
        reason = namespace_reason(hub, namespace_of(service), ctx.policy.pii)
        if reason and classifier.is_public_cloud(target, suffixes):
            yield ctx.finding(
                f"ExternalName Service {service.name} in a PII namespace ({reason}) "
                f"points at public cloud host {target}",
                service.locate("spec", "externalName"),
                hub=hub.name,
                obj=service,
                key=f"{service.ref}:externalName",
            )


def _published(hub: HubInventory, ctx: RuleContext, workloads, classifier: HostClassifier) -> Iterator[Finding]:
    """Inbound: a PII workload published under a host name that is not on-prem."""
    for publication in publications(hub, workloads):
        if classifier.is_ip(publication.host):
            problem = _internet_address_problem(publication.host, publication.sources, classifier)
            if problem is None:
                continue
        elif classifier.is_onprem(publication.host):
            continue
        else:
            problem = f"under {publication.host}: a host name outside pii.onprem_domains"
        names = [w.ref for w in publication.workloads]
        who = names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more PII workload(s)"
        yield ctx.finding(
            f"{publication.how} publishes {who}, which handles personal data, {problem}",
            publication.obj.locate(*publication.path),
            hub=hub.name,
            obj=publication.obj,
            key=f"{publication.obj.ref}:published:{publication.host}",
        )


def _chart_published(hub: HubInventory, ctx: RuleContext, classifier: HostClassifier) -> Iterator[Finding]:
    """Inbound, from Helm values: a chart whose pods handle personal data, its Ingress on, under a
    host name that is not on-prem."""
    for found in chart_hosts(hub, ctx.policy.pii):
        if not classifier.is_onprem(found.host):
            yield _chart_finding(ctx, hub, found.values, found.path, found.what, found.reason,
                                 f"under {found.host}: a host name outside pii.onprem_domains",
                                 found.written or found.host, found.host)


def _chart_addressed(hub: HubInventory, ctx: RuleContext, classifier: HostClassifier) -> Iterator[Finding]:
    """Inbound, from Helm values: a chart whose pods handle personal data behind a LoadBalancer
    Service on an address the internet can reach."""
    for found in chart_addresses(hub, ctx.policy.pii):
        problem = _internet_address_problem(found.address, found.sources, classifier)
        if problem is not None:
            yield _chart_finding(ctx, hub, found.values, found.path, found.what, found.reason, problem,
                                 found.address, found.address)


def _chart_finding(ctx: RuleContext, hub: HubInventory, values: HelmValues, path: tuple, what: str, reason: str,
                   problem: str, needle: str, published: str) -> Finding:
    """A chart's publication, at the Helm values that set it (`needle`: the value as written)."""
    release = values.release
    return ctx.finding(
        f"{release.kind} {release.name} turns on the {what} of chart {values.chart or '?'}, whose pods "
        f"handle personal data ({reason}), {problem}",
        locate_in_text(ctx, values.obj, values.spot(*path, needle=needle)),
        hub=hub.name,
        obj=values.obj,
        key=f"{release.ref}:published:{published}",
    )


def _internet_address_problem(address: str, sources: tuple[str, ...], classifier: HostClassifier) -> str | None:
    """A LoadBalancer frontend address is off the premises when the internet can reach it: a public
    address outside the hubs' on-prem CIDRs that admits clients outside them too."""
    if not classifier.is_internet_address(address):
        return None
    public_sources = [r for r in sources if classifier.is_internet_address(r)]
    if sources and not public_sources:
        return None  # only on-prem and private clients may connect
    admitted = f"clients from {', '.join(public_sources)}" if public_sources else "every client (no loadBalancerSourceRanges)"
    return f"on {address}: a public address outside the hubs' onprem_cidrs that admits {admitted}"


RULE = Rule(
    id="pii/public-endpoint",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A PII workload is configured to reach a public cloud host, or is published under a public host name.",
    doc="""Looks for hosts in the values a PII workload consumes — env values, ConfigMap and Secret keys
it reads through `valueFrom`/`envFrom`, ConfigMaps mounted as files, container args — whose domain
is a public cloud service (`azure.com`, `windows.net`, `azurewebsites.net`, `cloudapp.net`,
`amazonaws.com`, `googleapis.com`, and more; see the `public_suffixes` option), including in-cluster
names that resolve to an `ExternalName` Service pointing at one. `ExternalName` Services in PII
namespaces that point at a public cloud host are findings too. On-prem hosts never are: in-cluster
names, `pii.onprem_domains`, and Azure Stack Hub's own endpoints (`*.local.azurestack.external`),
so a storage account on the Azure Stack Hub stamp is fine where one in public Azure is not.

Inbound, an Ingress rule, a Gateway API route (`HTTPRoute`, `GRPCRoute`, `TLSRoute`; without
`hostnames`, the hostnames of the Gateway listeners it attaches to) or a `LoadBalancer` Service
(named by `external-dns.alpha.kubernetes.io/hostname` or Azure's
`service.beta.kubernetes.io/azure-dns-label-name`, unless it is an internal load balancer) that
publishes a PII workload — a backend Service selecting its pods — under a host name outside
`pii.onprem_domains` is a finding at that host name. A `LoadBalancer` Service that is not internal
and asks for a frontend address (`spec.loadBalancerIP`; `service.beta.kubernetes.io/azure-load-balancer-ipv4`
/ `-ipv6`, which win over it per IP family; MetalLB's `metallb.io/loadBalancerIPs` or the deprecated
`metallb.universe.tf/loadBalancerIPs`, which MetalLB refuses beside `spec.loadBalancerIP`; Cilium LB
IPAM's `lbipam.cilium.io/ips`, whose addresses it assigns as well as `spec.loadBalancerIP`'s)
publishes the workload on that address: a public one (not private, shared or
link-local, and outside every hub's `onprem_cidrs`) is a finding at the address, unless
`spec.loadBalancerSourceRanges` (or `service.beta.kubernetes.io/load-balancer-source-ranges`,
`service.beta.kubernetes.io/azure-allowed-ip-ranges`) admits only private and on-prem clients. A
`LoadBalancer` with neither a host name nor an address is not judged: its VIP comes from the Azure
Stack Hub stamp's public VIP pool, whose reach the policy does not describe.

Charts are not rendered, so a Flux `HelmRelease` or an Argo CD Helm source whose values turn on the
chart's Ingress (`ingress.enabled`, off by default in the charts read; also under a component key
such as `server.ingress`) is read for its host names: `ingress.hosts[].host` or `ingress.hosts[]`
(`helm create`, grafana), `ingress.hostname` and `ingress.extraHosts[].name` (Bitnami, argo-cd),
and the hosts of `ingress.tls` / `ingress.extraTls`; a chart's Gateway API route, `httpRoute.hostnames`
/ `grpcRoute.hostnames` (podinfo), when `enabled`. bjw-s `app-template` (its chart found by name, or
by the URL of the OCIRepository a `chartRef` names) publishes each named block `ingress.<name>`
(`hosts[].host`, `tls[].hosts[]`) and `route.<name>` (`hostnames`) unless the block sets
`enabled: false` (before app-template 3, the `main` blocks are off by the chart's defaults); its
`{{ .Release.Name }}` and `{{ .Release.Namespace }}` are resolved as Flux and Argo CD name the
release, any other template is no host name yet; its `service.<name>` of `type: LoadBalancer` asks
for the frontend addresses its `annotations` and `loadBalancerIP` name, judged as on a Service
(with its `loadBalancerSourceRanges`). When the chart's pods handle personal data —
the release installs into a PII namespace (Flux `targetNamespace`, else the HelmRelease's own; Argo
CD `destination.namespace`) or its `podLabels`/`commonLabels` carry the PII label — a host outside
`pii.onprem_domains` is a finding in the values that set it (inline, or a `valuesFrom` ConfigMap).
Telemetry exports in any form are pii/telemetry-export's, never this rule's.

FAIL:

    env:
    - name: MONGODB_URI
      value: mongodb://ratings.mongo.cosmos.azure.com:10255/?ssl=true

FAIL (pii.onprem_domains: [corp.example]; Service ratings-web selects the PII pods):

    kind: Ingress
    spec:
      rules:
      - host: ratings.westeurope.cloudapp.azure.com
        http:
          paths:
          - {path: /, pathType: Prefix, backend: {service: {name: ratings-web, port: {number: 8080}}}}

FAIL (Service ratings-web-lb selects the PII pods; no hub declares 20.61.15.0/24 in onprem_cidrs):

    kind: Service
    spec:
      type: LoadBalancer
      loadBalancerIP: 20.61.15.7

FAIL (on-prem MetalLB handing out a public address; no hub declares 20.61.15.0/24 in onprem_cidrs):

    kind: Service
    metadata:
      annotations:
        metallb.io/loadBalancerIPs: 20.61.15.10
    spec:
      type: LoadBalancer

FAIL (a HelmRelease installing into the PII namespace ratings):

    kind: HelmRelease
    spec:
      targetNamespace: ratings
      values:
        ingress:
          enabled: true
          hostname: ratings.example.net

FAIL (an app-template HelmRelease in the PII namespace ratings: its route is on unless it says not):

    kind: HelmRelease
    metadata: {name: ratings, namespace: ratings}
    spec:
      chartRef: {kind: OCIRepository, name: app-template}
      values:
        route:
          app:
            hostnames: ["{{ .Release.Name }}.example.net"]

PASS:

    env:
    - name: MONGODB_URI
      value: mongodb://mongodb-0.mongodb.ratings.svc.cluster.local:27017/ratings

PASS (the chart's Ingress stays off, its default):

    kind: HelmRelease
    spec:
      targetNamespace: ratings
      values:
        ingress:
          hostname: ratings.example.net

PASS (the app-template Ingress is turned off):

    kind: HelmRelease
    spec:
      targetNamespace: ratings
      values:
        ingress:
          app:
            enabled: false
            hosts:
            - host: ratings.example.net

PASS (the public address admits on-prem clients only; hubs' onprem_cidrs: [10.10.0.0/16]):

    kind: Service
    spec:
      type: LoadBalancer
      loadBalancerIP: 20.61.15.7
      loadBalancerSourceRanges: [10.10.0.0/16]

PASS (Cilium LB IPAM's address is private):

    kind: Service
    metadata:
      annotations:
        lbipam.cilium.io/ips: 172.16.40.7
    spec:
      type: LoadBalancer

PASS (published under an on-prem name only):

    kind: Ingress
    spec:
      rules:
      - host: ratings.seattle.corp.example
""",
    remediation="""Point the workload at an on-prem service (in the cluster, on the Azure Stack Hub stamp —
`*.local.azurestack.external` — or a host under a domain listed in `pii.onprem_domains` of
.hubguard.yaml), or move the feature that needs the cloud service into a workload that does not
handle personal data. Publish PII workloads only under host names of the on-prem domains
(`pii.onprem_domains`); a deliberate public front door is accepted with a suppression and its
reason. A `LoadBalancer` on a public address: make it internal
(`service.beta.kubernetes.io/azure-load-balancer-internal: "true"`), or admit only on-prem clients
with `spec.loadBalancerSourceRanges`.

    env:
    - name: STORAGE_URL
      value: https://ratingsdata.blob.local.azurestack.external/exports

Add domains with `rules: {pii/public-endpoint: {extra_public_suffixes: [example-saas.com]}}`. To
accept a finding, put `# hubguard: ignore[pii/public-endpoint] reason` on or above the line, or
annotate the object `hubguard.io/ignore: "pii/public-endpoint"` with `hubguard.io/ignore-reason`
(a reason is required).""",
    check=check,
    options={
        "public_suffixes": {
            "type": "array",
            "items": {"type": "string"},
            "default": list(PUBLIC_CLOUD_SUFFIXES),
            "description": "Domains of public cloud services (a host matches itself and its subdomains).",
        },
        "extra_public_suffixes": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "More public domains, added to `public_suffixes`.",
        },
    },
)

RULES = [RULE]
