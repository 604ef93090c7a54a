"""Inbound exposure: the host names under which a hub publishes PII workloads.

An Ingress rule, a Gateway API route (`HTTPRoute`, `GRPCRoute`, `TLSRoute`) or a `LoadBalancer`
Service publishes the pods its backend Services select. A host name is public unless it is on-prem
(`pii.onprem_domains`, in-cluster names, Azure Stack Hub's own endpoints). A `LoadBalancer` Service
that names its frontend address (`spec.loadBalancerIP`, or the annotations that replace it since
Kubernetes 1.24: Azure's, MetalLB's, Cilium LB IPAM's) publishes the pods on that address, to the sources it lets in. No rule logic here:
pii/public-endpoint decides what to report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from hubguard.model import HubInventory, K8sObject
from hubguard.rules.addresses import parse_network
from hubguard.rules.pii.classification import PiiWorkload, namespace_of
from hubguard.rules.selectors import selector_matches

ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute")
EXTERNAL_DNS_HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"
AZURE_DNS_LABEL = "service.beta.kubernetes.io/azure-dns-label-name"
AZURE_INTERNAL_LB = "service.beta.kubernetes.io/azure-load-balancer-internal"
# The frontend address: `spec.loadBalancerIP` (deprecated in Kubernetes 1.24) or, on Azure and Azure
# Stack Hub's cloud-provider-azure, one annotation per IP family.
AZURE_LB_ADDRESSES = ("service.beta.kubernetes.io/azure-load-balancer-ipv4",
                      "service.beta.kubernetes.io/azure-load-balancer-ipv6")
# On-prem load balancers. MetalLB (metallb/metallb `controller/service.go`, getDesiredLbIPs and
# valueForAnnotation): the stable annotation, else the deprecated one, comma-separated addresses; with
# `spec.loadBalancerIP` set as well it refuses the Service and assigns nothing. There is no singular
# `loadBalancerIP` annotation.
METALLB_ADDRESSES = ("metallb.io/loadBalancerIPs", "metallb.universe.tf/loadBalancerIPs")
# Cilium LB IPAM (cilium/cilium `operator/pkg/lbipam/lbipam.go`, getSVCRequestedIPs): the union of
# `spec.loadBalancerIP` and the annotation's comma-separated addresses (the older alias when the
# annotation is absent).
CILIUM_ADDRESSES = ("lbipam.cilium.io/ips", "io.cilium/lb-ipam-ips")
# Who may connect: `spec.loadBalancerSourceRanges`, Kubernetes' annotation with the same meaning, and
# cloud-provider-azure's allow list (both annotations comma-separated CIDRs).
SOURCE_RANGE_ANNOTATIONS = ("service.beta.kubernetes.io/load-balancer-source-ranges",
                            "service.beta.kubernetes.io/azure-allowed-ip-ranges")
# Service tags (`Internet`, `AzureCloud`, ...) let in sources no CIDR list names.
AZURE_ALLOWED_SERVICE_TAGS = "service.beta.kubernetes.io/azure-allowed-service-tags"


@dataclass(frozen=True)
class Publication:
    """A host name under which `obj` publishes PII workloads."""

    obj: K8sObject  # the Ingress, route, Gateway or Service that names the host
    path: tuple  # where the host is written in `obj`
    host: str
    workloads: tuple[PiiWorkload, ...]
    how: str  # for messages: "Ingress ratings", "HTTPRoute ratings (listener of Gateway public)"
    sources: tuple[str, ...] = ()  # a LoadBalancer's allowed client ranges; () lets every client in


def pii_services(hub: HubInventory, workloads: list[PiiWorkload]) -> dict[tuple[str, str], tuple[PiiWorkload, ...]]:
    """(namespace, name) of each Service whose selector picks pods of a PII workload."""
    found: dict[tuple[str, str], tuple[PiiWorkload, ...]] = {}
    for service in hub.of_kind("Service"):
        selector = service.get("spec", "selector")
        if not isinstance(selector, dict) or not selector:
            continue  # no selector: endpoints managed by hand, nothing we can attribute
        namespace = namespace_of(service)
        picked = tuple(w for w in workloads if w.namespace == namespace
                       and selector_matches({"matchLabels": selector}, w.template.labels))
        if picked:
            found[(namespace, str(service.name))] = picked
    return found


def publications(hub: HubInventory, workloads: list[PiiWorkload]) -> Iterator[Publication]:
    services = pii_services(hub, workloads)
    if not services:
        return
    yield from _ingresses(hub, services)
    yield from _routes(hub, services)
    yield from _load_balancers(hub, services)


def _host(value: object) -> str | None:
    host = str(value or "").strip().lower().removeprefix("*.")
    return host or None


def _ingresses(hub: HubInventory, services: dict) -> Iterator[Publication]:
    for ingress in hub.of_kind("Ingress"):
        namespace = namespace_of(ingress)
        rules = ingress.get("spec", "rules")
        default = services.get((namespace, str(ingress.get("spec", "defaultBackend", "service", "name"))), ())
        for index, rule in enumerate(rules if isinstance(rules, list) else []):
            if not isinstance(rule, dict) or _host(rule.get("host")) is None:
                continue  # no host: whatever the controller serves; no name to judge
            paths = (rule.get("http") or {}).get("paths") if isinstance(rule.get("http"), dict) else None
            backends = [p.get("backend", {}).get("service", {}).get("name") for p in paths or []
                        if isinstance(p, dict) and isinstance(p.get("backend"), dict)
                        and isinstance(p["backend"].get("service"), dict)]
            picked = tuple(w for name in backends for w in services.get((namespace, str(name)), ())) or default
            if picked:
                yield Publication(ingress, ("spec", "rules", index, "host"), _host(rule["host"]) or "",
                                  _unique(picked), f"Ingress {ingress.name}")


def _routes(hub: HubInventory, services: dict) -> Iterator[Publication]:
    for route in hub.of_kind(*ROUTE_KINDS):
        namespace = namespace_of(route)
        picked: list[PiiWorkload] = []
        rules = route.get("spec", "rules")
        for rule in rules if isinstance(rules, list) else []:
            refs = rule.get("backendRefs") if isinstance(rule, dict) else None
            for ref in refs if isinstance(refs, list) else []:
                if isinstance(ref, dict) and ref.get("kind", "Service") == "Service" and ref.get("group", "") in ("", "core"):
                    picked += services.get((str(ref.get("namespace") or namespace), str(ref.get("name"))), ())
        if not picked:
            continue
        hostnames = route.get("spec", "hostnames")
        if isinstance(hostnames, list) and hostnames:
            for index, name in enumerate(hostnames):
                if _host(name):
                    yield Publication(route, ("spec", "hostnames", index), _host(name) or "", _unique(picked),
                                      f"{route.kind} {route.name}")
            continue
        # No hostnames: the route answers for every host name of the listeners it attaches to.
        for gateway, path, host in _listener_hosts(hub, route, namespace):
            yield Publication(gateway, path, host, _unique(picked),
                              f"{route.kind} {route.name} (listener of Gateway {gateway.name})")


def _listener_hosts(hub: HubInventory, route: K8sObject, namespace: str) -> Iterator[tuple[K8sObject, tuple, str]]:
    parents = route.get("spec", "parentRefs")
    for ref in parents if isinstance(parents, list) else []:
        if not isinstance(ref, dict) or ref.get("kind", "Gateway") != "Gateway":
            continue
        gateway = hub.find("Gateway", str(ref.get("namespace") or namespace), str(ref.get("name")))
        listeners = gateway.get("spec", "listeners") if gateway is not None else None
        for index, listener in enumerate(listeners if isinstance(listeners, list) else []):
            if not isinstance(listener, dict) or _host(listener.get("hostname")) is None:
                continue
            if ref.get("sectionName") and ref.get("sectionName") != listener.get("name"):
                continue
            yield gateway, ("spec", "listeners", index, "hostname"), _host(listener["hostname"]) or ""


def _load_balancers(hub: HubInventory, services: dict) -> Iterator[Publication]:
    for service in hub.of_kind("Service"):
        picked = services.get((namespace_of(service), str(service.name)))
        if not picked or service.get("spec", "type") != "LoadBalancer":
            continue
        annotations = service.annotations
        if is_internal(annotations):
            continue  # a private frontend on the hub's own network
        for name in str(annotations.get(EXTERNAL_DNS_HOSTNAME) or "").split(","):
            if _host(name):
                yield Publication(service, ("metadata", "annotations", EXTERNAL_DNS_HOSTNAME), _host(name) or "",
                                  picked, f"LoadBalancer Service {service.name}")
        label = _host(annotations.get(AZURE_DNS_LABEL))
        if label:  # Azure publishes <label>.<region>.cloudapp.azure.com
            yield Publication(service, ("metadata", "annotations", AZURE_DNS_LABEL), f"{label}.<region>.cloudapp.azure.com",
                              picked, f"LoadBalancer Service {service.name}")
        # A frontend address the Service asks for. Without one the VIP comes from the stamp's pool,
        # which hubguard cannot place: there is no address to judge.
        spec = service.get("spec") or {}
        sources = admitted_sources(annotations, spec)
        for path, address in requested_addresses(annotations, spec):
            yield Publication(service, path, address, picked, f"LoadBalancer Service {service.name}", sources)


def is_internal(annotations: dict) -> bool:
    return str(annotations.get(AZURE_INTERNAL_LB, "")).lower() == "true"


def requested_addresses(annotations: dict, spec: dict) -> Iterator[tuple[tuple, str]]:
    """(path in the Service, address) of each frontend address a LoadBalancer Service asks for, as
    the load balancer implementations its annotations address would assign them."""
    metallb = next((key for key in METALLB_ADDRESSES if key in annotations), None)
    if metallb is not None and str(annotations[metallb] or "").strip():
        if str(spec.get("loadBalancerIP") or "").strip():
            return  # MetalLB refuses a Service asking both ways: no address
        yield from _listed_addresses(annotations, metallb)
        return
    seen: set[str] = set()
    for path, address in _azure_addresses(annotations, spec):
        seen.add(address)
        yield path, address
    cilium = next((key for key in CILIUM_ADDRESSES if str(annotations.get(key) or "").strip()), None)
    if cilium is not None:
        yield from ((path, address) for path, address in _listed_addresses(annotations, cilium) if address not in seen)


def _listed_addresses(annotations: dict, key: str) -> Iterator[tuple[tuple, str]]:
    for text in str(annotations.get(key) or "").split(","):
        address = parse_network(text)
        if address is not None and address.num_addresses == 1:  # `${LB_IP}` names no address yet
            yield ("metadata", "annotations", key), str(address.network_address)


def _azure_addresses(annotations: dict, spec: dict) -> Iterator[tuple[tuple, str]]:
    """(path, address) of the frontend address of each IP family, as cloud-provider-azure picks it:
    the family's annotation when set, else `spec.loadBalancerIP` when it is of that family."""
    legacy = parse_network(str(spec.get("loadBalancerIP") or ""))
    for version, key in zip((4, 6), AZURE_LB_ADDRESSES):
        annotated = str(annotations.get(key) or "").strip()
        if annotated:
            chosen, path = parse_network(annotated), ("metadata", "annotations", key)
        else:
            chosen, path = legacy, ("spec", "loadBalancerIP")
        # An unresolved `${LB_IP}` or a CIDR names no address yet.
        if chosen is not None and chosen.version == version and chosen.num_addresses == 1:
            yield path, str(chosen.network_address)


def admitted_sources(annotations: dict, spec: dict) -> tuple[str, ...]:
    """The client ranges a LoadBalancer admits (their union, as cloud-provider-azure applies them);
    () when every client may connect."""
    if str(annotations.get(AZURE_ALLOWED_SERVICE_TAGS) or "").strip():
        return ()
    ranges = spec.get("loadBalancerSourceRanges")
    found = [str(r).strip() for r in ranges] if isinstance(ranges, list) else []
    for key in SOURCE_RANGE_ANNOTATIONS:
        found += [r.strip() for r in str(annotations.get(key) or "").split(",")]
    return tuple(r for r in found if r)


def _unique(workloads) -> tuple[PiiWorkload, ...]:
    return tuple({w.ref: w for w in workloads}.values())
