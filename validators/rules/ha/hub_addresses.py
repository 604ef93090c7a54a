"""Which hub a destination belongs to, from what the policy declares about every hub.

- An address (IPv4 or IPv6, in a URL or bare) belongs to the hub whose `onprem_cidrs` hold it
  (the most specific CIDR wins when hubs overlap).
- A host name belongs to the hub whose `ingress_host` it is or lies under, or to the hub that
  owns a domain it lies under: the parent domain of the hub's `ingress_host`
  (`ratings.seattle.corp.example` → `seattle.corp.example`) or a `pii.onprem_domains` entry,
  when that domain holds this hub's ingress host and no other hub's. The longest match wins.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Iterator

from hubguard.policy import Policy
from hubguard.rules.addresses import parse_networks
from hubguard.rules.pii.hosts import has_suffix, hosts_in

_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:.])((?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{0,4}|\d{1,3}(?:\.\d{1,3}){3}))(?![\w:])", re.IGNORECASE)


@dataclass(frozen=True)
class Destination:
    text: str  # the address or host as written
    hub: str
    why: str  # "in seattle's onprem_cidrs 10.10.0.0/16", "under seattle's domain seattle.corp.example"


class HubAddresses:
    def __init__(self, policy: Policy) -> None:
        self.networks = [(net, name) for name, hub in policy.hubs.items() for net in parse_networks(hub.onprem_cidrs)]
        ingress = {name: hub.ingress_host.lower().rstrip(".") for name, hub in policy.hubs.items() if hub.ingress_host}
        domains: dict[str, str] = {}
        for name, host in ingress.items():
            candidates = [host, host.split(".", 1)[1] if host.count(".") >= 2 else host, *policy.pii.onprem_domains]
            for domain in candidates:
                domain = domain.lower().strip(".").removeprefix("*.")
                owners = {other for other, h in ingress.items() if has_suffix(h, domain)}
                if owners == {name}:
                    domains.setdefault(domain, name)
        self.domains = sorted(domains.items(), key=lambda item: -len(item[0]))  # longest first

    def of_address(self, text: str) -> Destination | None:
        try:
            address = ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
        except ValueError:
            return None
        held = [(net, name) for net, name in self.networks if net.version == address.version and address in net]
        if not held:
            return None
        net, name = max(held, key=lambda item: item[0].prefixlen)
        return Destination(text, name, f"in {name}'s onprem_cidrs {net}")

    def of_host(self, host: str) -> Destination | None:
        for domain, name in self.domains:
            if has_suffix(host, domain):
                return Destination(host, name, f"under {name}'s domain {domain}")
        return None

    def destinations(self, text: str) -> Iterator[Destination]:
        """Every address and host name in a free-form value that belongs to a hub."""
        for match in (*_IPV4.finditer(text), *_IPV6.finditer(text)):
            found = self.of_address(match.group(1))
            if found is not None:
                yield found
        for host in hosts_in(text):
            found = self.of_host(host)
            if found is not None:
                yield found
