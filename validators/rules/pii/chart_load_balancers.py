"""Frontend addresses a chart's LoadBalancer Services ask for, read from a HelmRelease or Argo CD
Helm source.

bjw-s `app-template` (bjw-s-labs/helm-charts `charts/library/common`) renders every
`service.<name>` block unless it sets `enabled` (`templates/lib/service/_enabled_services.tpl`);
one of `type: LoadBalancer` gets the block's `annotations`, `loadBalancerIP` and
`loadBalancerSourceRanges` (`templates/classes/_service.tpl`), so the address is judged as on a
Service object. Home-ops repositories ask Cilium LB IPAM or MetalLB for the address in those
annotations. No rule logic here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from hubguard.model import HubInventory
from hubguard.policy import PiiPolicy
from hubguard.rules.pii.chart_ingress import (
    APP_TEMPLATE,
    app_template_enabled,
    chart_pii_reason,
    merged_releases,
    source_setting,
)
from hubguard.rules.pii.helm_values import HelmValues
from hubguard.rules.pii.inbound_exposure import admitted_sources, is_internal, requested_addresses


@dataclass(frozen=True)
class ChartAddress:
    """A frontend address on which the chart of `values.release` publishes its pods."""

    values: HelmValues  # the values source that sets the address
    path: tuple  # where the address is, inside those values
    address: str
    sources: tuple[str, ...]  # the client ranges admitted; () lets every client in
    reason: str  # why the chart's pods handle personal data, for messages
    what: str  # for messages: "LoadBalancer Service app"


def chart_addresses(hub: HubInventory, pii: PiiPolicy) -> Iterator[ChartAddress]:
    for sources, merged in merged_releases(hub):
        services = merged.get("service") if sources[0].chart == APP_TEMPLATE else None
        for name, block in (services.items() if isinstance(services, dict) else []):
            if not app_template_enabled(block) or block.get("type") != "LoadBalancer":
                continue
            annotations = block.get("annotations") if isinstance(block.get("annotations"), dict) else {}
            if is_internal(annotations):
                continue
            reason = chart_pii_reason(hub, sources[0], merged, ("service", name), pii)
            if reason is None:
                continue
            admitted = admitted_sources(annotations, block)
            for service_path, address in requested_addresses(annotations, block):
                # The block holds the Service's annotations and spec fields side by side.
                path = ("service", name) + (("annotations",) if service_path[0] == "metadata" else ()) + service_path[-1:]
                yield ChartAddress(source_setting(sources, path), path, address, admitted, reason,
                                   f"LoadBalancer Service {name}")
