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
HUB_KEYS = {"name", "location", "kubernetes_version", "ingress_host", "onprem_cidrs", "backup_hub", "age_recipient", "dns_server",
            "geo_mapping", "gitops_engine", "portal_url", "identity_system", "key_vault_url", "jurisdiction", "address_block"}
ENGINES = ("flux", "argocd")
IDENTITY_SYSTEMS = ("azure_ad", "adfs")
TENANT_ID = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|adfs)$")
KEY_VAULT_URL = re.compile(r"^https://[a-z0-9]([-a-z0-9]{1,22}[a-z0-9])?\.vault\.[a-z0-9.-]+[a-z0-9]/?$")
# The AKS Engine release for Azure Stack Hub the API models are written for
# (github.com/Azure/aks-engine-azurestack), and the Kubernetes versions it creates clusters with
# (`AllKubernetesSupportedVersionsAzureStack` entries marked true in pkg/api/common/versions.go of
# that release). A version it cannot create is refused at generation time.
AKS_ENGINE_RELEASE = "v0.85.0"
AKS_ENGINE_KUBERNETES = {"1.33": "1.33.10", "1.34": "1.34.4", "1.35": "1.35.0"}
# The Kubernetes minors each Flux minor release supports, lowest and highest: the "Supported
# Versions" table of the release's announcement in fluxcd/website (content/en/blog/<date>-announcing-
# flux-v2.N.0/index.md), the same as the "Kubernetes compatibility" table of the fluxcd/flux2 v2.N.0
# release notes. Each release supports the three newest Kubernetes minors of its time. A Flux hub
# whose Kubernetes is outside its release's range is refused at generation time. (`flux check --pre`
# enforces only a lower bound, kubernetesConstraints in cmd/flux/check.go, that can lag one minor
# behind: >=1.33.0 in v2.9.x, whose release notes and roadmap end support for 1.33.)
FLUX_KUBERNETES = {
    "2.3": ("1.28", "1.30"),  # blog/2024-05-13-announcing-flux-v2.3.0
    "2.4": ("1.29", "1.31"),  # blog/2024-09-30-announcing-flux-v2.4.0
    "2.5": ("1.30", "1.32"),  # blog/2025-02-20-announcing-flux-v2.5.0
    "2.6": ("1.31", "1.33"),  # blog/2025-05-29-announcing-flux-v2.6.0
    "2.7": ("1.32", "1.34"),  # blog/2025-09-29-announcing-flux-v2.7.0
    "2.8": ("1.33", "1.35"),  # blog/2026-02-23-announcing-flux-v2.8.0
    "2.9": ("1.34", "1.36"),  # blog/2026-06-30-announcing-flux-v2.9.0; flux2 v2.9.0 release notes
}
# Each hub's node network, pods and services come from this block, one /16 per hub in hub order.
HUB_BLOCK_PREFIX = 16
DEFAULT_ADDRESS_SPACE = "10.240.0.0/12"
# One pip requirement: a pinned name, or a direct reference (git, https archive, local path).
HUBGUARD_INSTALL = re.compile(r"^hubguard( ?(==|~=|>=)[0-9][0-9A-Za-z.+!-]*| @ (git\+)?(https://|ssh://|file://)[A-Za-z0-9._~:/@%+#=&?-]+)$")
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
    "chart_kured": VERSION, "chart_prometheus": VERSION, "chart_argo_cd": VERSION, "image_argocd": IMAGE, "image_sops": IMAGE,
    "image_curl": IMAGE, "backup_retention_days": re.compile(r"^[1-9][0-9]{0,2}$"),
    "flux_version": re.compile(r"^v2\.[0-9]+\.[0-9]+$"),  # a Flux 2 release tag, as `flux bootstrap --version` takes it
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
    _check_engines(hubs)
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
    portal = hub.get("portal_url")
    prefix = f"https://portal.{hub.get('location')}."
    if not isinstance(portal, str) or not portal.startswith(prefix) or not HOSTNAME.match(portal[len("https://"):].rstrip("/")):
        # AKS Engine refuses a portalURL that does not start with https://portal.<location>.
        raise InputError(f"hub {name}: portal_url {portal!r} must be the hub's Azure Stack Hub user portal, "
                         f"{prefix}<external domain>/ (AKS Engine requires that form)")
    jurisdiction = hub.get("jurisdiction")
    if jurisdiction not in (None, "") and (not isinstance(jurisdiction, str) or not re.match(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$", jurisdiction)):
        raise InputError(f"hub {name}: jurisdiction {jurisdiction!r} must be an ISO 3166 code such as US, DE or US-CA")
    identity = hub.get("identity_system")
    if identity not in (None, "") and identity not in IDENTITY_SYSTEMS:
        raise InputError(f"hub {name}: identity_system {identity!r} must be one of {', '.join(IDENTITY_SYSTEMS)}")
    vault = hub.get("key_vault_url")
    if vault not in (None, "") and (not isinstance(vault, str) or not KEY_VAULT_URL.match(vault)):
        raise InputError(f"hub {name}: key_vault_url {vault!r} must be https://<vault name>.vault.<location>.<external domain>")
    version = hub.get("kubernetes_version")
    if version.count(".") > 1 and version not in AKS_ENGINE_KUBERNETES.values():
        raise InputError(f"hub {name}: kubernetes_version {version!r} is not one AKS Engine {AKS_ENGINE_RELEASE} creates "
                         f"({', '.join(AKS_ENGINE_KUBERNETES.values())})")
    if ".".join(version.split(".")[:2]) not in AKS_ENGINE_KUBERNETES:
        raise InputError(f"hub {name}: kubernetes_version {version!r} cannot be created by AKS Engine {AKS_ENGINE_RELEASE} "
                         f"for Azure Stack Hub (it creates {', '.join(AKS_ENGINE_KUBERNETES)})")
    geo = hub.get("geo_mapping")
    if geo is not None and (not isinstance(geo, list) or not all(isinstance(g, str) and re.match(r"^[A-Z0-9-]{2,12}$", g) for g in geo)):
        raise InputError(f"hub {name}: geo_mapping must be a list of Traffic Manager geographic codes (e.g. [\"GEO-EU\", \"US\"])")


def _check_engines(hubs: list[dict[str, Any]]) -> None:
    for hub in hubs:
        engine = hub.get("gitops_engine")
        if engine not in (None, "") and engine not in ENGINES:
            raise InputError(f"hub {hub['name']}: gitops_engine {engine!r} must be one of {', '.join(ENGINES)} (one engine per hub)")


def hub_engine(hub: dict[str, Any], default: str) -> str:
    """The one GitOps engine that bootstraps `hub`: its own choice, else the repository's."""
    engine = hub.get("gitops_engine") or default
    if engine not in ENGINES:
        raise InputError(f"hub {hub['name']}: gitops_engine both needs each hub's own gitops_engine "
                         f"({' or '.join(ENGINES)}): a hub runs exactly one engine")
    return engine


def minor_of(version: str) -> tuple[int, int]:
    """(1, 34) of "1.34", "1.34.4" or "v2.9.4"'s (2, 9)."""
    major, minor = version.lstrip("v").split(".")[:2]
    return int(major), int(minor)


def check_flux_kubernetes(hubs: list[dict[str, Any]], flux_version: str, default_engine: str) -> None:
    """Refuse a Flux hub whose Kubernetes version its Flux release does not support (FLUX_KUBERNETES).
    Argo CD hubs are not checked: Argo CD publishes the Kubernetes versions it was tested with, not a
    supported range."""
    flux_hubs = [h for h in hubs if hub_engine(h, default_engine) == "flux"]
    if not flux_hubs:
        return
    flux = ".".join(str(n) for n in minor_of(flux_version))
    if flux not in FLUX_KUBERNETES:
        raise InputError(f"flux_version: {flux_version}: the Kubernetes versions Flux {flux} supports are not known to this "
                         f"template (it knows Flux {min(FLUX_KUBERNETES, key=minor_of)} to {max(FLUX_KUBERNETES, key=minor_of)}); "
                         "pin one of those")
    low, high = FLUX_KUBERNETES[flux]
    for hub in flux_hubs:
        version = hub["kubernetes_version"]
        if not minor_of(low) <= minor_of(version) <= minor_of(high):
            fits = [f for f, (lo, hi) in FLUX_KUBERNETES.items() if minor_of(lo) <= minor_of(version) <= minor_of(hi)]
            hint = f"; Flux {' or '.join(filter(None, [', '.join(fits[:-1]), fits[-1]]))} supports it" if fits else ""
            raise InputError(f"hub {hub['name']}: kubernetes_version {version} is not supported by Flux {flux_version} "
                             f"(Flux {flux} supports Kubernetes {low} to {high}){hint}")


def hub_networks(hubs: list[dict[str, Any]], address_space: Any) -> dict[str, dict[str, str]]:
    """Each hub's node network, pod network and service network: the hub's own /16 of
    `address_space`, split into nodes (first /20), services (the next /20) and pods (upper /17).
    Refused when the space is too small or overlaps an on-prem range of any hub, since then no
    site-to-site VPN could route between the hubs."""
    try:
        space = ipaddress.ip_network(address_space, strict=True) if isinstance(address_space, str) else None
    except ValueError:
        space = None
    if space is None or space.version != 4 or space.prefixlen > HUB_BLOCK_PREFIX:
        raise InputError(f"cluster_address_space: {address_space!r} must be an IPv4 network of /{HUB_BLOCK_PREFIX} or larger "
                         "(e.g. 10.240.0.0/12), one /16 per hub")
    blocks = list(space.subnets(new_prefix=HUB_BLOCK_PREFIX))
    if len(blocks) < len(hubs):
        raise InputError(f"cluster_address_space: {space} holds {len(blocks)} hub block(s) of /{HUB_BLOCK_PREFIX}, "
                         f"{len(hubs)} hubs need one each")
    for hub in hubs:
        for cidr in hub.get("onprem_cidrs") or []:
            onprem = ipaddress.ip_network(cidr)
            if onprem.version == 4 and onprem.overlaps(space):
                raise InputError(f"cluster_address_space: {space} overlaps {cidr} (onprem_cidrs of hub {hub['name']}); "
                                 "choose a block no site uses")
    # A hub keeps the block it was given (recorded at generation): adding or removing a hub never
    # moves another hub's networks. A hub without one takes the first free block.
    given: dict[str, str] = {}
    for hub in hubs:
        block = hub.get("address_block")
        if block in (None, ""):
            continue
        if block not in {str(b) for b in blocks}:
            raise InputError(f"hub {hub['name']}: address_block {block!r} must be a /{HUB_BLOCK_PREFIX} of cluster_address_space {space}")
        if block in given.values():
            raise InputError(f"hub {hub['name']}: address_block {block} is another hub's")
        given[hub["name"]] = block
    free = iter(b for b in blocks if str(b) not in given.values())
    out = {}
    for hub in hubs:
        block = ipaddress.ip_network(given[hub["name"]]) if hub["name"] in given else next(free)
        nodes = next(block.subnets(new_prefix=20))
        services = list(block.subnets(new_prefix=20))[1]
        pods = list(block.subnets(new_prefix=17))[1]
        out[hub["name"]] = {
            "block": str(block), "vnet": str(nodes), "subnet": str(nodes), "pods": str(pods), "services": str(services),
            "dns_service_ip": str(services.network_address + 10),
            # the masters take five consecutive addresses at the top of the node subnet
            "first_master_ip": str(nodes.broadcast_address - 16),
        }
    return out


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
    hubs = validate_hubs(context.get("hubs"), str(context.get("traffic_routing", "Priority")))
    default_engine = str(context.get("gitops_engine", "flux"))
    for hub in hubs:
        hub_engine(hub, default_engine)
    if context.get("flux_version"):
        check_flux_kubernetes(hubs, str(context["flux_version"]), default_engine)
    hub_networks(hubs, context.get("cluster_address_space", DEFAULT_ADDRESS_SPACE))
    if context.get("secrets_backend") == "external-secrets-keyvault":
        tenant = context.get("azure_tenant_id")
        if not isinstance(tenant, str) or not TENANT_ID.match(tenant):
            raise InputError(f"azure_tenant_id: {tenant!r} must be the directory (tenant) ID of the hubs' Azure AD, "
                             "a GUID, or adfs for ADFS hubs (external-secrets-keyvault needs it)")
    install = context.get("hubguard_install") or ""
    if install and (not isinstance(install, str) or not HUBGUARD_INSTALL.match(install)):
        raise InputError(f"hubguard_install: {install!r} must be one pip requirement, e.g. hubguard==0.2.0 or "
                         "hubguard @ git+https://git.corp.example/tools/hubguard@<commit>")
    return hubs
