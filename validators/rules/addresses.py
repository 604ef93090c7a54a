"""IP networks as the rules read them from policies and NetworkPolicies (IPv4 and IPv6)."""

from __future__ import annotations

import ipaddress
from typing import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_network(text: str) -> Network | None:
    """A CIDR or a single address (as a /32 or /128), or None when it is neither."""
    try:
        return ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError:
        return None


def parse_networks(cidrs: Iterable[str]) -> list[Network]:
    """The parsable ones of `cidrs`; a malformed CIDR is the policy schema's concern, not a rule's."""
    return [net for net in map(parse_network, cidrs) if net is not None]


def cidr_within(cidr: str, networks: Iterable[str]) -> bool:
    """True when every address of `cidr` lies in one of `networks` (same IP family).

    An unparsable CIDR is never within: the API server would refuse it, and a rule that cannot
    tell where traffic goes must not call it safe."""
    inner = parse_network(cidr)
    if inner is None:
        return False
    for outer in parse_networks(networks):
        if outer.version == inner.version and inner.subnet_of(outer):  # type: ignore[arg-type]
            return True
    return False
