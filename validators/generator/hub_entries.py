"""The structured edits `hubguard hub add/remove` makes in files a user may have changed.

Each function takes the user's text and the template's rendering of the file for the new hub
list, and returns the user's text with only the hub's entries added or removed: the new entries
are taken from the template's rendering (so they look exactly as a fresh generation), every
other byte stays as the user left it.
"""

from __future__ import annotations

import re
from typing import Any

from hubguard.generator.preserving_edits import (
    NotStructured,
    YamlDocs,
    append_item,
    json_spans,
    line_indent,
    load_yaml_node,
    remove_item,
)

CROSS_HUB_POLICY = "mongodb-cross-hub"
MONGODB_PORT = 27017
_OTHERS_COMMENT = re.compile(r"^(# MongoDB traffic with the other hubs \()([^)]*)(\))", re.M)


def policy(path: str, user: str, before: str, after: str, name: str, adding: bool) -> str:
    """.hubguard.yaml: the hub's entry under `hubs`, and its site domain under pii.onprem_domains."""
    docs = YamlDocs(path, user)
    doc = docs.docs[0]
    hubs = doc.get("hubs")
    if not hasattr(hubs, "get"):
        raise NotStructured(f"{path}: no `hubs` mapping; edit it by hand")
    if adding:
        hubs[name] = load_yaml_node(after)["hubs"][name]
    elif name in hubs:
        del hubs[name]
    domains = doc.get("pii", {}).get("onprem_domains") if hasattr(doc.get("pii"), "get") else None
    if isinstance(domains, list):
        want = list(load_yaml_node(after).get("pii", {}).get("onprem_domains") or [])
        had = list(load_yaml_node(before).get("pii", {}).get("onprem_domains") or [])
        if adding:
            domains.extend(d for d in want if d not in domains)
        else:
            for gone in [d for d in had if d not in want and d in domains]:
                domains.remove(gone)
    return docs.text()


def sops(path: str, user: str, before: str, after: str, name: str, adding: bool) -> str:
    """.sops.yaml: the hub's creation rule (its files encrypted for its age key only)."""
    docs = YamlDocs(path, user)
    rules = docs.docs[0].get("creation_rules") if hasattr(docs.docs[0], "get") else None
    if not isinstance(rules, list):
        raise NotStructured(f"{path}: no creation_rules list; edit it by hand")
    if adding:
        new = [r for r in load_yaml_node(after)["creation_rules"] if _rule_of(r, name)]
        rules.extend(new)
    else:
        for rule in [r for r in rules if _rule_of(r, name)]:
            rules.remove(rule)
    return docs.text()


def _rule_of(rule: Any, name: str) -> bool:
    return hasattr(rule, "get") and f"/{name}/" in str(rule.get("path_regex", ""))


def _endpoints(text: str):
    root = json_spans(text)
    for resource in root.keys.get("resources").items if "resources" in root.keys else []:
        if str(resource.value.get("type", "")).lower() == "microsoft.network/trafficmanagerprofiles":
            endpoints = resource.keys.get("properties") and resource.keys["properties"].keys.get("endpoints")
            if endpoints is not None:
                return endpoints
    raise NotStructured("no Traffic Manager profile with endpoints; edit it by hand")


def traffic_manager(path: str, user: str, before: str, after: str, name: str, adding: bool) -> str:
    """global/traffic-manager.json: the hub's endpoint (priorities renumbered on removal when
    they were the generated 1..n)."""
    try:
        endpoints = _endpoints(user)
        if adding:
            rendered = _endpoints(after)
            item = next(i for i in rendered.items if i.value.get("name") == name)
            return append_item(user, endpoints, after[item.start:item.end], line_indent(after, item.start))
        index = next((i for i, item in enumerate(endpoints.items) if item.value.get("name") == name), None)
        if index is None:
            return user
        priorities = [item.value.get("properties", {}).get("priority") for item in endpoints.items]
        text = remove_item(user, endpoints, index)
        if priorities == list(range(1, len(priorities) + 1)):
            for item in reversed(_endpoints(text).items[index:]):
                number = item.keys["properties"].keys["priority"]
                text = text[:number.start] + str(number.value - 1) + text[number.end:]
        return text
    except NotStructured as exc:
        raise NotStructured(f"{path}: {exc}") from None


def cross_hub(path: str, user: str, before: str, after: str, name: str, adding: bool,
              cidrs: list[str], others_before: list[str], others_after: list[str]) -> str:
    """A hub's mongodb-cross-hub NetworkPolicy: `cidrs` (the hub's on-prem ranges) allowed in and
    out on the MongoDB port, or no longer; the comment naming the other hubs follows."""
    docs = YamlDocs(path, user)
    policy_doc = next((d for d in docs.docs if hasattr(d, "get") and d.get("kind") == "NetworkPolicy"
                       and (d.get("metadata") or {}).get("name") == CROSS_HUB_POLICY), None)
    if policy_doc is None:
        raise NotStructured(f"{path}: no NetworkPolicy {CROSS_HUB_POLICY}; allow the ranges {', '.join(cidrs)} by hand")
    spec = policy_doc.get("spec") or {}
    touched = 0
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        for rule in spec.get(direction) or []:
            peers = rule.get(peers_key) if hasattr(rule, "get") else None
            if not isinstance(peers, list) or not _mongodb_rule(rule, peers):
                continue
            touched += 1
            if adding:
                peers.extend(_peer(cidr) for cidr in cidrs if cidr not in _cidrs(peers))
            else:
                for peer in [p for p in peers if hasattr(p, "get") and (p.get("ipBlock") or {}).get("cidr") in cidrs]:
                    peers.remove(peer)
    if not touched:
        raise NotStructured(f"{path}: no ipBlock rule for port {MONGODB_PORT} in {CROSS_HUB_POLICY}; edit it by hand")
    text = docs.text()
    match = _OTHERS_COMMENT.search(text)
    if match and match.group(2) == ", ".join(others_before):
        text = text[:match.start(2)] + ", ".join(others_after) + text[match.end(2):]
    return text


def _mongodb_rule(rule: Any, peers: list[Any]) -> bool:
    ports = [p.get("port") for p in rule.get("ports") or [] if hasattr(p, "get")]
    return MONGODB_PORT in ports and bool(peers) and all(hasattr(p, "get") and "ipBlock" in p for p in peers)


def _cidrs(peers: list[Any]) -> list[str]:
    return [str((p.get("ipBlock") or {}).get("cidr")) for p in peers]


def _peer(cidr: str) -> Any:
    from ruamel.yaml.comments import CommentedMap

    block = CommentedMap()
    block["cidr"] = cidr
    peer = CommentedMap()
    peer["ipBlock"] = block
    return peer
