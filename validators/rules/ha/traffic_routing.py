"""ha/traffic-routing: the DNS traffic manager in front of the hubs must route to every hub and probe its health."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from hubguard.findings import Finding, Location, Severity
from hubguard.load.bicep import bicep_documents
from hubguard.model import Document, RepoContext
from hubguard.rules.ha.common import policy_location
from hubguard.rules.registry import Rule, RuleContext, Scope

PROFILE_TYPE = "microsoft.network/trafficmanagerprofiles"
ENDPOINT_TYPES = ("externalendpoints", "azureendpoints", "nestedendpoints")
_CALL = re.compile(r"^\[\s*(parameters|variables)\(\s*'([^']*)'\s*\)\s*\]$", re.IGNORECASE)
_LITERAL = re.compile(r"'([^']*)'")


@dataclass
class Endpoint:
    name: str
    target: str
    status: str
    path: tuple  # in the document


@dataclass
class Profile:
    doc: Document
    name: str
    path: tuple
    data: dict
    endpoints: list[Endpoint] = field(default_factory=list)
    # False when some endpoints come from what is not evaluated here (a parameter without a default,
    # a loop whose items are not known): no hub is then said to lack one.
    endpoints_known: bool = True


def _resolve(value: object, doc: Document) -> str:
    """A string property of an ARM template, with `[parameters('x')]`/`[variables('x')]` replaced by
    the default value; other expressions stay as written (hub names are still found in them)."""
    if not isinstance(value, str):
        return "" if value is None else str(value)
    match = _CALL.match(value)
    if match:
        section, name = match.group(1).lower(), match.group(2)
        table = doc.data.get(section) if isinstance(doc.data, dict) else None
        entry = table.get(name) if isinstance(table, dict) else None
        if section == "parameters":
            entry = entry.get("defaultValue") if isinstance(entry, dict) else None
        return entry if isinstance(entry, str) else value
    if value.startswith("["):
        return "/".join(_LITERAL.findall(value)) or value
    return value


def _endpoint(resource: dict, path: tuple, doc: Document) -> Endpoint:
    props = resource.get("properties") if isinstance(resource.get("properties"), dict) else {}
    name = _resolve(resource.get("name"), doc).rstrip("/").rsplit("/", 1)[-1]
    return Endpoint(name, _resolve(props.get("target"), doc), _resolve(props.get("endpointStatus"), doc) or "Enabled", path)


def _is_endpoint(resource: dict) -> bool:
    return str(resource.get("type", "")).lower().rsplit("/", 1)[-1] in ENDPOINT_TYPES


def find_profiles(doc: Document) -> list[Profile]:
    """Traffic Manager profiles of an ARM template (also inside nested deployments), each with its
    endpoints: inline `properties.endpoints`, child `resources`, and top-level
    `trafficManagerProfiles/externalEndpoints` resources named `<profile>/<endpoint>`."""
    profiles: list[Profile] = []
    loose: list[tuple[dict, tuple]] = []

    def walk(resources: object, base: tuple) -> None:
        for index, resource in enumerate(resources if isinstance(resources, list) else []):
            if not isinstance(resource, dict):
                continue
            path = (*base, index)
            kind = str(resource.get("type", "")).lower()
            props = resource.get("properties") if isinstance(resource.get("properties"), dict) else {}
            if kind == PROFILE_TYPE:
                profile = Profile(doc, _resolve(resource.get("name"), doc), path, resource)
                inline = props.get("endpoints") or []
                copies = props.get("copy") if isinstance(props.get("copy"), list) else []
                profile.endpoints_known = isinstance(inline, list) and not any(
                    isinstance(c, dict) and c.get("name") == "endpoints" for c in copies)
                for i, item in enumerate(inline if isinstance(inline, list) else []):
                    if isinstance(item, dict):
                        profile.endpoints.append(_endpoint(item, (*path, "properties", "endpoints", i), doc))
                        profile.endpoints_known &= "copy" not in item
                for i, child in enumerate(resource.get("resources") or []):
                    if isinstance(child, dict) and _is_endpoint(child):
                        profile.endpoints.append(_endpoint(child, (*path, "resources", i), doc))
                        profile.endpoints_known &= "copy" not in child
                profiles.append(profile)
            elif _is_endpoint(resource):
                loose.append((resource, path))
            elif kind == "microsoft.resources/deployments" and isinstance(props.get("template"), dict):
                walk(props["template"].get("resources"), (*path, "properties", "template", "resources"))

    if isinstance(doc.data, dict):
        walk(doc.data.get("resources"), ("resources",))
    for resource, path in loose:
        parent = _resolve(resource.get("name"), doc).rsplit("/", 1)[0]
        owners = [p for p in profiles if p.name == parent] or (profiles if len(profiles) == 1 else [])
        for owner in owners:
            owner.endpoints.append(_endpoint(resource, path, doc))
            owner.endpoints_known &= "copy" not in resource
    return profiles


def repository_profiles(repo: RepoContext) -> list[Profile]:
    """The profiles of the repository's ARM templates (JSON or YAML) and Bicep files."""
    documents = list(repo.documents(containing=PROFILE_TYPE.rsplit("/", 1)[1]))  # its resource type, any case
    documents += [doc for src in repo.files if src.path.endswith(".bicep") and src.text and PROFILE_TYPE in src.text.lower()
                  for doc in bicep_documents(src.path, src.text)]
    return [profile for doc in documents for profile in find_profiles(doc)]


def _named_after(endpoint: Endpoint, hub: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(hub.lower())}(?![a-z0-9])", endpoint.name.lower()) is not None


def _targets(endpoint: Endpoint, host: str | None) -> bool:
    return bool(host) and endpoint.target.lower().rstrip(".") == str(host).lower().rstrip(".")


def _at(profile: Profile, *rest: object) -> Location:
    line, column = profile.doc.position(*profile.path, *rest)
    return Location(profile.doc.path, line, column)


# The kinds of global routing a policy can declare in `traffic_routing:` (the schema's enum), and
# what the repository must contain for each. Another kind (an external-dns/GSLB declaration) adds
# an entry here, a finder like find_profiles, and its value to the schema.
ROUTING_KINDS = {
    "azure-traffic-manager": "Traffic Manager profile (Microsoft.Network/trafficManagerProfiles in an ARM template or Bicep file)",
}


def check_traffic(ctx: RuleContext) -> Iterator[Finding]:
    hubs = ctx.repo.hubs_in_run
    profiles = repository_profiles(ctx.repo)
    if not profiles:
        # Only a routing the policy declares is demanded: many repositories route users elsewhere.
        for kind in ctx.policy.traffic_routing:
            if hubs and kind in ROUTING_KINDS:
                yield ctx.finding(
                    f"traffic_routing declares {kind}, but no {ROUTING_KINDS[kind]} routes users to the hubs: "
                    "when a hub fails, nobody is sent to the others",
                    policy_location(ctx.repo, "traffic_routing"),
                )
        return
    for profile in profiles:
        monitor = profile.data.get("properties", {}).get("monitorConfig") if isinstance(profile.data.get("properties"), dict) else None
        path = _resolve(monitor.get("path"), profile.doc) if isinstance(monitor, dict) else ""
        if ctx.options["require_monitor_path"] and not path.strip():
            yield ctx.finding(
                f"Traffic Manager profile {profile.name} has no health-probe path (monitorConfig.path): "
                "it keeps routing users to a hub whose application is down",
                _at(profile, "properties", "monitorConfig") if isinstance(monitor, dict) else _at(profile, "properties"),
            )
        if not profile.endpoints_known:
            continue  # which hubs its endpoints serve is not known here: none is said to lack one
        for hub in hubs:
            host = ctx.policy.hubs[hub].ingress_host
            mine = [e for e in profile.endpoints if _named_after(e, hub) or _targets(e, host)]
            enabled = [e for e in mine if e.status.lower() != "disabled"]
            if enabled:
                continue
            if mine:
                message = (f"Traffic Manager profile {profile.name}: the endpoint {mine[0].name} for hub {hub} is "
                           "disabled, so no user is routed to that hub")
                at = Location(profile.doc.path, *profile.doc.position(*mine[0].path, "properties", "endpointStatus"))
            else:
                wanted = f" or targeting {host}" if host else ""
                message = (f"Traffic Manager profile {profile.name} has no endpoint for hub {hub} "
                           f"(an endpoint named after it{wanted}): that hub receives no users, and takes none over on failover")
                at = _at(profile, "name")
            yield ctx.finding(message, at, hub=hub)


TRAFFIC = Rule(
    id="ha/traffic-routing",
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="The Traffic Manager profile lacks an enabled endpoint for a hub or a health-probe path, or the declared one is missing.",
    doc="""Users reach the hubs through a DNS traffic manager: an Azure Traffic Manager profile
(`Microsoft.Network/trafficManagerProfiles` in an ARM template, anywhere in the repository, also
inside nested deployments, or in a `.bicep` file). For failover to work, every hub needs an enabled endpoint in it — an
endpoint named after the hub, or whose `target` is the hub's `ingress_host` in .hubguard.yaml;
inline `properties.endpoints`, child resources and `trafficManagerProfiles/externalEndpoints`
resources all count — and the profile needs a health probe path (`monitorConfig.path`), or it
keeps sending users to a hub whose application is down. `[parameters('x')]` values are read from
the parameter's `defaultValue`. A profile whose endpoints come from what is not evaluated (a
parameter without a default, a `copy` loop, a loop over a module output) is checked for its probe
path only: no hub is said to lack an endpoint that may be there.

Bicep files are read as written, without a Bicep compiler: `resource` declarations of the profile
type and its endpoints (inline `properties.endpoints`, `resource` blocks nested in the profile, and
endpoint resources with `parent: <profile>`), `if (...)` conditions (the resource counts as
declared), `[for hub in hubs: {...}]` and `[for i in range(0, length(hubs)): {...}]` loops over a literal
array (a `param` default or a `var`), strings with `${...}`, names of `param` defaults and `var`s,
`a.b` and `a[i]`. Any other expression (a function call, a module output, another resource's
property) is kept as written and never guessed: an endpoint whose target is computed counts for a
hub only when its name says which. Endpoints of a profile declared elsewhere (`existing`) stand
alone, named `<profile>/<endpoint>`. `module`s and `.bicepparam` files are not followed.

A profile is demanded only where the policy declares that kind of routing
(`traffic_routing: [azure-traffic-manager]` in .hubguard.yaml): then a repository without one is a
finding. Without the declaration, profiles found are still checked, and none is required. Like the
other cross-hub rules, it runs only on hubs declared in .hubguard.yaml.

FAIL (munich has no endpoint; no probe path):

    {"type": "Microsoft.Network/trafficManagerProfiles", "name": "ratings",
     "properties": {"trafficRoutingMethod": "Priority",
       "monitorConfig": {"protocol": "HTTPS", "port": 443},
       "endpoints": [{"name": "seattle", "type": "Microsoft.Network/trafficManagerProfiles/externalEndpoints",
                      "properties": {"target": "ratings.seattle.example.local", "endpointStatus": "Enabled"}}]}}

PASS:

       "monitorConfig": {"protocol": "HTTPS", "port": 443, "path": "/healthz"},
       "endpoints": [{"name": "seattle", ...},
                     {"name": "munich", "type": "Microsoft.Network/trafficManagerProfiles/externalEndpoints",
                      "properties": {"target": "ratings.munich.example.local", "endpointStatus": "Enabled", "priority": 2}}]
""",
    remediation="""Add an endpoint for the hub (named after it, targeting its `ingress_host`) and a probe path
to the profile:

    "monitorConfig": {"protocol": "HTTPS", "port": 443, "path": "/healthz"},
    "endpoints": [
      {"name": "munich", "type": "Microsoft.Network/trafficManagerProfiles/externalEndpoints",
       "properties": {"target": "ratings.munich.example.local", "endpointStatus": "Enabled", "priority": 2}}]

Declare each hub's `ingress_host` in .hubguard.yaml so endpoints named otherwise are recognised.
A missing profile: add it, or remove `azure-traffic-manager` from `traffic_routing:` if users reach
the hubs another way.
Tune in .hubguard.yaml: `rules: {ha/traffic-routing: {require_monitor_path: false}}` accepts TCP
probes without a path. If traffic routing lives in another repository, disable the rule there:
`rules: {ha/traffic-routing: {enabled: false}}`.""",
    check=check_traffic,
    cross_hub=True,
    options={"require_monitor_path": {"type": "boolean", "default": True,
                                      "description": "the profile must probe an HTTP(S) path"}},
)

RULES = [TRAFFIC]
