"""Validation of the template's inputs, shared by the pre-gen hook and `hubguard new`.

Values are data, never code: they arrive as JSON (`tojson` in the hook, Python values in
`hubguard new`), are checked with regexes and the `ipaddress` module, and any value holding a
template delimiter is refused, so a value can never be evaluated by a later rendering step.
Every problem is one line, meant to be printed as is.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")
REPO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
K8S_VERSION = re.compile(r"^1\.[0-9]{2}(\.[0-9]+)?$")
LOCATION = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
AGE_RECIPIENT = re.compile(r"^age1[02-9ac-hj-np-z]{58}$")
BRANCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
GIT_URL = re.compile(r"^(https://|ssh://|git@)[A-Za-z0-9._~:/@%+-]+$")
IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?(@sha256:[0-9a-f]{64})?$")
VERSION = re.compile(r"^v?[0-9]+\.[0-9]+\.[0-9]+$")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
REGISTRY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:[0-9]{1,5})?(/[a-z0-9._-]+)*$")
TEMPLATE_DELIMITERS = ("{{", "}}", "{%", "%}", "{#", "#}", "${{")
HUB_KEYS = {"name", "location", "kubernetes_version", "ingress_host", "onprem_cidrs", "backup_hub", "age_recipient", "dns_server", "geo_mapping"}
CHOICES = {
    "gitops_engine": ("flux", "argocd", "both"),
    "secrets_backend": ("sops-age", "external-secrets-keyvault", "external-secrets-vault"),
    "tls": ("letsencrypt-dns01", "internal-ca"),
    "monitoring": ("azure-monitor", "prometheus", "none"),
    "ingress_controller": ("ingress-nginx",),
    "traffic_routing": ("Priority", "Weighted", "Performance", "Geographic"),
}
PATTERNS = {
    "git_url": GIT_URL, "git_branch": BRANCH, "public_hostname": HOSTNAME, "traffic_manager_profile": DNS_1123_LABEL,
    "acme_email": EMAIL, "image_ratings_web": IMAGE, "image_ratings_api": IMAGE, "image_mongodb": IMAGE,
    "chart_ingress_nginx": VERSION, "chart_cert_manager": VERSION, "chart_external_secrets": VERSION,
    "chart_kured": VERSION, "chart_prometheus": VERSION,
}


class InputError(ValueError):
    """One invalid input; str() is the one-line message for the user."""


def injection_in(value: Any, where: str) -> None:
    """Refuse template delimiters anywhere in a value (strings nested in lists and dicts too)."""
    if isinstance(value, str):
        if any(d in value for d in TEMPLATE_DELIMITERS):
            raise InputError(f"{where}: template syntax ({{{{ }}}}, {{% %}}, {{# #}}) is not allowed in values")
    elif isinstance(value, dict):
        for key, item in value.items():
            injection_in(str(key), where)
            injection_in(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            injection_in(item, f"{where}[{index}]")


def parse_hubs(raw: Any) -> list[dict[str, Any]]:
    """The `hubs` input: a JSON string (prompt, KEY=VALUE) or an already parsed list (config file)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"hubs: not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(raw, list) or not all(isinstance(h, dict) for h in raw):
        raise InputError("hubs: must be a list of objects, e.g. [{\"name\": \"seattle\", ...}, ...]")
    return raw


def validate_repo_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise InputError("repo_name: must be a non-empty string")
    if "/" in name or "\\" in name or ".." in name or not REPO_NAME.match(name):
        raise InputError(f"repo_name: {name!r} is not a safe folder name (letters, digits, '.', '_', '-'; no path separators or '..')")
    return name


def validate_hubs(raw: Any, traffic_routing: str = "Priority") -> list[dict[str, Any]]:
    hubs = parse_hubs(raw)
    if len(hubs) < 2:
        raise InputError(f"hubs: at least 2 hubs are needed for high availability (got {len(hubs)})")
    names: list[str] = []
    for index, hub in enumerate(hubs):
        unknown = sorted(set(hub) - HUB_KEYS)
        if unknown:
            raise InputError(f"hubs[{index}]: unknown key {unknown[0]!r} (known: {', '.join(sorted(HUB_KEYS))})")
        name = hub.get("name")
        if not isinstance(name, str) or not DNS_1123_LABEL.match(name):
            raise InputError(f"hubs[{index}].name: {name!r} is not a DNS-1123 label (lowercase letters, digits, '-', at most 63)")
        if name in names:
            raise InputError(f"hubs[{index}].name: duplicate hub name {name!r}")
        names.append(name)
    all_networks: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for hub in hubs:
        name = hub["name"]
        _check_hub_fields(hub)
        cidrs = hub.get("onprem_cidrs")
        if not isinstance(cidrs, list) or not cidrs:
            raise InputError(f"hub {name}: onprem_cidrs must be a non-empty list of CIDRs")
        for cidr in cidrs:
            try:
                network = ipaddress.ip_network(cidr, strict=True) if isinstance(cidr, str) else None
            except ValueError:
                network = None
            if network is None or "/" not in cidr:
                raise InputError(f"hub {name}: onprem_cidrs: {cidr!r} is not a valid network in CIDR notation (e.g. 10.10.0.0/16)")
            if network.prefixlen == 0:
                raise InputError(f"hub {name}: onprem_cidrs: {cidr} covers every address; give the hub's own ranges")
            for other_name, other in all_networks:
                if network.version == other.version and network.overlaps(other):
                    raise InputError(f"hub {name}: onprem_cidrs: {cidr} overlaps {other} of hub {other_name}")
            all_networks.append((name, network))
        backup = hub.get("backup_hub")
        if backup == name:
            raise InputError(f"hub {name}: backup_hub must be another hub, not the hub itself")
        if backup not in names:
            raise InputError(f"hub {name}: backup_hub {backup!r} is not one of the hubs ({', '.join(names)})")
    if traffic_routing == "Geographic":
        for hub in hubs[1:]:
            if not hub.get("geo_mapping"):
                raise InputError(f"hub {hub['name']}: traffic_routing Geographic needs geo_mapping (e.g. [\"GEO-EU\"]) on every hub but the first")
    return hubs


def _check_hub_fields(hub: dict[str, Any]) -> None:
    name = hub["name"]
    checks = (
        ("location", LOCATION, "an Azure region or Azure Stack Hub location name (e.g. westus2)"),
        ("kubernetes_version", K8S_VERSION, "a Kubernetes minor version such as \"1.30\""),
        ("ingress_host", HOSTNAME, "a lowercase DNS host name"),
    )
    for key, pattern, what in checks:
        value = hub.get(key)
        if not isinstance(value, str) or not pattern.match(value):
            raise InputError(f"hub {name}: {key} {value!r} must be {what}")
    recipient = hub.get("age_recipient")
    if recipient not in (None, "") and (not isinstance(recipient, str) or not AGE_RECIPIENT.match(recipient)):
        raise InputError(f"hub {name}: age_recipient must be an age public key (age1...)")
    dns = hub.get("dns_server")
    if dns not in (None, ""):
        try:
            ipaddress.ip_address(dns)
        except (ValueError, TypeError):
            raise InputError(f"hub {name}: dns_server {dns!r} must be an IP address") from None
    geo = hub.get("geo_mapping")
    if geo is not None and (not isinstance(geo, list) or not all(isinstance(g, str) and re.match(r"^[A-Z0-9-]{2,12}$", g) for g in geo)):
        raise InputError(f"hub {name}: geo_mapping must be a list of Traffic Manager geographic codes (e.g. [\"GEO-EU\", \"US\"])")


def validate_context(context: dict[str, Any]) -> list[dict[str, Any]]:
    """Check every input; return the hubs as data. Raises InputError with one line."""
    for key, value in context.items():
        if not key.startswith("_") and key != "hubs":
            injection_in(value, key)
    injection_in(parse_hubs(context.get("hubs")), "hubs")
    validate_repo_name(context.get("repo_name"))
    for key, choices in CHOICES.items():
        if key in context and context[key] not in choices:
            raise InputError(f"{key}: {context[key]!r} is not one of {', '.join(choices)}")
    for key, pattern in PATTERNS.items():
        value = context.get(key)
        if value is not None and (not isinstance(value, str) or not pattern.match(value)):
            raise InputError(f"{key}: {value!r} is not valid")
    mirror = context.get("registry_mirror") or ""
    if mirror and (not isinstance(mirror, str) or not REGISTRY.match(mirror)):
        raise InputError(f"registry_mirror: {mirror!r} must be a registry host with an optional port and path (e.g. registry.corp.example:5000/mirror)")
    project = context.get("project_name")
    if not isinstance(project, str) or not project.strip() or any(c in project for c in "\n\r\"\\`$"):
        raise InputError("project_name: must be one line without quotes, backslashes, backticks or '$'")
    return validate_hubs(context.get("hubs"), str(context.get("traffic_routing", "Priority")))
