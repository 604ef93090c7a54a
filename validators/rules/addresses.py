"""IP networks as the rules read them from policies and NetworkPolicies (IPv4 and IPv6)."""

from __future__ import annotations

import ipaddress
from typing import Iterable, Sequence

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


def subtract(networks: Iterable[Network], removed: Iterable[Network]) -> list[Network]:
    """`networks` minus `removed`, exactly, as the fewest CIDRs (IPv4 first, each family sorted).
    Two CIDRs either nest or are disjoint, so each removal splits or drops whole blocks."""
    result = list(networks)
    for hole in removed:
        remaining: list[Network] = []
        for block in result:
            if block.version != hole.version or not block.overlaps(hole):
                remaining.append(block)
            elif not block.subnet_of(hole):  # type: ignore[arg-type]
                remaining.extend(block.address_exclude(hole))  # type: ignore[arg-type]
        result = remaining
    return [n for version in (4, 6) for n in ipaddress.collapse_addresses(sorted(n for n in result if n.version == version))]


def describe_networks(networks: Sequence[Network], shown: int = 3) -> str:
    """`0.0.0.0/5, 8.0.0.0/7, 11.0.0.0/8 and 13 more ranges (4,278,190,080 IPv4 addresses)`."""
    listed = ", ".join(str(n) for n in networks[:shown])
    more = len(networks) - shown
    text = f"{listed} and {more} more range{'s' if more != 1 else ''}" if more > 0 else listed
    v4 = sum(n.num_addresses for n in networks if n.version == 4)
    return f"{text} ({v4:,} IPv4 addresses)" if v4 and len(networks) > 1 else text
